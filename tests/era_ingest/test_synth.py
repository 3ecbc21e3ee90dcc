"""`era synth`: determinism, X12 validity (checked independently of the parser) and round trips
through the parser (every generated adjustment comes back exactly, with no problem reported)."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from era_cli.main import main as era_main
from era_ingest.synth import ExpectedAdjustment, SynthSummary, generate
from era_ingest.x12 import ParsedTransaction, Problem, parse_path, parse_stream

pytestmark = pytest.mark.unit

# Every (group, CARC) ROUTING.md names, in the group the generator uses for it, the OA "others"
# and the PLB codes.
ROUTING_CODES = {
    "CO-45", "PR-1", "PR-2", "PR-3", "CO-22", "CO-254", "CO-270", "CO-280", "CO-109", "CO-290",
    "CO-291", "OA-23", "CO-253", "CO-59", "CO-94", "CO-131", "CO-144", "CO-237", "CO-18",
    "CO-4", "CO-16", "CO-29", "CO-97", "CO-259", "CO-289", "OA-18", "OA-100",
    "PLB-WO", "PLB-L6", "PLB-72", "PLB-FB", "PLB-CS",
}  # fmt: skip
UNKNOWN = {"CO-999", "OA-998", "PI-997"}
FIELDS = (
    "interchange", "transaction", "segment_no", "level", "claim_id", "claim_status", "line",
    "procedure", "group_code", "carc", "amount", "quantity", "plb_reference", "reversal",
)  # fmt: skip


def _synth(path: Path, **options: Any) -> SynthSummary:
    with path.open("wb") as out:
        return generate(out, **options)


@dataclass
class Parsed:
    adjustments: list[dict[str, Any]]
    problems: list[Problem]
    transactions: int


def _parse(path: Path) -> Parsed:
    return _parse_items(parse_path(path))


def _parse_items(items: Iterable[ParsedTransaction | Problem]) -> Parsed:
    result = Parsed([], [], 0)
    for item in items:
        if isinstance(item, Problem):
            result.problems.append(item)
            continue
        result.transactions += 1
        result.problems.extend(item.problems)
        result.adjustments.extend(item.adjustments)
    return result


def _expected_rows(expected: Iterable[ExpectedAdjustment]) -> Counter[tuple[Any, ...]]:
    return Counter((*(getattr(e, f) for f in FIELDS), e.modifiers, e.rarcs) for e in expected)


def _parsed_rows(adjustments: Iterable[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (*(a[f] for f in FIELDS), tuple(a["modifiers"]), tuple(a["rarcs"])) for a in adjustments
    )


# -- an independent structural check of the X12 text ----------------------------------------
def _amount(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def _cas_total(elements: list[str]) -> Decimal:
    return sum((_amount(a) for a in elements[3::3]), Decimal(0))


def check_x12(text: str) -> Counter[str]:  # noqa: PLR0912 - one linear state machine
    """Assert envelope counts/control numbers and line, claim and transaction balancing."""
    counts: Counter[str] = Counter()
    segments = [s.strip() for s in text.split("~") if s.strip()]
    isa13 = gs06 = st02 = ""
    groups = sets = in_set = 0
    claim: list[Decimal] = []  # charge, paid, Σ CAS
    line: list[Decimal] = []
    paid_total = plb_total = bpr = Decimal(0)

    def close_line() -> None:
        if line:
            assert line[0] - line[1] == line[2], f"line does not balance: {line}"
            line.clear()

    def close_claim() -> None:
        close_line()
        if claim:
            assert claim[0] - claim[1] == claim[2], f"claim does not balance: {claim}"
            claim.clear()

    for seg in segments:
        el = seg.split("*")
        tag = el[0]
        in_set += 1
        if tag == "ISA":
            assert len(seg) == 105, "ISA is fixed width"
            isa13, groups = el[13], 0
        elif tag == "GS":
            gs06, sets, groups = el[6], 0, groups + 1
            assert el[8] == "005010X221A1"
        elif tag == "ST":
            st02, in_set, sets = el[2], 1, sets + 1
            paid_total = plb_total = Decimal(0)
        elif tag == "BPR":
            bpr = _amount(el[2])
            assert bpr >= 0
        elif tag == "CLP":
            close_claim()
            claim[:] = [_amount(el[3]), _amount(el[4]), Decimal(0)]
            paid_total += _amount(el[4])
            counts["claims"] += 1
        elif tag == "SVC":
            close_line()
            line[:] = [_amount(el[2]), _amount(el[3]), Decimal(0)]
            counts["lines"] += 1
        elif tag == "CAS":
            total = _cas_total(el)
            claim[2] += total
            if line:
                line[2] += total
            counts["adjustments"] += len(el[2::3])
        elif tag == "PLB":
            close_claim()
            amounts = [_amount(a) for a in el[4::2]]
            plb_total += sum(amounts, Decimal(0))
            counts["adjustments"] += len(amounts)
        elif tag == "SE":
            close_claim()
            assert int(el[1]) == in_set, f"SE01 {el[1]} != {in_set} segments"
            assert el[2] == st02
            assert bpr == paid_total - plb_total, f"BPR02 {bpr} != {paid_total} - {plb_total}"
            counts["transactions"] += 1
        elif tag == "GE":
            assert (int(el[1]), el[2]) == (sets, gs06)
        elif tag == "IEA":
            assert (int(el[1]), el[2]) == (groups, isa13)
            counts["interchanges"] += 1
    counts["segments"] = len(segments)
    return counts


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary, Parsed]:
    """A ~25k-adjustment file with three envelopes, generated and parsed once."""
    path = tmp_path_factory.mktemp("synth") / "medium.835"
    summary = _synth(path, seed=2024, target_adjustments=25_000, interchanges=3)
    return path, summary, _parse(path)


# -- determinism ----------------------------------------------------------------------------
def test_same_seed_same_bytes_and_different_seed_different_bytes() -> None:
    def run(seed: int) -> bytes:
        out = io.BytesIO()
        generate(out, seed=seed, target_adjustments=3000, interchanges=2, unknown_codes=True)
        return out.getvalue()

    first = run(11)
    assert first == run(11)
    assert first != run(12)


# Pinned digests: the output must not depend on the machine, the OS or hash randomisation. A
# deliberate change to the generator changes these; update them in the same commit.
GOLDEN = [
    (
        {"seed": 1, "target_adjustments": 2000},
        "23cdb7e72df20d098711a5c06fa88f9849ee2fc5181293f281b94911de25a4d7",
    ),
    (
        {
            "seed": 7, "target_adjustments": 1500, "interchanges": 2, "unknown_codes": True,
            "newlines": False, "kind": "dental",
        },
        "847a51a871620e5b400a822bcf78a8f34ea9e23d8d51fda392eb97efd4f4d911",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("options", "digest"), GOLDEN, ids=["default", "dental-options"])
def test_output_is_pinned(options: dict[str, Any], digest: str) -> None:
    out = io.BytesIO()
    generate(out, **options)
    assert hashlib.sha256(out.getvalue()).hexdigest() == digest


def test_text_stream_and_cli_write_the_same_bytes(tmp_path: Path) -> None:
    binary = io.BytesIO()
    text = io.StringIO()
    a = generate(binary, seed=5, target_adjustments=800, kind="dental")
    b = generate(text, seed=5, target_adjustments=800, kind="dental")
    assert binary.getvalue() == text.getvalue().encode("ascii")
    assert a == b
    out = tmp_path / "cli.835"
    argv = ["synth", "--seed", "5", "--adjustments", "800", "--kind", "dental", "--out", str(out)]
    assert era_main(argv) == 0
    assert out.read_bytes() == binary.getvalue()


def test_streams_in_transaction_sized_writes() -> None:
    class Recorder(io.RawIOBase):
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.sizes.append(len(b))
            return len(b)

    out = Recorder()
    summary = generate(out, seed=3, target_bytes=3_000_000)
    assert len(out.sizes) >= summary.transactions
    assert max(out.sizes) < 600_000
    assert sum(out.sizes) == summary.bytes


def test_size_targets_are_approximately_met() -> None:
    by_bytes = generate(io.BytesIO(), seed=8, target_bytes=500_000)
    assert 500_000 <= by_bytes.bytes < 600_000
    by_count = generate(io.BytesIO(), seed=8, target_adjustments=5000)
    assert 5000 <= by_count.adjustments < 5300


# -- validity and coverage ------------------------------------------------------------------
def test_medium_file_is_valid_x12_and_matches_its_summary(
    medium: tuple[Path, SynthSummary, Parsed],
) -> None:
    path, summary, _ = medium
    counts = check_x12(path.read_text("ascii"))
    assert counts["interchanges"] == summary.interchanges == 3
    assert counts["transactions"] == summary.transactions
    assert counts["claims"] == summary.claims
    assert counts["lines"] == summary.lines
    assert counts["adjustments"] == summary.adjustments
    assert counts["segments"] == summary.segments
    assert path.stat().st_size == summary.bytes
    assert summary.total_payment == summary.total_claim_paid - summary.total_plb


def test_every_routing_code_reversals_and_hidden_denials_are_generated(
    medium: tuple[Path, SynthSummary, Parsed],
) -> None:
    _, summary, parsed = medium
    assert set(summary.adjustments_by_code) >= ROUTING_CODES
    assert not UNKNOWN & set(summary.adjustments_by_code)
    assert summary.reversals > 0
    reversals = [a for a in parsed.adjustments if a["reversal"]]
    assert reversals and all(a["claim_status"] == "22" for a in reversals)
    assert {a["claim_id"] for a in reversals} <= {
        a["claim_id"] for a in parsed.adjustments if a["claim_status"] != "22"
    }
    hidden = [
        a
        for a in parsed.adjustments
        if a["level"] == "line" and (a["group_code"], a["carc"]) == ("CO", "45")
        if Decimal(a["amount"]) == Decimal(a["line_charge"]) and Decimal(a["line_paid"]) == 0
    ]
    assert hidden
    procedures = {a["procedure"].split(":")[0] for a in parsed.adjustments if a["procedure"]}
    assert procedures == {"AD", "HC"}
    assert any(a["rarcs"] for a in parsed.adjustments if a["level"] == "line")
    assert any(a["plb_reference"] for a in parsed.adjustments if a["level"] == "provider")
    assert len({a["payer_id"] for a in parsed.adjustments}) == 6


def test_claim_statuses_and_each_forwarding_signal_are_generated_at_realistic_rates(
    medium: tuple[Path, SynthSummary, Parsed],
) -> None:
    _, _, parsed = medium
    claims: dict[tuple[object, ...], dict[str, Any]] = {}
    for a in parsed.adjustments:
        if a["level"] != "provider":
            claims.setdefault((a["transaction"], a["claim_id"], a["claim_status"]), a)
    statuses = Counter(a["claim_status"] for a in claims.values())
    share = {status: count / len(claims) for status, count in statuses.items()}
    assert 0.01 < share["25"] < 0.06  # dental predeterminations (the medium file is mixed)
    assert 0.005 < share["19"] < 0.05
    assert 0.0005 < share["23"] < 0.01
    assert set(statuses) <= {"1", "2", "3", "4", "19", "22", "23", "25"}

    def signals(a: dict[str, Any]) -> tuple[bool, bool, bool]:
        remark = any(code in a["rarcs"] for code in ("MA18", "MA07", "N89"))
        return a["claim_status"] == "19", a["crossover_carrier"] is not None, remark

    shapes = Counter(signals(a) for a in claims.values() if a["claim_status"] in ("1", "19"))
    # each signal alone, and Medicare's all three together
    for alone in ((True, False, False), (False, True, False), (False, False, True)):
        assert shapes[alone] > 0, alone
    assert shapes[(True, True, True)] > 0
    predeterminations = [a for a in parsed.adjustments if a["claim_status"] == "25"]
    assert {a["procedure"].split(":")[0] for a in predeterminations} == {"AD"}
    assert all(Decimal(a["claim_paid"]) == 0 for a in predeterminations)
    assert any(a["carc"] == "101" for a in predeterminations)
    assert all(a["estimated_payment"] is not None for a in predeterminations)


def test_unknown_codes_only_when_asked() -> None:
    summary = generate(io.BytesIO(), seed=4, target_adjustments=20_000, unknown_codes=True)
    unknown = sum(summary.adjustments_by_code.get(code, 0) for code in UNKNOWN)
    assert 0 < unknown < summary.adjustments * 0.01


# -- round trips through the parser ---------------------------------------------------------
def test_medium_file_round_trips_with_zero_problems(
    medium: tuple[Path, SynthSummary, Parsed],
) -> None:
    _, summary, parsed = medium
    assert parsed.problems == []
    assert parsed.transactions == summary.transactions
    assert all(a["balance_error"] is None for a in parsed.adjustments)
    assert len(parsed.adjustments) == summary.adjustments
    by_code = Counter(
        f"{a['group_code']}-{a['carc']}" if a["group_code"] else f"PLB-{a['carc']}"
        for a in parsed.adjustments
    )
    assert dict(by_code) == summary.adjustments_by_code
    assert dict(Counter(a["level"] for a in parsed.adjustments)) == summary.adjustments_by_level
    amounts: dict[str, Decimal] = {}
    for a in parsed.adjustments:
        key = f"{a['group_code']}-{a['carc']}" if a["group_code"] else f"PLB-{a['carc']}"
        amounts[key] = amounts.get(key, Decimal(0)) + Decimal(a["amount"])
    assert amounts == summary.amount_by_code
    total = sum((Decimal(a["amount"]) for a in parsed.adjustments), Decimal(0))
    assert total == summary.total_adjustment_amount
    assert len({a["event_id"] for a in parsed.adjustments}) == summary.adjustments


@pytest.mark.parametrize(
    "options",
    [
        {"seed": 1, "target_adjustments": 4000, "interchanges": 2, "newlines": False},
        {"seed": 2, "target_adjustments": 3000, "kind": "medical", "unknown_codes": True},
        {"seed": 3, "target_bytes": 300_000, "kind": "dental", "payers": 12, "payees": 9},
    ],
    ids=["two-envelopes-single-line", "medical-unknown-codes", "dental-many-parties"],
)
def test_every_expected_adjustment_comes_back_exactly(tmp_path: Path, options: Any) -> None:
    path = tmp_path / "rt.835"
    summary = _synth(path, record_expected=True, **options)
    parsed = _parse(path)
    assert parsed.problems == []
    assert summary.expected is not None
    assert _parsed_rows(parsed.adjustments) == _expected_rows(summary.expected)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    options=st.fixed_dictionaries(
        {
            "seed": st.integers(min_value=0, max_value=2**32),
            "target_adjustments": st.integers(min_value=1, max_value=400),
            "interchanges": st.integers(min_value=1, max_value=3),
            "newlines": st.booleans(),
            "unknown_codes": st.booleans(),
            "kind": st.sampled_from(["mixed", "dental", "medical"]),
            "payers": st.integers(min_value=1, max_value=12),
            "payees": st.integers(min_value=1, max_value=9),
            "min_claims": st.integers(min_value=1, max_value=12),
        }
    )
)
def test_parser_returns_exactly_the_generated_adjustments(options: dict[str, Any]) -> None:
    out = io.BytesIO()
    summary = generate(out, max_claims=options["min_claims"] + 20, record_expected=True, **options)
    data = out.getvalue()
    check_x12(data.decode("ascii"))
    parsed = _parse_items(parse_stream(io.BytesIO(data), "prop.835"))
    assert parsed.problems == []
    assert summary.expected is not None
    assert len(summary.expected) == summary.adjustments >= 1
    assert _parsed_rows(parsed.adjustments) == _expected_rows(summary.expected)
    assert all(a["balance_error"] is None for a in parsed.adjustments)
