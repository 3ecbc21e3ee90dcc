"""Claim and Remittance records: every CLP and SVC once, the check's totals, posting keys."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from era_contract.models import Claim, Remittance
from era_contract.phi import Tokenizer
from era_ingest.x12 import ParsedTransaction, parse_path
from era_ingest.x12.segments import SegmentReader

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "era-samples"
SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.suffix != ".md")

# A dental check with a paid-in-full line, posting keys, a crossover carrier and a PLB:
# claim 1: 300 - 210 = 90 = CO-45 50 + PR-2 40 (line 1); line 2 paid in full (no CAS);
# claim 2: denied, 80 - 0 = 80 = OA-23 0 (claim) + CO-29 80 (line); BPR02 205 = 210 + 0 - 5 (PLB).
POSTING_BODY = (
    "BPR*I*205*C*ACH*CCP*01*011000015*DA*123456*1512345678**01*011000138*DA*654321*20240105",
    "TRN*1*EFT0001*1512345678",
    "DTM*405*20240104",
    "N1*PR*DELTA DENTAL*XV*94-1234567",
    "REF*2U*DDPAYER",
    "N1*PE*SMILE DENTAL*XX*1234567893",
    "REF*TJ*811902608",
    "LX*1",
    "CLP*PCN1*19*300*210*40*12*PAYER1*11*1",
    "NM1*QC*1*DOE*JANE****MI*M123",
    "NM1*82*1*ABBOT*SARAH****XX*9876543210",
    "NM1*TT*2*SUPPLEMENT MUTUAL*****PI*SM001",
    "MOA***MA18",
    "DTM*232*20240101",
    "DTM*233*20240102",
    "DTM*050*20240103",
    "AMT*AU*300",
    "QTY*CA*1",
    "SVC*AD:D2740*250*160**1*AD:D2750",
    "DTM*472*20240102",
    "CAS*CO*45*50",
    "CAS*PR*2*40",
    "REF*6R*P345631",
    "REF*LU*LOC1",
    "AMT*B6*200",
    "LQ*HE*N130",
    "SVC*AD:D1110*50*50",
    "DTM*150*20240101",
    "DTM*151*20240102",
    "REF*6R*P345632",
    "CLP*PCN2*4*80*0**12*PAYER2",
    "CAS*OA*23*0",
    "SVC*AD:D0120*80*0",
    "CAS*CO*29*80",
    "PLB*1234567893*20241231*WO:REF1*5",
)


def _transactions(path: Path) -> list[ParsedTransaction]:
    return [item for item in parse_path(path) if isinstance(item, ParsedTransaction)]


def _parse_body(x12: SimpleNamespace, *bodies: tuple[str, ...]) -> list[ParsedTransaction]:
    parsed = x12.parse(x12.interchange(*bodies))
    return [item for item in parsed if isinstance(item, ParsedTransaction)]


def _segments_by_set(path: Path) -> dict[int, dict[str, list[int]]]:
    """Segment numbers of every CLP and SVC, per ST segment number, read with the plain
    segment reader (not the 835 walker)."""
    found: dict[int, dict[str, list[int]]] = {}
    current: dict[str, list[int]] | None = None
    with path.open("rb") as stream:
        for segment_no, elements in SegmentReader(stream, str(path)):
            tag = elements[0]
            if tag == "ST":
                current = found.setdefault(segment_no, {"CLP": [], "SVC": []})
            elif tag == "SE":
                current = None
            elif current is not None and tag in current:
                current[tag].append(segment_no)
    return found


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_clp_and_svc_of_an_accepted_set_is_one_claim_or_line(path: Path) -> None:
    transactions = _transactions(path)
    segments = _segments_by_set(path) if transactions else {}
    for txn in transactions:
        expected = segments[txn.first_segment_no]
        claims = txn.claims
        assert [c["segment_no"] for c in claims] == expected["CLP"]
        lines = [line for c in claims for line in c["lines"]]  # type: ignore[attr-defined]
        assert [line["segment_no"] for line in lines] == expected["SVC"]
        for claim in claims:
            Claim.model_validate(claim)
        remittance = txn.remittance
        assert remittance is not None
        Remittance.model_validate(remittance)
        assert remittance["claim_count"] == len(claims)
        assert remittance["claim_event_ids"] == [c["event_id"] for c in claims]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_totals_reproduce_from_the_records_and_the_adjustments(path: Path) -> None:
    for txn in _transactions(path):
        claims, remittance = txn.claims, txn.remittance
        assert remittance is not None
        adjustments = {a["event_id"]: a for a in txn.adjustments}
        referenced: list[object] = []
        for claim in claims:
            assert claim["remittance_event_id"] == remittance["event_id"]
            claim_ids = list(claim["adjustment_event_ids"])  # type: ignore[call-overload]
            cas = sum(Decimal(str(adjustments[i]["amount"])) for i in claim_ids)
            for line in claim["lines"]:  # type: ignore[attr-defined]
                line_ids = line["adjustment_event_ids"]
                line_cas = sum(Decimal(str(adjustments[i]["amount"])) for i in line_ids)
                if line["balance_error"] is None:
                    assert Decimal(line["charge"]) - Decimal(line["paid"]) == line_cas
                for i in line_ids:
                    assert adjustments[i]["line"] == line["line"]
                    assert adjustments[i]["line_control_number"] == line["line_control_number"]
                cas += line_cas
                claim_ids += line_ids
            if claim["balance_error"] is None:
                assert Decimal(str(claim["charge"])) - Decimal(str(claim["paid"])) == cas
            for i in claim_ids:
                assert adjustments[i]["claim_event_id"] == claim["event_id"]
            referenced += claim_ids
        plb = remittance["provider_adjustment_items"]
        referenced += [item["event_id"] for item in plb]  # type: ignore[attr-defined]
        assert sorted(referenced) == sorted(adjustments)  # each adjustment exactly once
        assert all(a["remittance_event_id"] == remittance["event_id"] for a in adjustments.values())
        paid = sum(Decimal(str(c["paid"])) for c in claims)
        provider = sum(Decimal(item["amount"]) for item in plb)  # type: ignore[attr-defined]
        assert Decimal(str(remittance["claims_paid"])) == paid
        assert Decimal(str(remittance["provider_adjustments"])) == provider
        if remittance["balance_error"] is None:
            assert Decimal(str(remittance["total_paid"])) == paid - provider


def test_dental_sample_lines_carry_ref_6r_and_paid_in_full_lines() -> None:
    (txn,) = _transactions(SAMPLES / "opendental_JustinSmithERA.txt")
    claims = txn.claims
    assert [c["claim_id"] for c in claims] == ["217308827", "217180995", "217439125"]
    lines = claims[0]["lines"]
    assert [(x["procedure"], x["charge"], x["paid"], x["line_control_number"]) for x in lines] == [  # type: ignore[attr-defined]
        ("AD:D0120", "43", "25", "P345631"),
        ("AD:D1110", "110", "72", "P345632"),
        ("AD:D0602", "5", "5", "P345633"),  # paid in full: no CAS, still a line
    ]
    assert lines[2]["adjustment_event_ids"] == []  # type: ignore[index]
    assert claims[0]["rendering_npi"] == "9876543210"
    assert claims[0]["received_date"] == "2017-09-27"
    remittance = txn.remittance
    assert remittance is not None
    assert (remittance["total_paid"], remittance["payment_method"]) == ("353", "CHK")
    assert (remittance["payment_date"], remittance["production_date"]) == (
        "2017-10-04",
        "2017-10-01",
    )
    assert (remittance["trace"], remittance["trace_originator"]) == ("0045284538", "1942761537")
    assert remittance["payee_tin"] == "123456789"  # N103 = FI; REF*TJ only when there is none


def test_every_posting_field_comes_through(x12: SimpleNamespace) -> None:
    (txn,) = _parse_body(x12, POSTING_BODY)
    assert x12.problems([txn]) == []
    first, second = txn.claims
    assert {k: first[k] for k in ("claim_id", "claim_status", "charge", "paid")} == {
        "claim_id": "PCN1",
        "claim_status": "19",
        "charge": "300",
        "paid": "210",
    }
    assert (first["facility_type"], first["claim_frequency"]) == ("11", "1")
    assert (first["patient_responsibility"], first["payer_claim_id"]) == ("40", "PAYER1")
    assert (first["statement_from"], first["statement_to"], first["received_date"]) == (
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
    )
    assert (first["crossover_carrier_name"], first["crossover_carrier_id"]) == (
        "SUPPLEMENT MUTUAL",
        "SM001",
    )
    assert first["rendering_npi"] == "9876543210"
    assert first["remarks"] == ["MA18"]
    assert first["amounts"] == [{"qualifier": "AU", "amount": "300"}]
    assert first["quantities"] == [{"qualifier": "CA", "quantity": "1"}]
    assert (first["payee_tin"], first["trace"]) == ("811902608", "EFT0001")
    crown, cleaning = first["lines"]  # type: ignore[misc]
    assert {k: crown[k] for k in crown if k not in ("adjustment_event_ids",)} == {
        "line": 1,
        "segment_no": crown["segment_no"],
        "procedure": "AD:D2740",
        "modifiers": [],
        "charge": "250",
        "paid": "160",
        "units": "1",
        "submitted_procedure": "AD:D2750",
        "submitted_modifiers": [],
        "service_date": "2024-01-02",
        "service_date_end": None,
        "line_control_number": "P345631",
        "location": "LOC1",
        "allowed": "200",
        "remarks": ["N130"],
        "balance_error": None,
    }
    assert len(crown["adjustment_event_ids"]) == 2
    assert (cleaning["paid"], cleaning["adjustment_event_ids"]) == ("50", [])
    assert (cleaning["service_date"], cleaning["service_date_end"]) == ("2024-01-01", "2024-01-02")
    assert len(second["adjustment_event_ids"]) == 1
    assert second["lines"][0]["paid"] == "0"  # type: ignore[index]
    assert len(second["lines"][0]["adjustment_event_ids"]) == 1  # type: ignore[index]
    remittance = txn.remittance
    assert remittance is not None
    assert {k: remittance[k] for k in ("handling_code", "total_paid", "credit_debit")} == {
        "handling_code": "I",
        "total_paid": "205",
        "credit_debit": "C",
    }
    assert (remittance["payment_method"], remittance["payment_date"]) == ("ACH", "2024-01-05")
    assert (remittance["payer_id"], remittance["payer_n1_id"]) == ("94-1234567", "94-1234567")
    assert remittance["payer_additional_id"] == "DDPAYER"
    assert (remittance["claims_paid"], remittance["provider_adjustments"]) == ("210", "5")
    (item,) = remittance["provider_adjustment_items"]  # type: ignore[misc]
    assert {k: item[k] for k in item if k != "event_id"} == {
        "segment_no": item["segment_no"],
        "provider_id": "1234567893",
        "fiscal_period_date": "2024-12-31",
        "carc": "WO",
        "reference": "REF1",
        "amount": "5",
    }
    adjustments = txn.adjustments
    line_adjustments = [a for a in adjustments if a["level"] == "line" and a["claim_id"] == "PCN1"]
    assert {a["line_control_number"] for a in line_adjustments} == {"P345631"}
    assert {a["submitted_procedure"] for a in line_adjustments} == {"AD:D2750"}
    assert {a["payee_tin"] for a in adjustments} == {"811902608"}
    assert adjustments[-1]["level"] == "provider" and adjustments[-1]["claim_event_id"] is None
    assert item["event_id"] == adjustments[-1]["event_id"]


def test_event_ids_are_deterministic_and_name_one_exact_set(x12: SimpleNamespace) -> None:
    (one,) = _parse_body(x12, POSTING_BODY)
    (again,) = _parse_body(x12, POSTING_BODY)
    assert [c["event_id"] for c in one.claims] == [c["event_id"] for c in again.claims]
    assert one.remittance == again.remittance
    other_body = tuple(s.replace("PAYER2", "PAYER3") for s in POSTING_BODY)
    (other,) = _parse_body(x12, other_body)
    assert other.remittance is not None and one.remittance is not None
    assert other.remittance["event_id"] != one.remittance["event_id"]
    assert {c["event_id"] for c in other.claims}.isdisjoint(c["event_id"] for c in one.claims)
    ids = [c["event_id"] for c in one.claims] + [one.remittance["event_id"]]
    assert len(set(ids)) == 3 and all(len(str(i)) == 32 for i in ids)


def test_imbalance_is_on_the_claim_the_line_and_the_set(x12: SimpleNamespace) -> None:
    body = [s for s in POSTING_BODY if s != "CAS*PR*2*40"]  # claim and line 1 short by 40
    body[0] = body[0].replace("*205*", "*200*", 1)  # and the check short by 5
    (txn,) = _parse_body(x12, tuple(body))
    first = txn.claims[0]
    assert first["balance_error"] is not None
    assert first["lines"][0]["balance_error"] is not None  # type: ignore[index]
    assert first["lines"][1]["balance_error"] is None  # type: ignore[index]
    remittance = txn.remittance
    assert remittance is not None and remittance["balance_error"] is not None
    assert txn.claims[1]["balance_error"] == remittance["balance_error"]  # the set's reason
    # and the adjustments keep going to review as before: every one carries a reason
    assert all(a["balance_error"] for a in txn.adjustments)


def test_tokenize_covers_the_claims_patient_fields(x12: SimpleNamespace) -> None:
    (txn,) = _parse_body(x12, POSTING_BODY)
    claim = dict(txn.claims[0])
    Tokenizer(b"0123456789abcdef").apply(claim)
    assert str(claim["patient_name"]).startswith("tok:")
    assert str(claim["member_id"]).startswith("tok:")
    assert "DOE" not in repr(claim) and "M123" not in repr(claim)
