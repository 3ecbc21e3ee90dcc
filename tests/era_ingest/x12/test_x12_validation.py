"""Hand-written cases for every validation rule: envelopes, counts, required segments, numbers,
balancing at line/claim/transaction level, PLB, reversals, 4010 files and file-level failures."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from era_ingest.x12 import ParsedTransaction, Problem, X12Error, parse_path, parse_stream
from era_ingest.x12 import remittance as remittance_module
from era_testing import documented_event_ids, id_parts

ENVELOPE = ["SENDER", "RECEIVER", "000000001", "1", "0001"]  # ISA06, ISA08, ISA13, GS06, ST02

pytestmark = pytest.mark.unit


def _body(x12: SimpleNamespace, replace: dict[str, str] | None = None, drop: str = "") -> list[str]:
    """BODY with some segments replaced (by their exact text) or dropped (by prefix)."""
    replace = replace or {}
    out = [replace.get(segment, segment) for segment in x12.BODY]
    return [segment for segment in out if not (drop and segment.startswith(drop))]


def _only(parsed: list[ParsedTransaction | Problem]) -> Problem:
    found = [item for item in parsed if isinstance(item, Problem)]
    assert len(found) == 1, found
    return found[0]


# -- envelope and counts ---------------------------------------------------------------------


def test_wrong_se01_rejects_that_set_only_in_strict_mode(x12: SimpleNamespace) -> None:
    text = x12.interchange(x12.BODY, x12.BODY).replace("SE*19*0001", "SE*18*0001", 1)
    parsed = x12.parse(text, strict=True)
    problem = _only(parsed)
    assert problem.rejected and problem.transaction == "0001"
    assert problem.segment_no == 21
    assert problem.message == (
        "SE01: expected 19 (segments from ST to SE), got 18 (transaction set 0001 rejected)"
    )
    assert str(problem) == f"test.835:21: {problem.message}"
    accepted = [item for item in parsed if isinstance(item, ParsedTransaction)]
    assert [t.transaction for t in accepted] == ["0002"]
    assert len(accepted[0].adjustments) == 3


def test_wrong_se01_is_a_warning_of_the_set_read_whole(x12: SimpleNamespace) -> None:
    clean = x12.parse(x12.interchange(x12.BODY, x12.BODY))
    text = x12.interchange(x12.BODY, x12.BODY).replace("SE*19*0001", "SE*18*0001", 1)
    parsed = x12.parse(text)
    assert x12.adjustments(parsed) == x12.adjustments(clean)
    (problem,) = x12.problems(parsed)
    assert (problem.severity, problem.kind, problem.rejected) == (
        "warning",
        "envelope_count",
        False,
    )
    assert (problem.segment_no, problem.transaction) == (21, "0001")
    assert problem.message.startswith(
        "SE01: expected 19 (segments from ST to SE), got 18; read whole"
    )
    assert str(problem).startswith("test.835:21: WARNING SE01: expected 19")


def test_se02_must_repeat_st02_in_strict_mode(x12: SimpleNamespace) -> None:
    text = x12.interchange().replace("SE*19*0001", "SE*19*0009")
    problem = _only(x12.parse(text, strict=True))
    assert problem.rejected
    assert "SE02: expected 0001 (ST02), got '0009'" in problem.message
    parsed = x12.parse(text)
    assert len(x12.adjustments(parsed)) == 3
    (warning,) = x12.problems(parsed)
    assert (warning.severity, warning.kind) == ("warning", "control_number")
    assert warning.message.startswith("SE02: expected 0001 (ST02), got '0009'; read whole")


def test_non_numeric_se01(x12: SimpleNamespace) -> None:
    problem = _only(x12.parse(x12.interchange().replace("SE*19*", "SE*1X*")))
    assert problem.rejected and "SE01: expected a count, got '1X'" in problem.message


def test_missing_se_before_next_st(x12: SimpleNamespace) -> None:
    text = x12.interchange(x12.BODY, x12.BODY).replace("SE*19*0001~\n", "", 1)
    parsed = x12.parse(text)
    problem = _only(parsed)
    assert problem.rejected and problem.segment_no == 21
    assert problem.message == (
        "expected SE (end of transaction set 0001) before ST (transaction set 0001 rejected)"
    )
    assert [a["transaction"] for a in x12.adjustments(parsed)] == ["0002"] * 3


def test_truncated_file(x12: SimpleNamespace) -> None:
    text = x12.interchange()
    cut = text[: text.index("CAS*PR*1*20")]
    parsed = x12.parse(cut)
    messages = [p.message for p in x12.problems(parsed)]
    assert messages == [
        "file ends inside transaction set 0001: expected SE (transaction set 0001 rejected)",
        "file ends inside functional group 1: expected GE",
        "file ends inside interchange 000000001: expected IEA",
    ]
    assert x12.adjustments(parsed) == []


TRAILER_MISMATCHES = [
    ("GE*1*1", "GE*2*1", "GE01: expected 1 (transaction sets in group 1), got 2", "envelope_count"),
    ("GE*1*1", "GE*1*7", "GE02: expected 1 (GS06), got '7'", "control_number"),
    (
        "IEA*1*000000001",
        "IEA*3*000000001",
        "IEA01: expected 1 (functional groups",
        "envelope_count",
    ),
    (
        "IEA*1*000000001",
        "IEA*1*000000002",
        "IEA02: expected 000000001 (ISA13), got",
        "control_number",
    ),
]


@pytest.mark.parametrize(("old", "new", "message", "kind"), TRAILER_MISMATCHES)
def test_trailer_mismatches_are_warnings(
    old: str, new: str, message: str, kind: str, x12: SimpleNamespace
) -> None:
    parsed = x12.parse(x12.interchange().replace(old, new))
    problem = _only(parsed)
    assert message in problem.message and problem.message.endswith(
        "; read whole (every segment is there; ERA_INGEST_STRICT_ENVELOPE=true rejects it)"
    )
    assert (problem.severity, problem.kind, problem.rejected) == ("warning", kind, False)
    assert x12.adjustments(parsed) == x12.adjustments(x12.parse(x12.interchange()))


@pytest.mark.parametrize(("old", "new", "message", "kind"), TRAILER_MISMATCHES)
def test_trailer_mismatches_are_errors_in_strict_mode_but_sets_stay(
    old: str, new: str, message: str, kind: str, x12: SimpleNamespace
) -> None:
    parsed = x12.parse(x12.interchange().replace(old, new), strict=True)
    problem = _only(parsed)
    assert message in problem.message and "read whole" not in problem.message
    assert not problem.rejected and problem.severity == "error"
    assert len(x12.adjustments(parsed)) == 3


@pytest.mark.parametrize("strict", [False, True])
def test_a_trailer_count_that_is_not_a_number_is_an_error(
    strict: bool, x12: SimpleNamespace
) -> None:
    problem = _only(x12.parse(x12.interchange().replace("GE*1*1", "GE*X*1"), strict=strict))
    assert "GE01: expected a count, got 'X'" in problem.message
    assert problem.severity == "error"


def test_padded_and_unpadded_control_numbers_match(x12: SimpleNamespace) -> None:
    text = x12.interchange().replace("IEA*1*000000001", "IEA*1*1")
    assert x12.problems(x12.parse(text)) == []


def test_st_without_gs_and_non_835_sets(x12: SimpleNamespace) -> None:
    text = x12.interchange()
    start = text.index("GS*")
    no_gs = text[:start] + text[text.index("ST*") :]
    problems = x12.problems(x12.parse(no_gs))
    assert problems[0].rejected
    assert "expected GS (functional group header) before ST" in problems[0].message
    problem = _only(x12.parse(text.replace("ST*835*", "ST*277*")))
    assert problem.rejected and "ST01: expected 835 (remittance advice), got '277'" in (
        problem.message
    )


def test_unknown_implementation_is_a_reported_error_but_read(x12: SimpleNamespace) -> None:
    parsed = x12.parse(x12.interchange(implementation="005010X999"))
    problem = _only(parsed)
    assert "GS08: expected 005010X221A1 or 004010X091A1, got '005010X999'" in problem.message
    assert len(x12.adjustments(parsed)) == 3


def test_stray_segments_between_sets_and_after_iea(x12: SimpleNamespace) -> None:
    text = x12.interchange()
    text = text.replace("GE*1*1", "XYZ*1~\nXYZ*2~\nGE*1*1")
    text += "JUNK*1~\nMORE*2~\n" + x12.interchange(control="000000002")
    parsed = x12.parse(text)
    messages = [p.message for p in x12.problems(parsed)]
    assert messages == [
        "expected ST (start of a transaction set), got 'XYZ'",
        "expected ISA (start of an interchange) after IEA, got 'JUNK'",
    ]
    assert len(x12.adjustments(parsed)) == 6


# -- required segments and elements ----------------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("BPR", "expected a BPR segment in the transaction header"),
        ("TRN", "expected a TRN segment in the transaction header"),
        ("N1*PR", "expected a N1*PR segment in the transaction header"),
        ("N1*PE", "expected a N1*PE segment in the transaction header"),
    ],
)
def test_required_header_segments(drop: str, message: str, x12: SimpleNamespace) -> None:
    body = _body(x12, drop=drop)
    problem = _only(x12.parse(x12.interchange(body)))
    assert problem.rejected and problem.message.startswith(message)
    assert problem.segment_no == len(body) + 4  # reported at SE


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("CLP*CLAIM1*1*200*100*20*12*PAYERCLM1", "CLP*CLAIM1*1*200", "CLP04: expected a value"),
        ("CLP*CLAIM1*1*200*100*20*12*PAYERCLM1", "CLP**1*200*100", "CLP01: expected a value"),
        ("CLP*CLAIM1*1*200*100*20*12*PAYERCLM1", "CLP*C*1*2OO*100", "CLP03: expected a decimal"),
        ("CAS*CO*45*70", "CAS*CO*45*7O", "CAS03: expected a decimal number, got '7O'"),
        ("CAS*CO*45*70", "CAS*CO*45*1e5", "CAS03: expected a decimal number"),
        ("CAS*CO*45*70", "CAS*CO*45*NaN", "CAS03: expected a decimal number"),
        ("CAS*CO*45*70", "CAS*CO*45*1.2.3", "CAS03: expected a decimal number, got '1.2.3'"),
        ("CAS*CO*45*70", "CAS*CO*45*7_0", "CAS03: expected a decimal number"),
        ("CAS*CO*45*70", "CAS*CO*45* 70", "CAS03: expected a decimal number"),
        ("CAS*CO*45*70", "CAS*CO*45", "CAS03: expected the amount for 45"),
        ("CAS*CO*45*70", "CAS*CO**70", "CAS02: expected a reason code"),
        ("CAS*CO*45*70", "CAS**45*70", "CAS01: expected a claim adjustment group code"),
        ("CAS*CO*45*70", "CAS*CO*45*70*X", "CAS04: expected a decimal number, got 'X'"),
        ("CAS*CO*45*70", "CAS*CO" + "*45*1*" * 7, "CAS: expected at most 6 adjustment triplets"),
        ("CAS*CO*45*70", "CAS*CO", "CAS02: expected at least one reason code and amount"),
        ("SVC*AD:D2740:XX:YY*190*100**1", "SVC*AD:D2740*19O*100", "SVC02: expected a decimal"),
        ("SVC*AD:D2740:XX:YY*190*100**1", "SVC*AD:D2740*190", "SVC01-03: expected procedure"),
        ("SVC*AD:D2740:XX:YY*190*100**1", "SVC*AD:D2740*190*100**x", "SVC05: expected a decim"),
        ("AMT*B6*120", "AMT*B6*12,0", "AMT02: expected a decimal number, got '12,0'"),
        ("BPR*I*100*C*CHK************20240105", "BPR*I**C", "BPR02: expected the total payment"),
        ("BPR*I*100*C*CHK************20240105", "BPR*I*1OO", "BPR02: expected a decimal number"),
        ("TRN*1*TRACE1*1512345678", "TRN*1", "TRN02: expected the check or EFT trace number"),
        ("LQ*HE*N123", "C@S*1", "expected a segment identifier, got 'C@S'"),
        ("CAS*CO*45*70", "CAS*CO*45*1234567890123456789", "CAS03: expected a decimal number"),
    ],
)
def test_bad_elements_reject_the_set_with_the_element_named(
    old: str, new: str, message: str, x12: SimpleNamespace
) -> None:
    body = _body(x12, {old: new})
    problem = _only(x12.parse(x12.interchange(body)))
    assert problem.rejected
    assert message in problem.message, problem.message
    assert problem.segment_no == 3 + body.index(new) + 1


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        (["CAS*CO*45*1"], "CAS: expected inside a claim (after CLP) or service line"),
        (["SVC*HC:99213*10*10"], "SVC: expected inside a claim (after CLP)"),
        (["LQ*HE*N1"], "LQ: expected inside a service line (after SVC)"),
        (["MOA***MA01"], "MOA: expected inside a claim (after CLP)"),
    ],
)
def test_segments_outside_their_loop(
    segments: list[str], message: str, x12: SimpleNamespace
) -> None:
    body = list(x12.BODY)
    body[5:5] = segments  # before LX: still in the header
    problem = _only(x12.parse(x12.interchange(body)))
    assert problem.rejected and message in problem.message


def test_n1_after_claims_is_structural(x12: SimpleNamespace) -> None:
    problem = _only(x12.parse(x12.interchange([*x12.BODY, "N1*PE*LATE*XX*1"])))
    assert problem.rejected and "N1*PE: expected in the transaction header" in problem.message


def test_unknown_segment_is_a_warning(x12: SimpleNamespace) -> None:
    parsed = x12.parse(x12.interchange([*x12.BODY[:8], "ZZZ*1", *x12.BODY[8:]]))
    problem = x12.problems(parsed)[0]
    assert (problem.severity, problem.message) == ("warning", "ZZZ: not an 835 segment, ignored")
    assert len(x12.adjustments(parsed)) == 3


# -- balancing -------------------------------------------------------------------------------


def test_line_imbalance_marks_the_line_adjustments(x12: SimpleNamespace) -> None:
    body = _body(x12, {"CAS*PR*1*20": "CAS*PR*1*25", "CAS*CO*45*10": "CAS*CO*45*5"})
    parsed = x12.parse(x12.interchange(body))
    found = x12.adjustments(parsed)
    assert found[0]["balance_error"] is None  # the claim still balances: 5 + 70 + 25 = 100
    reason = "line out of balance: SVC02 - SVC03 = 90, line CAS total 95"
    assert [a["balance_error"] for a in found[1:]] == [reason, reason]
    problem = x12.problems(parsed)[0]
    assert problem.severity == "warning" and not problem.rejected
    assert problem.segment_no == 15
    assert problem.message == (
        f"SVC (claim CLAIM1, line 1): expected SVC02 - SVC03 to equal the line CAS total; {reason}"
    )


def test_claim_imbalance_marks_every_adjustment_of_the_claim(x12: SimpleNamespace) -> None:
    body = _body(x12, {"CAS*CO*45*10": "CAS*CO*45*11"})
    parsed = x12.parse(x12.interchange(body))
    reason = "claim out of balance: CLP03 - CLP04 = 100, claim and line CAS total 101"
    assert [a["balance_error"] for a in x12.adjustments(parsed)] == [reason] * 3
    (problem,) = x12.problems(parsed)
    assert problem.segment_no == 10 and problem.severity == "warning"
    assert "CLP (claim CLAIM1): expected CLP03 - CLP04 to equal" in problem.message


def test_line_without_cas_that_does_not_balance_is_still_reported(x12: SimpleNamespace) -> None:
    body = [*x12.BODY, "SVC*HC:99213*50*40", "DTM*472*20240102"]
    parsed = x12.parse(x12.interchange(body))
    (problem,) = x12.problems(parsed)  # no adjustment can carry it: the warning is the record
    assert problem.severity == "warning" and problem.segment_no == 21
    assert "(claim CLAIM1, line 2): expected SVC02 - SVC03" in problem.message
    assert [a["balance_error"] for a in x12.adjustments(parsed)] == [None] * 3


def test_transaction_imbalance_is_a_warning_and_marks_everything(x12: SimpleNamespace) -> None:
    body = _body(
        x12, {"BPR*I*100*C*CHK************20240105": "BPR*I*99.99*C*CHK************20240105"}
    )
    parsed = x12.parse(x12.interchange(body))
    reason = "transaction out of balance: BPR02 = 99.99, CLP04 total - PLB total = 100"
    assert [a["balance_error"] for a in x12.adjustments(parsed)] == [reason] * 3
    (problem,) = x12.problems(parsed)
    assert (problem.segment_no, problem.severity, problem.rejected) == (4, "warning", False)
    assert problem.message.startswith("BPR02: expected the total payment to equal")


def test_specific_reasons_win_over_the_transaction_reason(x12: SimpleNamespace) -> None:
    body = _body(
        x12,
        {
            "BPR*I*100*C*CHK************20240105": "BPR*I*1*C*CHK",
            "CAS*CO*45*10": "CAS*CO*45*11",
        },
    )
    found = x12.adjustments(x12.parse(x12.interchange(body)))
    assert {str(a["balance_error"]).split(":")[0] for a in found} == {"claim out of balance"}


def test_balance_is_exact_decimal_arithmetic(x12: SimpleNamespace) -> None:
    body = _body(
        x12,
        {
            "CLP*CLAIM1*1*200*100*20*12*PAYERCLM1": "CLP*CLAIM1*1*0.3*0.1",
            "CAS*CO*45*10": "CAS*CO*45*0.1",
            "SVC*AD:D2740:XX:YY*190*100**1": "SVC*AD:D2740*0.2*0.1",
            "CAS*CO*45*70": "CAS*CO*45*0.05",
            "CAS*PR*1*20": "CAS*PR*1*0.05",
            "BPR*I*100*C*CHK************20240105": "BPR*I*0.1*C*CHK",
        },
    )
    parsed = x12.parse(x12.interchange(body))
    assert x12.problems(parsed) == []  # 0.3 - 0.1 == 0.1 + 0.05 + 0.05 exactly


# -- PLB, reversals, amounts ----------------------------------------------------------------


def test_plb_one_adjustment_per_pair(x12: SimpleNamespace) -> None:
    body = _body(
        x12, {"BPR*I*100*C*CHK************20240105": "BPR*I*77.5*C*CHK************20240105"}
    )
    body.append("PLB*1234567893*20241231*WO:INV-9*12.5*L6*-2.5*72:REF*12.5")
    parsed = x12.parse(x12.interchange(body))
    assert x12.problems(parsed) == []  # 100 - (12.5 - 2.5 + 12.5) = 77.5
    plb = [a for a in x12.adjustments(parsed) if a["level"] == "provider"]
    assert [(a["carc"], a["plb_reference"], a["amount"]) for a in plb] == [
        ("WO", "INV-9", "12.5"),
        ("L6", None, "-2.5"),
        ("72", "REF", "12.5"),
    ]
    everything = x12.adjustments(parsed)
    raws = {"WO": "WO:INV-9", "L6": "L6", "72": "72:REF"}
    parts = []
    for adjustment in everything:
        if adjustment["level"] == "provider":
            index = list(raws).index(str(adjustment["carc"])) + 1
            parts.append(id_parts(adjustment, 19, index, raws[str(adjustment["carc"])]))
        else:
            parts.append(id_parts(adjustment, int(adjustment["segment_no"]) - 2, 1))
    expected = dict(
        zip(
            [a["event_id"] for a in everything],
            documented_event_ids(ENVELOPE, parts),
            strict=True,
        )
    )
    assert all(ident == sealed for ident, sealed in expected.items())
    for adjustment in plb:
        assert adjustment["claim_id"] is None and adjustment["group_code"] is None
        assert adjustment["payer_name"] == "ACME PAYER" and adjustment["rarcs"] == []
        assert adjustment["line"] is None and adjustment["quantity"] is None


def test_plb_errors(x12: SimpleNamespace) -> None:
    problem = _only(x12.parse(x12.interchange([*x12.BODY, "PLB*1*20241231*WO"])))
    assert problem.rejected and "PLB01-04: expected provider" in problem.message
    problem = _only(x12.parse(x12.interchange([*x12.BODY, "PLB*1*20241231*WO*1*L6"])))
    assert problem.rejected and "PLB06: expected the amount for L6" in problem.message
    problem = _only(x12.parse(x12.interchange([*x12.BODY, "PLB*1*20241231*WO*x"])))
    assert problem.rejected and "PLB04: expected a decimal number, got 'x'" in problem.message


def test_reversal_and_signs(x12: SimpleNamespace) -> None:
    body = [
        *x12.BODY[:6],
        "CLP*CLAIM1*22*-200*-100*-20*12*PAYERCLM1",
        "NM1*QC*1*DOE*JANE****MI*M123",
        "SVC*AD:D2740*-200*-100",
        "CAS*CO*45*-80",
        "CAS*PR*1*-20*+1",
        "CLP*CLAIM1*1*+200*100*20*12*PAYERCLM2",
        "SVC*AD:D2740*200*+100",
        "CAS*CO*45*+80",
        "CAS*PR*1*20",
    ]
    body[0] = "BPR*I*0*C*NON"
    parsed = x12.parse(x12.interchange(body))
    assert x12.problems(parsed) == []
    found = x12.adjustments(parsed)
    assert [(a["reversal"], a["claim_status"], a["amount"]) for a in found] == [
        (True, "22", "-80"),
        (True, "22", "-20"),
        (False, "1", "80"),  # a leading '+' is dropped
        (False, "1", "20"),
    ]
    assert found[1]["quantity"] == "1"
    assert found[2]["claim_charge"] == "200" and found[2]["line_paid"] == "100"
    assert found[0]["line_charge"] == "-200"


def test_amounts_keep_their_digits(x12: SimpleNamespace) -> None:
    body = _body(x12, {"CAS*CO*45*10": "CAS*CO*45*10.00", "CAS*CO*45*70": "CAS*CO*45*070"})
    found = x12.adjustments(x12.parse(x12.interchange(body)))
    assert [a["amount"] for a in found] == ["10.00", "070", "20"]


def test_six_triplets_in_one_cas(x12: SimpleNamespace) -> None:
    six = "CAS*CO*45*10*1*A1*10**B1*10*2*C1*10**D1*10**E1*20"
    body = _body(x12, {"CAS*CO*45*70": six})
    parsed = x12.parse(x12.interchange(body))
    assert x12.problems(parsed) == []
    line = [a for a in x12.adjustments(parsed) if a["segment_no"] == 17]
    assert [(a["carc"], a["amount"], a["quantity"]) for a in line] == [
        ("45", "10", "1"),
        ("A1", "10", None),
        ("B1", "10", "2"),
        ("C1", "10", None),
        ("D1", "10", None),
        ("E1", "20", None),
    ]
    assert len({a["event_id"] for a in line}) == 6
    assert all(a["group_code"] == "CO" for a in line)


# -- fields ----------------------------------------------------------------------------------


def test_field_fallbacks(x12: SimpleNamespace) -> None:
    body = _body(
        x12,
        {
            "N1*PR*ACME PAYER*XV*12345": "N1*PR*ACME PAYER",
            "N1*PE*BRIGHT SMILES DDS*XX*1234567893": "N1*PE*BRIGHT SMILES DDS*FI*999999999",
            "NM1*QC*1*DOE*JANE****MI*M123": "NM1*QC*1*DOE",
            "DTM*472*20240102": "DTM*150*20240103",
            "SVC*AD:D2740:XX:YY*190*100**1": "SVC*AD:D2740:XX:YY*190*100",
            "BPR*I*100*C*CHK************20240105": "BPR*I*100*C*CHK",
        },
    )
    body.insert(4, "REF*2U*PAYERREF")
    body.insert(body.index("NM1*QC*1*DOE") + 1, "NM1*IL*1*DOE*JOHN****MI*SUB1")
    found = x12.adjustments(x12.parse(x12.interchange(body)))
    line = found[1]
    assert line["payer_id"] == "PAYERREF"  # REF*2U when N1*PR has no N104
    assert line["payee_npi"] == "999999999"  # the id given when N103 is not XX
    assert line["patient_name"] == "DOE"
    assert line["member_id"] == "SUB1"  # NM1*IL when NM1*QC has no NM109
    assert line["service_date"] == "2024-01-03"  # DTM*150 when no DTM*472
    assert line["remit_date"] == "2024-01-04"  # DTM*405 when no BPR16
    assert line["units"] == "1"  # SVC05 absent


def test_rarcs_claim_and_line(x12: SimpleNamespace) -> None:
    body = _body(x12, {"MOA***MA01": "MOA***MA01*N123*MA01"})
    body[body.index("LQ*HE*N123") : body.index("LQ*HE*N123") + 1] = [
        "LQ*HE*N123",
        "LQ*RX*77",
        "LQ*HE*M15",
        "LQ*HE*M15",
    ]
    body.insert(body.index("DTM*232*20240101"), "MIA*0***5*MA02")
    found = x12.adjustments(x12.parse(x12.interchange(body)))
    assert found[0]["rarcs"] == ["MA01", "N123", "MA02"]
    assert found[1]["rarcs"] == ["N123", "M15", "MA01", "MA02"]  # LQ*HE first, then claim's
    assert found[1]["rarcs"] is not found[2]["rarcs"]


def test_bad_dates_warn_and_become_null(x12: SimpleNamespace) -> None:
    body = _body(x12, {"DTM*472*20240102": "DTM*472*20241302"})
    parsed = x12.parse(x12.interchange(body))
    (problem,) = x12.problems(parsed)
    assert problem.severity == "warning"
    assert problem.message == "DTM02: expected a date CCYYMMDD, got '20241302'"
    assert x12.adjustments(parsed)[1]["service_date"] == "2024-01-01"  # claim date instead


def test_4010_file(x12: SimpleNamespace) -> None:
    body = _body(x12, {"CAS*PR*1*20": "CAS*CR*1*20"})
    text = x12.interchange(body, implementation="004010X091A1", repetition="U", version="00401")
    parsed = x12.parse(text)
    assert x12.problems(parsed) == []
    found = x12.adjustments(parsed)
    assert {a["implementation"] for a in found} == {"004010X091A1"}
    assert found[2]["group_code"] == "CR"


def test_event_id_is_the_documented_hash(x12: SimpleNamespace) -> None:
    found = x12.adjustments(x12.parse(x12.interchange(terminator="~")))
    parts = [id_parts(a, p, 1) for a, p in zip(found, (9, 15, 16), strict=True)]
    assert [a["event_id"] for a in found] == documented_event_ids(
        ["SENDER", "RECEIVER", "000000001", "1", "0001"], parts
    )


# -- file-level failures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty: expected an X12 835 interchange starting with ISA"),
        (b"  \r\n\n ", "file is empty: expected an X12 835 interchange starting with ISA"),
        (b"\xef\xbb\xbf", "file is empty: expected an X12 835 interchange starting with ISA"),
        (b"\x00\x01\x02\xff\xfe binary", "not an X12 file: expected 'ISA' at the start, found"),
        (b"%PDF-1.7\n%\xe2\xe3", "not an X12 file: expected 'ISA' at the start, found '%PDF"),
        (b"hello world\n", "not an X12 file: expected 'ISA' at the start, found 'hello"),
        (b"ST*835*1~BPR*I*1~SE*3*1~", "no ISA interchange header: the file starts with an ST"),
        (b"ISA*00*   ", "file ends inside the ISA header: expected 16 elements"),
        (b"ISA1001", "ISA: expected an element separator after 'ISA', got '1'"),
        (b"ISA*" + b"*" * 15 + b"A~", "ISA16: expected a component separator, got 'A'"),
        (b"ISA*" + b"x*" * 15 + b":Q", "ISA: expected a segment terminator after ISA16"),
        (b"ISA*00*\n" + b"*" * 15 + b":~", "ISA: expected 16 elements on one segment"),
    ],
)
def test_unusable_files_give_one_file_level_problem(
    data: bytes, message: str, x12: SimpleNamespace
) -> None:
    parsed = x12.parse(data)
    problem = _only(parsed)
    assert len(parsed) == 1
    assert problem.segment_no == 0 and problem.severity == "error"
    assert problem.message.startswith(message), problem.message


def test_runaway_segment_is_reported(x12: SimpleNamespace) -> None:
    data = x12.interchange().encode() + b"ISA" + b"A" * 10
    head = x12.isa().encode() + b"~GS*HP*" + b"x" * (1 << 21)
    parsed = x12.parse(head)
    messages = [p.message for p in x12.problems(parsed)]
    assert messages[0].startswith("segment longer than 1048576 characters")
    assert messages[1:] == ["file ends inside interchange 000000001: expected IEA"]
    assert x12.parse(data)  # trailing junk after IEA does not raise


def test_missing_file_and_directory(tmp_path: Path) -> None:
    (missing,) = parse_path(tmp_path / "nope.835")
    assert isinstance(missing, Problem)
    assert (
        str(missing) == f"{tmp_path / 'nope.835'}:0: file not found: expected an existing 835 file"
    )
    (directory,) = parse_path(tmp_path)
    assert isinstance(directory, Problem)
    assert directory.message == "is a directory: expected an 835 file"


def test_file_name_in_adjustments_is_the_base_name(tmp_path: Path, x12: SimpleNamespace) -> None:
    path = tmp_path / "era.835"
    path.write_text(x12.interchange())
    items = list(parse_path(path))
    assert isinstance(items[0], ParsedTransaction)
    assert items[0].file == str(path)
    assert {a["file"] for a in items[0].adjustments} == {"era.835"}


def test_a_parser_bug_surfaces_as_x12error_only(
    monkeypatch: pytest.MonkeyPatch, x12: SimpleNamespace
) -> None:
    def broken(self: object, segment_no: int, el: list[str]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(remittance_module.HANDLERS, "CAS", broken)
    import io

    with pytest.raises(X12Error) as caught:
        list(parse_stream(io.BytesIO(x12.interchange().encode()), "bug.835"))
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "internal parser error" in caught.value.problem.message
