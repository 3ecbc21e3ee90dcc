"""What ingest publishes for a file, decided without Kafka: keys, dead-letter envelopes and the
file report."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from era_analytics.definition import ClaimVerdict
from era_analytics.locations import LocationLabels
from era_ingest.x12 import Problem
from era_ingest.x12.problems import OTHER

INGEST = "ingest"

# CLP02 claim status → the outcome a denial rate is computed from.
_CLAIM_OUTCOMES = {
    "1": "paid",
    "2": "paid",
    "3": "paid",
    "19": "paid",
    "20": "paid",
    "21": "paid",
    "4": "denied",
    "22": "reversal",
}


def claim_outcome(status: str) -> str:
    """``paid``, ``denied``, ``reversal`` or ``other`` for a CLP02 claim status code."""
    return _CLAIM_OUTCOMES.get(status, "other")


@dataclass(slots=True)
class Tally:
    """What one file contributed to the metrics; applied only once its transaction commits,
    so an aborted and retried file is not counted twice."""

    adjustments: Counter[tuple[str, str]] = field(default_factory=Counter)  # (payer, level)
    claims: Counter[tuple[str, str]] = field(default_factory=Counter)  # (payer, outcome)
    dead_letters: Counter[str] = field(default_factory=Counter)  # reason
    warnings: Counter[str] = field(default_factory=Counter)  # Problem.kind
    rejected_sets: int = 0
    adjudicated: Counter[tuple[str, str]] = field(default_factory=Counter)  # (location, payer)
    denied: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # + upstream cause
    denied_dollars: dict[tuple[str, str, str], float] = field(default_factory=dict)
    remittance_payers: set[str] = field(default_factory=set)

    def add_claims(self, payer: str | None, statuses: dict[str, int]) -> None:
        """Count a transaction set's claims by outcome."""
        for status, count in statuses.items():
            self.claims[(payer or "unknown", claim_outcome(status))] += count

    def add_verdicts(self, verdicts: list[ClaimVerdict], labels: LocationLabels) -> None:
        """Count a transaction set's claims by the denial definition (era_analytics): the
        adjudicated ones per location and payer, the denied ones and their dollars also per
        upstream cause."""
        for verdict in verdicts:
            if not verdict.adjudicated:
                continue
            location = labels.label(verdict.payee_npi)
            self.adjudicated[(location, verdict.payer)] += 1
            if verdict.denied:
                key = (location, verdict.payer, verdict.upstream_cause)
                self.denied[key] += 1
                dollars = self.denied_dollars.get(key, 0.0) + float(verdict.denied_amount)
                self.denied_dollars[key] = dollars


def claim_key(adjustment: dict[str, Any]) -> bytes:
    """Partition key: every event of one claim (or one PLB of a payment) on one partition."""
    payer = adjustment.get("payer_id") or ""
    claim = adjustment.get("claim_id")
    if claim is None:
        claim = f"PLB:{adjustment.get('trace') or adjustment['transaction']}"
    return f"{payer}|{claim}".encode()


def remittance_key(remittance: dict[str, Any]) -> bytes:
    """Partition key of a Remittance: payer and trace (TRN02), so one check's events of one
    payer stay in order; the set's ST02 when it has no trace."""
    payer = remittance.get("payer_id") or ""
    trace = remittance.get("trace") or remittance["transaction"]
    return f"{payer}|{trace}".encode()


def file_digest(path: Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes (streamed): the identity of a file in the ingest ledger."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def dead_letter_for(
    problem: Problem, *, reason: str, file_sha256: str, now_ms: int
) -> dict[str, Any]:
    """The DeadLetter record of a rejected transaction set or an unreadable file."""
    ident = f"{file_sha256}\x1f{problem.segment_no}\x1f{problem.transaction or ''}"
    return {
        "dead_letter_id": hashlib.sha256(ident.encode()).hexdigest()[:32],
        "service": INGEST,
        "reason": reason,
        "error_class": "X12Problem",
        "error_message": problem.message,
        "file": Path(problem.file).name,
        "segment_no": problem.segment_no,
        "interchange": problem.interchange,
        "transaction": problem.transaction,
        "source_topic": None,
        "source_partition": None,
        "source_offset": None,
        "payload": None,
        "occurred_at": now_ms,
        "source_key": None,
    }


_REPORT_LINE = re.compile(r"(warning|error): (.*?:\d+): (.*)", re.DOTALL)


def stderr_line(entry: str) -> str:
    """A report's problem line (``severity: FILE:SEGMENT: message``) as the CLI prints it:
    ``FILE:SEGMENT: message``, ``FILE:SEGMENT: WARNING message`` for a warning."""
    found = _REPORT_LINE.fullmatch(entry)
    if found is None:
        return entry
    severity, where, message = found.groups()
    return f"{where}: WARNING {message}" if severity == "warning" else f"{where}: {message}"


def exit_status(report: FileReport) -> int:
    """What a file's report means for the exit status of `era ingest` (README, "exit status"):
    1 when a transaction set or the file was rejected, or an error was reported; else 0
    (accepted or already published, warnings included)."""
    return 1 if report.outcome in ("rejected", "partial") or report.errors else 0


def set_receipt(file: str) -> dict[str, str]:
    """The ledger value of a published transaction set (its key is ``set:<fingerprint>``)."""
    return {"file": file}


@dataclass(slots=True)
class FileReport:
    """The outcome of one file, written beside it as ``<name>.report.json``."""

    file: str
    sha256: str
    outcome: str = "accepted"
    adjustments: int = 0
    claims: int = 0
    remittances: int = 0
    transactions_accepted: int = 0
    transactions_rejected: int = 0
    transactions_duplicate: int = 0
    problems: list[str] = field(default_factory=list)
    duplicate_of: str | None = None
    warnings: dict[str, int] = field(default_factory=dict)  # Problem.kind -> count
    errors: int = 0  # error problems (rejected sets and files included)

    def add_problem(self, problem: Problem) -> None:
        """Record a problem (errors and warnings alike) in the report; warnings are also
        counted by kind."""
        self.problems.append(
            f"{problem.severity}: {problem.file}:{problem.segment_no}: {problem.message}"
        )
        if problem.severity == "warning":
            kind = problem.kind or OTHER
            self.warnings[kind] = self.warnings.get(kind, 0) + 1
        else:
            self.errors += 1

    def settle(self) -> str:
        """Decide the outcome from what was counted: accepted, partial or rejected."""
        if self.duplicate_of is not None or (
            self.transactions_duplicate
            and not self.transactions_accepted
            and not self.transactions_rejected
        ):
            self.outcome = "duplicate"
        elif self.transactions_rejected and self.transactions_accepted:
            self.outcome = "partial"
        elif self.transactions_rejected or not self.transactions_accepted:
            self.outcome = "rejected"
        else:
            self.outcome = "accepted"
        return self.outcome

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (no PHI: counts, positions and messages only)."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "outcome": self.outcome,
            "adjustments": self.adjustments,
            "claims": self.claims,
            "remittances": self.remittances,
            "transactions_accepted": self.transactions_accepted,
            "transactions_rejected": self.transactions_rejected,
            "transactions_duplicate": self.transactions_duplicate,
            "problems": self.problems,
            "duplicate_of": self.duplicate_of,
            "warnings": self.warnings,
            "errors": self.errors,
        }
