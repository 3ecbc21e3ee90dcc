"""The drop-folder service loop: take complete files, publish each, file it away."""

from __future__ import annotations

import logging
import time

from era_ingest.inbox import Inbox
from era_ingest.publisher import IngestError, IngestPublisher
from era_ingest.records import FileReport

log = logging.getLogger("era.ingest")


class InboxWatcher:
    """The drop-folder service: takes complete files, publishes each, files it away."""

    def __init__(self, publisher: IngestPublisher, inbox: Inbox, poll_seconds: float) -> None:
        self.publisher = publisher
        self.inbox = inbox
        self.poll_seconds = poll_seconds
        self._stopping = False

    def stop(self, *_: object) -> None:
        """Ask the loop to stop after the current file."""
        self._stopping = True

    def run_once(self) -> list[FileReport]:
        """Process every file that is ready now."""
        reports = []
        for path in self.inbox.ready():
            if self._stopping:
                break
            try:
                report = self.publisher.publish(path)
            except IngestError as exc:
                if exc.retriable:
                    log.error("%s; the file stays in the inbox and is retried", exc)
                    continue
                log.error("%s; the file is moved to rejected/", exc)
                report = FileReport(file=path.name, sha256="", outcome="rejected")
                report.problems.append(f"error: {path.name}:0: {exc}")
            rejected = report.outcome == "rejected"
            target = self.inbox.finish(path, rejected=rejected, report=report.as_dict())
            log.info(
                "file %s: %s, %d adjustments, %d transaction sets rejected -> %s",
                report.file,
                report.outcome,
                report.adjustments,
                report.transactions_rejected,
                target.parent.name,
            )
            reports.append(report)
        return reports

    def run(self, max_seconds: float | None = None) -> None:
        """Poll until :meth:`stop` (the host calls it on SIGTERM/SIGINT) or ``max_seconds``."""
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        while not self._stopping and (deadline is None or time.monotonic() < deadline):
            self.run_once()
            time.sleep(self.poll_seconds)
