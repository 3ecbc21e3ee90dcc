"""Every public sample file (tests/data/era-samples) parses to the expected adjustments or is
rejected with a specific message. The expected outcome of each file is the table below; the
values were checked by reading the files."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from era_ingest.x12 import ADJUSTMENT_FIELDS, ParsedTransaction, Problem, parse_path

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "era-samples"

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Outcome:
    """What one sample file must give."""

    sets: int  # accepted transaction sets
    count: int  # adjustments
    amount_total: str  # Σ amount of all adjustments
    # (segment_no, message fragment, rejected) of every error-severity problem, in order
    errors: tuple[tuple[int, str, bool], ...] = ()
    warnings: int = 0  # warning problems (balance errors, bad dates, …)
    # (adjustment index, field, value) spot checks
    checks: tuple[tuple[int, str, object], ...] = ()
    unbalanced: int = 0  # adjustments carrying balance_error
    implementation: str = "005010X221A1"
    decision: str = ""  # why, when the file is odd
    levels: dict[str, int] = field(default_factory=dict)
    warning_kinds: dict[str, int] = field(default_factory=dict)  # when the file has any odd one


OUTCOMES: dict[str, Outcome] = {
    "badx12_X221-dollars-and-data-sent-separate.edi": Outcome(
        1,
        5,
        "1055",
        checks=(
            (0, "level", "claim"),
            (0, "claim_id", "5554555444"),
            (0, "group_code", "CO"),
            (0, "carc", "A2"),
            (0, "amount", "50"),
            (0, "payer_name", "RUSHMORE LIFE"),
            (0, "payee_npi", "5544667733"),
            (0, "trace", "71700666555"),
            (0, "remit_date", "2002-03-16"),
            (0, "patient_name", "BUDD, WILLIAM"),
            (0, "member_id", "33344555510"),
            (1, "procedure", "HC:99211"),
            (1, "service_date", "2002-03-01"),
            (1, "units", "1"),
            (4, "carc", "45"),
            (4, "line", 1),
        ),
        levels={"claim": 2, "line": 3},
        decision="single line, no trailing newline",
    ),
    "badx12_X221-dollars-and-data-sent-together.edi": Outcome(
        1,
        3,
        "76366.97",
        checks=(
            (0, "payer_id", "999"),  # REF*2U of the payer loop
            (1, "rarcs", ["MA02"]),  # MOA03
            (2, "level", "provider"),
            (2, "carc", "CV"),
            (2, "plb_reference", "CP"),
            (2, "amount", "-1.27"),
            (2, "claim_id", None),
            (2, "group_code", None),
        ),
        levels={"claim": 2, "provider": 1},
    ),
    "badx12_X221-era-sample.edi": Outcome(
        1,
        5,
        "94",
        checks=(
            (0, "procedure", "AD:D0120"),
            (0, "allowed_amount", "25"),
            (0, "service_date", "2014-03-24"),
            (0, "payee_npi", "999994703"),  # N103 = FI: the id given
            (4, "procedure", "AD:D1110"),
            (4, "line", 5),
        ),
        levels={"line": 5},
    ),
    "badx12_X221-multiple-claims-single-check.edi": Outcome(
        1,
        39,
        "2008.2",
        checks=(
            (15, "procedure", "AD:D2790"),
            (15, "group_code", "PR"),
            (15, "amount", "756"),
            (22, "amount", "11.2"),
            (9, "member_id", "SJD11113"),
        ),
        levels={"line": 39},
    ),
    "badx12_X221-secondary-payment-with-higher-fee-schedule.edi": Outcome(
        1,
        2,
        "507",
        checks=((1, "carc", "94"), (1, "amount", "-9"), (0, "claim_status", "2")),
    ),
    "badx12_X221-secondary-payments.edi": Outcome(
        1,
        5,
        "9853.14",
        checks=(
            (0, "level", "claim"),
            (1, "procedure", "HC:12345"),
            (1, "modifiers", ["26"]),
            (2, "carc", "1"),
            (3, "carc", "2"),
            (3, "segment_no", 37),
            (3, "units", "1"),
        ),
    ),
    "badx12_X221-tertiary-payments.edi": Outcome(
        1, 1, "1579", checks=((0, "procedure", "HC:24599"), (0, "claim_status", "3"))
    ),
    "edi835parser_blue_cross_nc_sample.txt": Outcome(
        0,
        0,
        "0",
        errors=((0, "no ISA interchange header: the file starts with an ST segment", False),),
        decision="no ISA/GS envelope: rejected whole with one file-level problem",
    ),
    "edi835parser_emedny_sample.txt": Outcome(
        1,
        4,
        "56.75",
        checks=(
            (2, "rarcs", ["N206"]),
            (2, "modifiers", ["RB"]),
            (2, "units", "0"),
            (0, "rarcs", []),
            (0, "claim_status", "2"),
        ),
    ),
    "edi835parser_united_healthcare_legacy_sample.txt": Outcome(
        1,
        7,
        "807.53",
        checks=(
            (0, "procedure", "HC:B4152"),  # ISA16 is '>'
            (4, "carc", "2"),
            (4, "amount", "5.13"),
            (5, "carc", "1"),  # second triplet of the same CAS
            (5, "amount", "110"),
            (5, "segment_no", 59),
            (0, "payer_id", "87726"),
        ),
    ),
    "lfh_cob-contractural-adjustment.835": Outcome(
        1,
        2,
        "507.00",
        checks=((0, "procedure", "HC:55669"), (1, "amount", "-9.00"), (1, "units", "1.00")),
        decision="ISA16 ':' but SVC01 'HC>55669': split on '>' silently",
    ),
    "lfh_demo.835": Outcome(
        1,
        3,
        "76366.97",
        checks=((2, "carc", "CV"), (2, "plb_reference", "CP"), (1, "rarcs", ["MA02"])),
    ),
    "lfh_managed-care.835": Outcome(
        1,
        5,
        "1055.00",
        warnings=1,
        checks=((0, "remit_date", "2002-03-14"), (0, "amount", "50.00")),
        decision="BPR16 20002316 is not a date: warning, remit_date falls back to DTM*405",
    ),
    "lfh_secondary-payment.835": Outcome(
        1,
        5,
        "9853.14",
        checks=((1, "procedure", "HC:12345"), (1, "modifiers", ["26"]), (4, "carc", "42")),
        decision="ISA16 ':' but SVC01 'HC>12345>26': split on '>' silently",
    ),
    "lfh_tertiary-payment.835": Outcome(
        1,
        1,
        "1579.00",
        warnings=2,
        unbalanced=1,
        checks=(
            (0, "procedure", "HC"),
            (0, "line_charge", "24599.00"),
            (
                0,
                "balance_error",
                "line out of balance: SVC02 - SVC03 = 22832.50, line CAS total 1579.00",
            ),
        ),
        decision="SVC*HC*24599.00*…: no procedure code, shifted amounts; kept, sent to review",
    ),
    "opendental_JustinSmithERA.txt": Outcome(
        1,
        8,
        "252",
        implementation="004010X091A1",
        checks=((0, "group_code", "PI"), (0, "procedure", "AD:D0120"), (7, "line", 4)),
        decision="UTF-8 BOM before ISA",
    ),
    "opendental_JustinSmithERA_NoAutoProcessCARCs.txt": Outcome(
        1,
        4,
        "420",
        implementation="004010X091A1",
        warnings=10,
        unbalanced=4,
        checks=(
            (0, "carc", "16"),
            (0, "amount", "158"),
            (
                0,
                "balance_error",
                "claim out of balance: CLP03 - CLP04 = 56, claim and line CAS total 158",
            ),
            (1, "procedure", "AD:D0120"),
            (3, "carc", "50"),
        ),
        levels={"claim": 2, "line": 2},
        decision="an edited copy whose SE01 still counts the original 91 segments: read whole"
        " with an SE01 warning; its edited claims do not balance, so all 4 go to review",
        warning_kinds={"envelope_count": 1, "balance": 9},
    ),
    "opendental_x835MassHealth.txt": Outcome(
        1,
        25,
        "6327",
        implementation="004010X091A1",
        warnings=53,
        unbalanced=25,
        checks=((6, "rarcs", ["C715", "T351"]), (6, "segment_no", 90)),
        decision="obfuscated data: nothing balances; GE02/IEA02 differ from GS06/ISA13 (warnings)",
        warning_kinds={"control_number": 2, "balance": 51},
    ),
    "opendental_x835PayerControlNumber.txt": Outcome(
        5,
        73,
        "4822.93",
        implementation="004010X091A1",
        warnings=78,
        unbalanced=73,
        checks=(
            (4, "quantity", "8.4"),
            (4, "rarcs", ["L385"]),
            (4, "segment_no", 42),
            (0, "amount", "030"),  # digits exactly as in the file
        ),
        decision="obfuscated data: nothing balances; GE02/IEA02 differ from GS06/ISA13 (warnings)",
        warning_kinds={"control_number": 2, "balance": 76},
    ),
    "pyx12_835_mult_loops.txt": Outcome(
        1,
        3,
        "915.39",
        checks=((0, "rarcs", ["N14"]), (0, "units", "68"), (0, "claim_status", "4")),
    ),
    "pyx12_835_simple_4010.txt": Outcome(
        1,
        5,
        "-977.94",
        implementation="004010X091A1",
        warnings=1,
        unbalanced=5,
        checks=(
            (0, "reversal", True),
            (0, "claim_status", "22"),
            (0, "group_code", "CR"),
            (0, "amount", "-100"),
            (0, "claim_charge", "-310"),
            (1, "reversal", False),
            (2, "level", "provider"),
            (2, "carc", "CS"),
            (2, "plb_reference", None),
            (2, "amount", "-1008.1"),
            (
                2,
                "balance_error",
                "transaction out of balance: BPR02 = 5950.21, CLP04 total - PLB total = 467.69",
            ),
        ),
        decision="BPR02 does not equal CLP04 - PLB: every adjustment to review, one warning",
    ),
    "tasty_multi-line-not-delimited.edi": Outcome(
        1, 4, "56.75", checks=((3, "carc", "251"),), decision="newline is the only terminator"
    ),
    "tasty_profee-multiple.edi": Outcome(
        1,
        4,
        "56.75",
        warnings=155,
        decision="one interchange repeated 156 times with the same control numbers and content:"
        " the first is kept, the 155 repeats are skipped as duplicates with a warning each",
    ),
    "tasty_profee.edi": Outcome(1, 4, "56.75", checks=((3, "amount", "20"),)),
    "tigershark_835-example-2_pipe.txt": Outcome(
        2,
        2,
        "11275.91",
        implementation="004010X091A1",
        warnings=4,
        checks=(
            (0, "claim_id", "001-SSSSSSSSST"),
            (0, "group_code", "PR"),
            (0, "amount", "145.00"),
            (1, "procedure", "HC:88888"),
            (1, "amount", "11130.91"),
            (1, "segment_no", 58),
        ),
        levels={"claim": 1, "line": 1},
        decision="'\\n~SEG' layout; SE01 28 in both sets (29 and 30 segments) and GE01 1 for two"
        " sets: read whole with three warnings. The first set has no CAS (no adjustment) and"
        " BPR02 12345.67 against CLP04 200.02: one balance warning",
        warning_kinds={"envelope_count": 3, "balance": 1},
    ),
    "tigershark_835-example_pipe.txt": Outcome(
        1,
        3,
        "10914.72",
        implementation="004010X091A1",
        warnings=2,
        unbalanced=3,
        checks=(
            (1, "rarcs", ["N220", "M68"]),
            (2, "level", "provider"),
            (2, "carc", "WO"),
            (2, "amount", "-361.19"),
            (
                2,
                "balance_error",
                "transaction out of balance: BPR02 = 12345.67, CLP04 total - PLB total = 12561.86",
            ),
        ),
        levels={"claim": 1, "line": 1, "provider": 1},
        decision="'\\n~SEG' layout; SE01 43 for 47 segments: read whole with a warning. BPR02"
        " does not equal CLP04 - PLB: every adjustment to review",
        warning_kinds={"envelope_count": 1, "balance": 1},
    ),
}


def test_every_sample_file_has_an_expected_outcome() -> None:
    files = {p.name for p in SAMPLES.iterdir() if p.name not in {"PROVENANCE.md", "LICENSES.md"}}
    assert files == set(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_sample_outcome(name: str, x12: SimpleNamespace) -> None:
    expected = OUTCOMES[name]
    parsed = list(parse_path(SAMPLES / name))
    found = x12.adjustments(parsed)
    every = x12.problems(parsed)

    assert sum(isinstance(item, ParsedTransaction) for item in parsed) == expected.sets
    assert len(found) == expected.count
    assert str(sum((Decimal(str(a["amount"])) for a in found), Decimal(0))) == expected.amount_total
    errors = [(p.segment_no, p.message, p.rejected) for p in every if p.severity == "error"]
    assert len(errors) == len(expected.errors), errors
    for (segment_no, message, rejected), (want_no, fragment, want_rejected) in zip(
        errors, expected.errors, strict=True
    ):
        assert (segment_no, rejected) == (want_no, want_rejected)
        assert fragment in message
    assert sum(p.severity == "warning" for p in every) == expected.warnings
    if expected.warning_kinds:
        kinds: dict[str, int] = {}
        for problem in every:
            if problem.severity == "warning":
                kinds[str(problem.kind)] = kinds.get(str(problem.kind), 0) + 1
        assert kinds == expected.warning_kinds
    assert sum(a["balance_error"] is not None for a in found) == expected.unbalanced
    for index, name_, value in expected.checks:
        assert found[index][name_] == value, (index, name_)
    for adjustment in found:
        assert tuple(adjustment) == ADJUSTMENT_FIELDS
        assert adjustment["file"] == name
        assert adjustment["implementation"] == expected.implementation
        assert adjustment["ingested_at"] is None
    if expected.levels:
        levels: dict[str, int] = {}
        for adjustment in found:
            levels[str(adjustment["level"])] = levels.get(str(adjustment["level"]), 0) + 1
        assert levels == expected.levels


def test_event_ids_are_stable_and_unique_per_position(x12: SimpleNamespace) -> None:
    first = x12.adjustments(list(parse_path(SAMPLES / "badx12_X221-secondary-payments.edi")))
    second = x12.adjustments(list(parse_path(SAMPLES / "badx12_X221-secondary-payments.edi")))
    ids = [a["event_id"] for a in first]
    assert ids == [a["event_id"] for a in second]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, str) and len(i) == 32 for i in ids)


def test_resent_interchange_gives_the_same_event_ids(x12: SimpleNamespace) -> None:
    # tasty_profee-multiple.edi is one interchange repeated 156 times with the same control
    # numbers and content: the repeats would give the same ids, so they are skipped, never
    # published twice.
    parsed = list(parse_path(SAMPLES / "tasty_profee-multiple.edi"))
    ids = [a["event_id"] for a in x12.adjustments(parsed)]
    assert len(ids) == len(set(ids)) == 4
    repeats = [p for p in x12.problems(parsed) if "skipped as a duplicate" in p.message]
    assert len(repeats) == 155
    assert all(p.severity == "warning" and not p.rejected for p in repeats)


def test_file_level_problem_is_a_single_problem() -> None:
    parsed = list(parse_path(SAMPLES / "edi835parser_blue_cross_nc_sample.txt"))
    assert len(parsed) == 1
    assert isinstance(parsed[0], Problem)
    assert str(parsed[0]).startswith(f"{SAMPLES / 'edi835parser_blue_cross_nc_sample.txt'}:0: ")


def test_provenance_and_licences_travel_with_the_samples() -> None:
    assert (SAMPLES / "PROVENANCE.md").is_file()
    licences = (SAMPLES / "LICENSES.md").read_text(encoding="utf-8")
    for licence in ("GPL-2.0", "MIT", "Apache-2.0", "BSD"):
        assert licence in licences


def test_a_set_reusing_control_numbers_with_other_content_gets_its_own_ids(
    tmp_path: Path, x12: SimpleNamespace
) -> None:
    original = (SAMPLES / "tasty_profee.edi").read_bytes()
    changed = original.replace(b"CAS*CO*29*12~", b"CAS*CO*29*13~", 1)
    assert changed != original
    path = tmp_path / "reused-control-numbers.835"
    path.write_bytes(original + b"\n" + changed)
    parsed = list(parse_path(path))
    found = x12.adjustments(parsed)
    assert len(found) == 8
    assert not [p for p in x12.problems(parsed) if p.rejected or "duplicate" in p.message]
    assert len({a["event_id"] for a in found}) == 8, "other content, other ids"


# What strict envelope checking (ERA_INGEST_STRICT_ENVELOPE=true, `era parse --strict`) gives
# for the samples whose envelope counts or control numbers are wrong: the rejections and errors
# every file gave before envelope mismatches became warnings.
STRICT_OUTCOMES: dict[str, tuple[int, int, tuple[tuple[int, str, bool], ...]]] = {
    "opendental_JustinSmithERA_NoAutoProcessCARCs.txt": (
        0,
        0,
        (
            (
                89,
                "SE01: expected 87 (segments from ST to SE), got 91 (transaction set 0001 "
                "rejected)",
                True,
            ),
        ),
    ),
    "opendental_x835MassHealth.txt": (
        1,
        25,
        (
            (297, "GE02: expected 8 (GS06), got '7'", False),
            (298, "IEA02: expected 661218265 (ISA13), got '211127644'", False),
        ),
    ),
    "opendental_x835PayerControlNumber.txt": (
        5,
        73,
        (
            (538, "GE02: expected 8 (GS06), got '5'", False),
            (539, "IEA02: expected 134288381 (ISA13), got '828346414'", False),
        ),
    ),
    "tigershark_835-example-2_pipe.txt": (
        0,
        0,
        (
            (31, "SE01: expected 29 (segments from ST to SE), got 28", True),
            (61, "SE01: expected 30 (segments from ST to SE), got 28", True),
            (62, "GE01: expected 2 (transaction sets in group 15555), got 1", False),
        ),
    ),
    "tigershark_835-example_pipe.txt": (
        0,
        0,
        ((49, "SE01: expected 47 (segments from ST to SE), got 43", True),),
    ),
}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_strict_envelope_checking_reproduces_the_rejections(
    name: str, x12: SimpleNamespace
) -> None:
    parsed = list(parse_path(SAMPLES / name, strict=True))
    lenient = OUTCOMES[name]
    sets, count, errors = STRICT_OUTCOMES.get(name, (lenient.sets, lenient.count, lenient.errors))
    assert sum(isinstance(item, ParsedTransaction) for item in parsed) == sets
    assert len(x12.adjustments(parsed)) == count
    found = [(p.segment_no, p.message, p.rejected) for p in x12.problems(parsed)]
    found = [
        item for item, p in zip(found, x12.problems(parsed), strict=True) if p.severity == "error"
    ]
    assert [(n, r) for n, _, r in found] == [(n, r) for n, _, r in errors]
    for (_, message, _), (_, fragment, _) in zip(found, errors, strict=True):
        assert fragment in message


def test_every_sample_with_an_isa_comes_out_whole() -> None:
    for name, outcome in OUTCOMES.items():
        if name != "edi835parser_blue_cross_nc_sample.txt":  # the one file without an ISA
            assert outcome.sets and not outcome.errors, name
