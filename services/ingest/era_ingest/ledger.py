"""The ingest ledger: what ingest has committed, kept in a compacted topic (``era.ingest.files``)
and read back whole at start.

Its key protocol (every value is JSON; a null value is a tombstone):

* ``<sha256>`` — the receipt of a published file (its report and ``committed_at``), keyed by the
  SHA-256 of the file's bytes: the same bytes dropped again are recognised and only moved;
* ``set:<fingerprint>`` — one published transaction set (``{"file": name}``): the same set inside
  another file is skipped, its event ids would be the same;
* ``progress:<sha256>`` — how far a big file published in several transactions has got
  (``items`` parser items done, the ``report`` so far); deleted with the file's last transaction.

Records are written by the publisher inside the transaction they describe, so the ledger never
claims more than is visible.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from era_ingest.records import set_receipt
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_to_end

log = logging.getLogger("era.ingest")

SET_KEY = "set:"
PROGRESS_KEY = "progress:"

LedgerRecord = tuple[bytes, bytes | None]
"""(key, value) of one ledger record; a value of None deletes the key."""


def file_record(digest: str, receipt: dict[str, Any]) -> LedgerRecord:
    """The receipt of a published file."""
    return digest.encode(), json.dumps(receipt).encode()


def set_record(fingerprint: str, file: str) -> LedgerRecord:
    """The receipt of a published transaction set."""
    return f"{SET_KEY}{fingerprint}".encode(), json.dumps(set_receipt(file)).encode()


def progress_record(digest: str, progress: dict[str, Any] | None) -> LedgerRecord:
    """The progress of a file cut into transactions; None deletes it (the file is done)."""
    value = None if progress is None else json.dumps(progress).encode()
    return f"{PROGRESS_KEY}{digest}".encode(), value


@dataclass(slots=True)
class IngestLedger:
    """The ledger as read back: file receipts, set receipts and progress, by key."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha256 -> receipt
    sets: dict[str, str] = field(default_factory=dict)  # set fingerprint -> file
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha256 -> progress

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Take one ledger record into account (records are applied in topic order)."""
        if key is None:
            return
        text = key.decode()
        if text.startswith(PROGRESS_KEY):
            digest = text[len(PROGRESS_KEY) :]
            if value is None:  # the file was finished
                self.progress.pop(digest, None)
            else:
                self.progress[digest] = json.loads(value)
            return
        if value is None:
            return
        if text.startswith(SET_KEY):
            self.sets[text[len(SET_KEY) :]] = json.loads(value)["file"]
        else:
            self.files[text] = json.loads(value)

    def load(self, kafka: KafkaSettings, topic: str) -> None:
        """Read ``topic`` to its end (read_committed) into this ledger."""
        for record in read_to_end(kafka, topic):
            self.apply(record.key, record.value)
        log.info(
            "ingest ready: %d files and %d transaction sets in the ledger",
            len(self.files),
            len(self.sets),
        )
