"""Linking across files (era_classifier.links): reversal → original adjustment and claim,
correction → the reversed claim, PLB item → the claim its reference names, forwarding balances;
on the hand-written two-file fixtures and on single events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from era_classifier.links import (
    LINK_FIELDS,
    ORIGINAL_NOT_SEEN,
    Linker,
    forwarding_balances,
)
from era_links import ORIGINAL, REVERSAL, adjustments, by_claim
from era_streams.state import MemoryStore

pytestmark = pytest.mark.unit


def _link_all(rows: list[dict[str, Any]], store: MemoryStore | None = None) -> list[dict[str, Any]]:
    linker = Linker(store if store is not None else MemoryStore())
    out = []
    for row in rows:
        links = linker.link(row)
        out.append({**row, **links.apply({"flags": [], "explanation": "x."})})
    return out


def test_the_reversal_the_correction_and_the_recoupment_link_to_the_first_file() -> None:
    store = MemoryStore()
    originals = adjustments(ORIGINAL)
    rows = by_claim(_link_all(originals + adjustments(REVERSAL), store))
    first = by_claim(originals)
    claim_a = first[("LK1001", "1", "CO", "130")]["claim_event_id"]
    claim_c = first[("LK1003", "1", "CO", "60")]["claim_event_id"]
    assert claim_a and claim_c and claim_a != claim_c
    # the reversal: each adjustment names the original it undoes, and the original claim
    for group, amount, original in (("CO", "-130", "130"), ("PR", "-50", "50")):
        reversal = rows[("LK1001", "22", group, amount)]
        assert reversal["reverses_event_id"] == first[("LK1001", "1", group, original)]["event_id"]
        assert reversal["reverses_claim_event_id"] == claim_a
        assert ORIGINAL_NOT_SEEN not in reversal["flags"]
    # the correction that follows names the claim it corrects
    for group, amount in (("CO", "130"), ("PR", "20")):
        correction = rows[("LK1001", "1", group, amount)]
        assert correction["claim_event_id"] != claim_a  # the correction's own claim
        assert correction["corrects_claim_event_id"] == claim_a
        assert correction["reverses_event_id"] is None
    # a reversal of a claim never seen
    lonely = rows[("LK9999", "22", "CO", "-20")]
    assert lonely["flags"] == [ORIGINAL_NOT_SEEN]
    assert lonely["reverses_event_id"] is None and lonely["reverses_claim_event_id"] is None
    # the WO names LK1003 by its CLP07; the FB opens a balance
    wo = rows[(None, "WO", "WO", "240")]
    assert (wo["matched_claim_id"], wo["matched_claim_event_id"]) == ("LK1003", claim_c)
    fb = rows[(None, "FB", "FB", "-290")]
    assert fb["matched_claim_id"] is None
    assert forwarding_balances(store.data.items()) == {"DENT1": Decimal("290")}
    # nothing of the first file links to anything
    for key in first:
        if key[:2] in {("LK1002", "1"), ("LK1003", "1")}:
            assert all(rows[key][f] is None for f in LINK_FIELDS)


def test_the_second_file_alone_links_nothing() -> None:
    rows = _link_all(adjustments(REVERSAL))
    reversals = [r for r in rows if r["claim_status"] == "22"]
    assert len(reversals) == 3
    assert all(r["flags"] == [ORIGINAL_NOT_SEEN] for r in reversals)
    assert all(r[f] is None for r in rows for f in LINK_FIELDS)


def test_files_in_the_other_order_link_nothing_backwards() -> None:
    rows = _link_all(adjustments(REVERSAL) + adjustments(ORIGINAL))
    assert not any(r["reverses_event_id"] or r["matched_claim_id"] for r in rows)


def _event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "e0",
        "payer_id": "P1",
        "claim_id": "C1",
        "claim_status": "1",
        "payer_claim_id": "ICN1",
        "claim_event_id": "claim-1",
        "level": "line",
        "line": 1,
        "group_code": "CO",
        "carc": "45",
        "amount": "50.00",
        "reversal": False,
    }
    return {**base, **fields}


def test_a_reversal_under_the_same_clp01_amount_spellings_and_undone_once() -> None:
    linker = Linker(MemoryStore())
    assert linker.link(_event()).fields["reverses_event_id"] is None
    reversal = _event(
        event_id="e1", claim_status="22", claim_event_id="claim-2", amount="-50", reversal=True
    )
    links = linker.link(reversal)
    assert links.fields["reverses_event_id"] == "e0"
    assert links.fields["reverses_claim_event_id"] == "claim-1"
    # undone once: a second reversal of the same original finds nothing left to undo
    again = linker.link({**reversal, "event_id": "e2", "claim_event_id": "claim-3"})
    assert again.flags == (ORIGINAL_NOT_SEEN,)
    # a reversal under another CLP01 is not linked, even with the same CLP07 (it would be
    # another partition's claim in a worker; explain decides the same)
    linker.link(_event(event_id="e3", claim_event_id="claim-4"))
    other = linker.link({**reversal, "event_id": "e4", "claim_id": "C2", "claim_event_id": "c5"})
    assert other.flags == (ORIGINAL_NOT_SEEN,)


def test_index_entries_go_to_the_directory_when_there_is_one() -> None:
    sent: list[tuple[bytes, bytes]] = []
    claims = Linker(MemoryStore(), directory=lambda key, value: sent.append((key, value)))
    claims.link(_event())
    claims.link(_event(event_id="e9"))  # the same claim: indexed once
    assert [key for key, _ in sent] == [b"P1|ICN1"]
    lookups = Linker(MemoryStore())  # another partition's store: the one of P1|ICN1
    assert lookups.link(_plb("WO", "ICN1", "10")).fields["matched_claim_id"] is None
    lookups.remember_index_entry(*sent[0])
    links = lookups.link(_plb("WO", "ICN1", "10"))
    assert (links.fields["matched_claim_id"], links.fields["matched_claim_event_id"]) == (
        "C1",
        "claim-1",
    )


def test_a_reversal_of_a_seen_claim_with_an_adjustment_the_original_lacks_is_flagged() -> None:
    linker = Linker(MemoryStore())
    linker.link(_event())
    links = linker.link(
        _event(event_id="e1", claim_status="22", claim_event_id="claim-2", carc="253", amount="-2")
    )
    assert links.fields["reverses_claim_event_id"] == "claim-1"
    assert links.fields["reverses_event_id"] is None
    assert links.flags == (ORIGINAL_NOT_SEEN,)


def _plb(code: str, reference: str | None, amount: str, payer: str = "P1") -> dict[str, Any]:
    return {
        "event_id": f"plb-{code}-{amount}",
        "payer_id": payer,
        "claim_id": None,
        "level": "provider",
        "carc": code,
        "amount": amount,
        "plb_reference": reference,
        "reversal": False,
    }


def test_a_forwarding_balance_stays_open_until_what_settles_it() -> None:
    store = MemoryStore()
    linker = Linker(store)
    linker.link(_plb("FB", "T100", "-290.00"))
    linker.link(_plb("FB", "T200", "-10", payer="P2"))
    assert forwarding_balances(store.data.items()) == {"P1": Decimal("290"), "P2": Decimal("10")}
    linker.link(_plb("WO", "T100", "200"))  # part of it taken back by a recoupment
    linker.link(_plb("WO", "OTHER", "500"))  # another reference settles nothing
    assert forwarding_balances(store.data.items()) == {"P1": Decimal("90"), "P2": Decimal("10")}
    linker.link(_plb("FB", "T100", "120"))  # the rest, and more: never below zero
    linker.link(_plb("FB", "T300", "40"))  # a positive FB with nothing open opens nothing
    assert forwarding_balances(store.data.items()) == {"P2": Decimal("10")}


def test_a_plb_reference_by_clp01_matches_and_lookup_keys() -> None:
    linker = Linker(MemoryStore())
    linker.link(_event())
    links = linker.link(_plb("72", "C1", "25"))
    assert links.fields["matched_claim_id"] == "C1"
    assert links.fields["matched_claim_event_id"] == "claim-1"
    assert Linker.lookup_key(_plb("72", "C1", "25")) == b"P1|C1"
    assert Linker.lookup_key(_plb("L6", None, "25")) is None
    assert Linker.lookup_key(_event()) is None
