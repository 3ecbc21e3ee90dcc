"""Turns metric samples, probes and file reports into the page's data (no I/O).

Only label values of a fixed set of low-cardinality labels reach the page (route, sign, service,
reason, group, topic, outcome, payer id, kind, location), and of the ingest reports only the file
name, outcome and counts: never a problem's text, which quotes the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from era_dashboard.history import STAGE_COUNTERS, History
from era_dashboard.samples import Sample, has_label, sum_by, total

DENIAL_THRESHOLD = 0.08  # the EraDenialRateHigh alert's line (deploy/prometheus/alerts.yml)

ROUTED = "era_router_events_routed_total"
DOLLARS = "era_router_dollars_routed_total"
DEAD_LETTERS = "era_deadletter_records_total"
FILES = "era_ingest_files_processed_total"
SETS_REJECTED = "era_ingest_transaction_sets_rejected_total"
WARNINGS = "era_ingest_warnings_total"
CLAIMS = "era_ingest_claims_total"
ADJUDICATED = "era_ingest_claims_adjudicated_total"  # per location (docs/observability.md)
DENIED = "era_ingest_claims_denied_total"
LAST_FILE = "era_ingest_last_file_timestamp_seconds"
LAG = "era_consumer_lag_records"
CO_PATIENT_BLOCKS = "era_router_co_patient_blocks_total"


@dataclass(frozen=True, slots=True)
class Health:
    """What the dashboard could see of one service on its last poll."""

    service: str
    metrics: bool  # its metrics were read
    healthz: int | None = None  # HTTP status, None when not probed or unreachable
    readyz: int | None = None

    def state(self) -> str:
        """``ready``; ``not ready`` (up, but not connected or holding no partitions yet);
        ``up`` (Prometheus mode: it scrapes the service, nothing more is known); ``down``."""
        if self.readyz == 200:
            return "ready"
        if self.healthz == 200 or self.readyz is not None:
            return "not ready"
        if self.metrics and self.healthz is None:
            return "up"
        return "down"


def file_row(report: Mapping[str, Any], modified: float) -> dict[str, Any]:
    """One line of the recent files table from an ingest ``.report.json``: name, outcome,
    counts and the warning kinds (problem texts stay out: they quote the file's contents).
    Reports without ``warnings``/``errors`` counts are counted from their problems' severity."""
    problems = [str(p) for p in report.get("problems", [])]
    kinds = report.get("warnings")
    if isinstance(kinds, Mapping):
        warning_kinds = {str(kind): int(n) for kind, n in sorted(kinds.items()) if int(n)}
        warnings = sum(warning_kinds.values())
    else:
        warning_kinds = {}
        warnings = sum(1 for p in problems if p.startswith("warning"))
    errors = report.get("errors")
    return {
        "file": str(report.get("file", "")),
        "outcome": str(report.get("outcome", "")),
        "adjustments": int(report.get("adjustments", 0)),
        "transaction_sets_rejected": int(report.get("transactions_rejected", 0)),
        "warnings": warnings,
        "warning_kinds": warning_kinds,
        "errors": int(errors)
        if isinstance(errors, int)
        else sum(1 for p in problems if p.startswith("error")),
        "at": modified,
    }


def _routes(samples: Sequence[Sample]) -> list[dict[str, Any]]:
    events = sum_by(samples, ROUTED, ("route",))
    dollars = sum_by(samples, DOLLARS, ("route", "sign"))
    names = sorted({r for (r,) in events} | {r for (r, _) in dollars})
    rows = [
        {
            "route": route,
            "events": int(events.get((route,), 0)),
            "dollars": round(
                dollars.get((route, "positive"), 0.0) - dollars.get((route, "negative"), 0.0), 2
            ),
        }
        for route in names
    ]
    return sorted(rows, key=lambda row: (-row["events"], row["route"]))


def _rates(claims: Mapping[tuple[str, ...], float], dimension: str) -> list[dict[str, Any]]:
    keys = sorted({key[0] for key in claims})
    rows = []
    for key in keys:
        paid, denied = claims.get((key, "paid"), 0.0), claims.get((key, "denied"), 0.0)
        if paid + denied == 0:
            continue
        rate = denied / (paid + denied)
        rows.append(
            {
                dimension: key,
                "paid": int(paid),
                "denied": int(denied),
                "rate": round(rate, 4),
                "above": rate > DENIAL_THRESHOLD,
            }
        )
    return sorted(rows, key=lambda row: (-row["rate"], row[dimension]))


def _denials(samples: Sequence[Sample]) -> dict[str, Any]:
    payers = _rates(sum_by(samples, CLAIMS, ("payer", "outcome")), "payer")
    locations: list[dict[str, Any]] = []
    adjudicated = sum_by(samples, ADJUDICATED, ("location",))
    if adjudicated:  # the denial definition's counts: "paid" are the claims not denied
        denied = sum_by(samples, DENIED, ("location",))
        claims: dict[tuple[str, ...], float] = {}
        for (location,), count in adjudicated.items():
            claims[(location, "denied")] = denied.get((location,), 0.0)
            claims[(location, "paid")] = count - claims[(location, "denied")]
        locations = _rates(claims, "location")
    elif has_label(samples, CLAIMS, "location"):
        locations = _rates(sum_by(samples, CLAIMS, ("location", "outcome")), "location")
    return {"threshold": DENIAL_THRESHOLD, "payers": payers, "locations": locations}


def _series(points: list[tuple[float, float]]) -> list[list[float]]:
    return [[round(at, 3), round(value, 3)] for at, value in points]


def build_page_data(
    samples: Sequence[Sample],
    history: History,
    health: Sequence[Health],
    recent_files: Sequence[Mapping[str, Any]],
    *,
    now: float,
    source: str,
    refresh_seconds: float,
) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data."""
    throughput = history.throughput()
    lag_now = sum_by(samples, LAG, ("group", "topic"))
    dead = sum_by(samples, DEAD_LETTERS, ("service", "reason"))
    files = sum_by(samples, FILES, ("outcome",))
    warnings = sum_by(samples, WARNINGS, ("kind",))
    last_file = max((s.value for s in samples if s.name == LAST_FILE), default=0.0)
    return {
        "generated_at": now,
        "source": source,
        "refresh_seconds": refresh_seconds,
        "window_seconds": history.window_seconds,
        "health": [
            {"service": h.service, "state": h.state(), "healthz": h.healthz, "readyz": h.readyz}
            for h in health
        ],
        "stages": {
            stage: {
                "total": int(total(samples, counter)),
                "rate": round(throughput[stage][-1][1], 3) if throughput[stage] else None,
                "series": _series(throughput[stage]),
            }
            for stage, counter in STAGE_COUNTERS.items()
        },
        "lag": {
            "now": [
                {"group": group, "topic": topic, "records": int(value)}
                for (group, topic), value in sorted(lag_now.items())
            ],
            "series": {group: _series(points) for group, points in history.lag().items()},
        },
        "routes": _routes(samples),
        "dead_letters": [
            {"service": service, "reason": reason, "records": int(value)}
            for (service, reason), value in sorted(dead.items())
        ],
        "ingest": {
            "files": {outcome: int(value) for (outcome,), value in sorted(files.items())},
            "transaction_sets_rejected": int(total(samples, SETS_REJECTED)),
            "warnings": {kind: int(value) for (kind,), value in sorted(warnings.items())},
            "last_file_at": last_file or None,
            "recent_files": [dict(row) for row in recent_files],
        },
        "co_patient_blocks": int(total(samples, CO_PATIENT_BLOCKS)),
        "denials": _denials(samples),
    }
