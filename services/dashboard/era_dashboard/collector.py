"""Polls the sources the page reads: the services (or a Prometheus) and the inbox's reports."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from era_dashboard.history import LAG, STAGE_COUNTERS, History
from era_dashboard.page_data import Health, build_page_data, file_row
from era_dashboard.samples import (
    Sample,
    parse_exposition,
    parse_prometheus_matrix,
    parse_prometheus_vector,
)
from era_dashboard.settings import SERVICES, DashboardSettings

log = logging.getLogger("era.dashboard")

ALL_ERA_SERIES = '{__name__=~"era_.+"}'


def http_get(url: str, timeout: float) -> tuple[int | None, bytes]:
    """GET ``url``: (HTTP status, body); status None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, ValueError):
        return None, b""


def recent_reports(inbox: Path, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` ingest reports in ``inbox``'s done/ and rejected/, newest first."""
    found: list[tuple[float, Path]] = []
    for folder in (inbox / "done", inbox / "rejected"):
        try:
            found.extend((p.stat().st_mtime, p) for p in folder.glob("*.report.json"))
        except OSError:
            continue
    rows = []
    for modified, path in sorted(found, reverse=True)[:limit]:
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(report, dict):
            rows.append(file_row(report, modified))
    return rows


class Collector:
    """Polls every ``refresh_seconds`` on a daemon thread and keeps the latest page data."""

    def __init__(
        self,
        settings: DashboardSettings,
        get: Callable[[str, float], tuple[int | None, bytes]] = http_get,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._get = get
        self._clock = clock
        self.history = History(settings.history_seconds)
        self._lock = threading.Lock()
        self._latest: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._backfilled = False

    @property
    def source(self) -> str:
        """``prometheus`` or ``services``: where the metrics come from."""
        return "prometheus" if self.settings.prometheus_url else "services"

    def _from_services(self) -> tuple[list[Sample], list[Health]]:
        samples: list[Sample] = []
        health = []
        timeout = self.settings.timeout_seconds
        for service, url in self.settings.service_urls().items():
            status, body = self._get(f"{url}/metrics", timeout)
            ok = status == 200
            if ok:
                try:
                    samples.extend(parse_exposition(body.decode("utf-8", "replace")))
                except ValueError as exc:
                    log.warning("unreadable metrics from %s: %s", service, exc)
                    ok = False
            healthz, _ = self._get(f"{url}/healthz", timeout)
            readyz, _ = self._get(f"{url}/readyz", timeout)
            health.append(Health(service, ok, healthz, readyz))
        return samples, health

    def _ask(self, api: str, **parameters: object) -> Any:
        base = str(self.settings.prometheus_url).rstrip("/")
        url = f"{base}/api/v1/{api}?{urllib.parse.urlencode(parameters)}"
        status, body = self._get(url, self.settings.timeout_seconds)
        if status != 200:
            raise OSError(f"Prometheus at {base} answered {status}")
        return json.loads(body)

    def _query(self, promql: str) -> list[Sample]:
        return parse_prometheus_vector(self._ask("query", query=promql))

    def backfill(self, now: float) -> None:
        """Fill the history from Prometheus' range queries (the window before the first poll),
        so the charts show the last minutes as soon as the page opens."""
        window = self.settings.history_seconds
        step = max(self.settings.refresh_seconds, window / 300)
        queries = {stage: f"sum({name})" for stage, name in STAGE_COUNTERS.items()}
        queries[LAG] = f"sum by (group) ({LAG})"
        polls: dict[float, list[Sample]] = {}
        stages: dict[float, set[str]] = {}
        for key, promql in queries.items():
            answer = self._ask(
                "query_range", query=promql, start=now - window, end=now - step, step=step
            )
            for labels, values in parse_prometheus_matrix(answer):
                name = LAG if key == LAG else STAGE_COUNTERS[key]
                for at, value in values:
                    polls.setdefault(at, []).append(Sample(name, labels, value))
                    if key != LAG:
                        stages.setdefault(at, set()).add(key)
        for at in sorted(polls):
            self.history.add(at, polls[at], stages.get(at, set()))

    def _from_prometheus(self) -> tuple[list[Sample], list[Health]]:
        samples = self._query(ALL_ERA_SERIES)
        up = self._query('up{job=~".*era.*"}')
        urls = {
            urllib.parse.urlsplit(url).netloc: s for s, url in self.settings.service_urls().items()
        }
        seen: dict[str, bool] = {}
        for sample in up:
            service = urls.get(sample.label("instance")) or next(
                (s for s in SERVICES if s in sample.label("job")), None
            )
            if service is not None:
                seen[service] = seen.get(service, False) or sample.value == 1
        return samples, [Health(s, seen.get(s, False)) for s in SERVICES]

    def poll(self) -> dict[str, Any]:
        """Read every source once, add the poll to the history and return the page data."""
        now = self._clock()
        if self.settings.prometheus_url and not self._backfilled:
            self._backfilled = len(self.history) > 0  # too late once live polls are in
            try:
                if not self._backfilled:
                    self.backfill(now)
                    self._backfilled = True
            except (OSError, ValueError) as exc:
                log.warning("cannot read the last minutes from Prometheus: %s", exc)
        try:
            samples, health = (
                self._from_prometheus() if self.settings.prometheus_url else self._from_services()
            )
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s: %s", self.source, exc)
            samples, health = [], [Health(s, False) for s in SERVICES]
        read = {h.service for h in health if h.metrics}
        if read:
            self.history.add(now, samples, read)
        data = build_page_data(
            samples,
            self.history,
            health,
            recent_reports(self.settings.inbox, self.settings.recent_files),
            now=now,
            source=self.source,
            refresh_seconds=self.settings.refresh_seconds,
        )
        with self._lock:
            self._latest = data
        return data

    def latest(self) -> dict[str, Any]:
        """The last poll's page data (polling now if there was none yet)."""
        with self._lock:
            latest = self._latest
        return latest if latest is not None else self.poll()

    def start(self) -> threading.Thread:
        """Poll on a daemon thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    self.poll()
                except Exception:  # a bad poll must not end the page
                    log.exception("dashboard poll failed")
                self._stop.wait(
                    max(0.0, self.settings.refresh_seconds - (time.monotonic() - started))
                )

        thread = threading.Thread(target=loop, name="dashboard-poll", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the polling thread after its current poll."""
        self._stop.set()
