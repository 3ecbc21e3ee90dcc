from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from era_contract.codec import AvroCodec
from era_contract.schemas import DEAD_LETTER
from era_ingest.records import FileReport, claim_key, dead_letter_for, file_digest
from era_ingest.x12 import Problem

pytestmark = pytest.mark.unit


def test_claim_key_keeps_a_claim_together_and_separates_payers(make_adjustment: Any) -> None:
    line = make_adjustment(payer_id="P1", claim_id="C1", level="line")
    claim = make_adjustment(payer_id="P1", claim_id="C1", level="claim", line=None)
    other_payer = make_adjustment(payer_id="P2", claim_id="C1")
    assert claim_key(line) == claim_key(claim) == b"P1|C1"
    assert claim_key(other_payer) != claim_key(line)


def test_provider_level_adjustments_are_keyed_by_payment(make_adjustment: Any) -> None:
    plb = make_adjustment(payer_id="P1", claim_id=None, level="provider", trace="EFT9")
    assert claim_key(plb) == b"P1|PLB:EFT9"


def test_dead_letter_is_a_valid_envelope_with_a_deterministic_id() -> None:
    problem = Problem(
        "/in/x.835", 57, "SE01 says 20 segments, counted 19", transaction="0004", rejected=True
    )
    first = dead_letter_for(problem, reason="rejected_transaction", file_sha256="ab", now_ms=1)
    again = dead_letter_for(problem, reason="rejected_transaction", file_sha256="ab", now_ms=2)
    assert first["dead_letter_id"] == again["dead_letter_id"]
    assert first["file"] == "x.835" and first["segment_no"] == 57
    codec = AvroCodec(DEAD_LETTER)
    assert codec.decode(codec.encode(first)) == first


@pytest.mark.parametrize(
    ("accepted", "rejected", "duplicate", "outcome"),
    [
        (2, 0, None, "accepted"),
        (2, 1, None, "partial"),
        (0, 1, None, "rejected"),
        (0, 0, None, "rejected"),
        (1, 0, "x.835", "duplicate"),
    ],
)
def test_report_outcome(accepted: int, rejected: int, duplicate: str | None, outcome: str) -> None:
    report = FileReport(
        "x.835",
        "ab",
        transactions_accepted=accepted,
        transactions_rejected=rejected,
        duplicate_of=duplicate,
    )
    assert report.settle() == outcome


def test_file_digest_streams_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * (3 << 20))
    assert file_digest(path, chunk_size=1000) == file_digest(path)
    import hashlib

    assert file_digest(path) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()


def test_report_counts_warnings_by_kind_and_keeps_every_line() -> None:
    report = FileReport(file="x.835", sha256="ab")
    report.add_problem(
        Problem("in/x.835", 1, "line breaks dropped", "warning", kind="line_wrapped")
    )
    report.add_problem(Problem("in/x.835", 9, "claim out of balance", "warning", kind="balance"))
    report.add_problem(Problem("in/x.835", 12, "claim out of balance", "warning", kind="balance"))
    report.add_problem(Problem("in/x.835", 30, "CLP04: expected a value", rejected=True))
    data = report.as_dict()
    assert data["warnings"] == {"line_wrapped": 1, "balance": 2}
    assert data["problems"] == [
        "warning: in/x.835:1: line breaks dropped",
        "warning: in/x.835:9: claim out of balance",
        "warning: in/x.835:12: claim out of balance",
        "error: in/x.835:30: CLP04: expected a value",
    ]
    assert FileReport(**data).as_dict() == data  # a progress receipt reads back


def test_warnings_metric_counts_committed_warnings_by_kind() -> None:
    from prometheus_client import CollectorRegistry

    from era_ingest.metrics import IngestMetrics
    from era_ingest.records import Tally
    from era_ingest.x12.problems import WARNING_KINDS
    from era_testing import metric_samples

    registry = CollectorRegistry()
    metrics = IngestMetrics(registry)
    tally = Tally()
    tally.warnings["padding"] += 2
    tally.warnings["envelope_count"] += 1
    metrics.record_committed(tally)
    samples = {
        dict(labels)["kind"]: value
        for (name, labels), value in metric_samples(registry).items()
        if name == "era_ingest_warnings_total"
    }
    assert samples == {
        kind: {"padding": 2.0, "envelope_count": 1.0}.get(kind, 0.0) for kind in WARNING_KINDS
    }


def test_report_lines_print_as_the_parser_writes_problems() -> None:
    from era_ingest.records import stderr_line

    warning = Problem("in/x.835", 9, "claim out of balance", "warning", kind="balance")
    error = Problem("in/x.835", 30, "CLP04: expected a value", rejected=True)
    report = FileReport(file="x.835", sha256="ab")
    report.add_problem(warning)
    report.add_problem(error)
    assert [stderr_line(line) for line in report.problems] == [str(warning), str(error)]
    assert str(warning) == "in/x.835:9: WARNING claim out of balance"
    assert report.errors == 1
    assert stderr_line("something else") == "something else"
