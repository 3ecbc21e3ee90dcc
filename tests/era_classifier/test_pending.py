"""PLB items waiting at their lookup partition (era_classifier.pending and the stage's lookup
and punctuation), without a broker: the lookup that comes before the claim's index entry waits
for it and leaves matched; one whose claim never comes leaves unmatched once the group has passed
it, or after the grace; items of one reference keep their order; a claim ingested after the item
is not its match (as `era explain` decides)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_classifier.links import Linker, forwarding_balances
from era_classifier.pending import (
    CLOCK_SLACK_MS,
    GRACE,
    PASSED,
    PENDING_PREFIX,
    PendingItems,
    Waiting,
    due,
    leading,
    wait_mark,
)
from era_classifier.stage import ClassifierStage
from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT
from era_streams.progress import NoProgress
from era_streams.state import MemoryStore

pytestmark = pytest.mark.unit

LOOKUP = "x.lookup"
CLASSIFIED = "x.classified"
GRACE_MS = 60_000
ENCODE = AvroCodec(ADJUSTMENT).encode
DECODE = AvroCodec(CLASSIFIED_ADJUSTMENT).decode


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


class Passed:
    """A Progress that has passed every time up to ``until`` (ms)."""

    def __init__(self, until: int = -1) -> None:
        self.until = until
        self.asked: list[tuple[int, int]] = []

    def passed(self, partition: int, timestamp_ms: int) -> bool:
        self.asked.append((partition, timestamp_ms))
        return timestamp_ms <= self.until


class Rig:
    """A worker's classifier stage on a MemoryStore (one partition) with the hop captured."""

    def __init__(self, *, waits: bool = True) -> None:
        self.store = MemoryStore()
        self.clock = Clock()
        self.stage = ClassifierStage(
            Classifier(load_knowledge_base()),
            decoder=AvroCodec(ADJUSTMENT),
            encoder=AvroCodec(CLASSIFIED_ADJUSTMENT),
            output_topic=CLASSIFIED,
            clock_ms=self.clock,
            linker=Linker(self.store),
            lookup_topic=LOOKUP,
            pending=PendingItems(self.store) if waits else None,
            pending_keys=lambda partition: [
                k for k in list(self.store.data) if k.startswith(PENDING_PREFIX)
            ],
            grace_ms=GRACE_MS,
        )

    def source(self, record: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        """Run the input-topic stage: (classified outputs, lookup-topic outputs)."""
        outputs = self.stage(b"k", ENCODE(record))
        return [o for o in outputs if o[0] != LOOKUP], [o for o in outputs if o[0] == LOOKUP]

    def lookup(self, hop: Any) -> list[dict[str, Any]]:
        """Deliver one lookup-topic record; the classified records it lets go."""
        _, value, key = hop
        return [DECODE(o[1]) for o in self.stage.lookup(key, value)]

    def punctuate(self, progress: Any) -> list[dict[str, Any]]:
        return [DECODE(o[1]) for o in self.stage.punctuate(0, progress)]


@pytest.fixture
def claim(make_adjustment: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_adjustment(
        claim_id="CLM-9", payer_claim_id="PCN-9", ingested_at=5_000, claim_event_id="e" * 32
    )


@pytest.fixture
def recoupment(make_adjustment: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def make(reference: str = "PCN-9", code: str = "WO", amount: str = "40.00", **kw: Any) -> Any:
        fields: dict[str, Any] = {
            "level": "provider",
            "line": None,
            "claim_id": None,
            "claim_status": None,
            "payer_claim_id": None,
            "procedure": None,
            "line_charge": None,
            "line_paid": None,
            "group_code": None,
            "carc": code,
            "amount": amount,
            "rarcs": [],
            "plb_reference": reference,
            "ingested_at": 5_001,
            "claim_event_id": None,
        }
        return make_adjustment(**{**fields, **kw})

    return make


def test_a_lookup_before_the_index_entry_waits_and_leaves_matched(
    claim: dict[str, Any], recoupment: Callable[..., dict[str, Any]]
) -> None:
    rig = Rig()
    _, [entry] = rig.source(claim)
    _, [plb_hop] = rig.source(recoupment())
    assert plb_hop[2] == entry[2] == b"94-1234567|PCN-9"  # one lookup partition
    assert rig.lookup(plb_hop) == []  # the PLB first: it waits
    assert rig.punctuate(Passed(until=-1)) == []  # the group has not passed it: still waits
    [record] = rig.lookup(entry)  # the claim's index entry lets it go, matched
    assert (record["matched_claim_id"], record["matched_claim_event_id"]) == ("CLM-9", "e" * 32)
    assert not [k for k in rig.store.data if k.startswith(PENDING_PREFIX)]
    assert rig.punctuate(Passed(until=10**12)) == []  # gone: never sent twice


def test_without_waiting_the_same_order_leaves_it_unmatched(
    claim: dict[str, Any], recoupment: Callable[..., dict[str, Any]]
) -> None:
    rig = Rig(waits=False)
    _, [entry] = rig.source(claim)
    _, [plb_hop] = rig.source(recoupment())
    [record] = rig.lookup(plb_hop)
    assert record["matched_claim_id"] is None  # the race the waiting fixes
    assert rig.lookup(entry) == []


def test_an_item_whose_claim_never_comes_leaves_once_the_group_passed_it(
    recoupment: Callable[..., dict[str, Any]],
) -> None:
    rig = Rig()
    _, [hop] = rig.source(recoupment(reference="NOSUCH"))
    assert rig.lookup(hop) == []
    mark = wait_mark(5_001)
    assert mark == 7_000  # ingest time + 1 s slack, rounded up to the second
    progress = Passed(until=mark - 1)
    assert rig.punctuate(progress) == []  # not yet past its ingest time plus the slack
    assert progress.asked == [(0, mark)]
    progress.until += 1
    [record] = rig.punctuate(progress)
    assert record["matched_claim_id"] is None and record["carc"] == "WO"
    assert rig.punctuate(progress) == []


def test_an_item_leaves_unmatched_after_the_grace_whatever_the_group(
    recoupment: Callable[..., dict[str, Any]],
) -> None:
    rig = Rig()
    _, [hop] = rig.source(recoupment(reference="NOSUCH"))
    rig.lookup(hop)
    rig.clock.now += GRACE_MS - 1
    assert rig.punctuate(NoProgress()) == []
    rig.clock.now += 1
    [record] = rig.punctuate(NoProgress())
    assert record["matched_claim_id"] is None


def test_an_index_entry_before_the_lookup_matches_at_once(
    claim: dict[str, Any], recoupment: Callable[..., dict[str, Any]]
) -> None:
    rig = Rig()
    _, [entry] = rig.source(claim)
    _, [hop] = rig.source(recoupment())
    assert rig.lookup(entry) == []
    [record] = rig.lookup(hop)
    assert record["matched_claim_id"] == "CLM-9"


def test_a_reference_by_clp01_waits_for_the_claims_first_adjustment(
    claim: dict[str, Any], recoupment: Callable[..., dict[str, Any]]
) -> None:
    rig = Rig()
    _, [hop] = rig.source(recoupment(reference="CLM-9"))
    assert rig.lookup(hop) == []
    classified, _ = rig.source(claim)  # the claim, on the lookup partition's input partition
    own, released = classified
    assert DECODE(own[1])["claim_id"] == "CLM-9"
    assert released[2] == b"94-1234567|CLM-9"
    record = DECODE(released[1])
    assert (record["matched_claim_id"], record["matched_claim_event_id"]) == ("CLM-9", "e" * 32)


def test_a_claim_ingested_after_the_item_is_not_its_match(
    claim: dict[str, Any], recoupment: Callable[..., dict[str, Any]]
) -> None:
    rig = Rig()
    _, [entry] = rig.source({**claim, "ingested_at": 9_000})  # a later file's claim
    _, [hop] = rig.source(recoupment(ingested_at=5_001))
    assert rig.lookup(hop) == []
    assert rig.lookup(entry) == []  # later than the item: explain would not link it either
    [record] = rig.punctuate(Passed(until=10**12))
    assert record["matched_claim_id"] is None


def test_items_of_one_reference_leave_in_order_and_settle_the_balance_once(
    recoupment: Callable[..., dict[str, Any]],
) -> None:
    rig = Rig()
    fb = recoupment(reference="FB77", code="FB", amount="-290.00", event_id="1" * 32)
    wo = recoupment(reference="FB77", code="WO", amount="100.00", event_id="2" * 32)
    for record in (fb, wo):
        _, [hop] = rig.source(record)
        assert rig.lookup(hop) == []
    released = rig.punctuate(Passed(until=10**12))
    assert [r["event_id"] for r in released] == ["1" * 32, "2" * 32]
    offline = MemoryStore()
    explain = Linker(offline)
    for record in (fb, wo):
        explain.link(record)
    assert forwarding_balances(rig.store.data.items()) == {"94-1234567": Decimal("190")}
    assert forwarding_balances(offline.data.items()) == {"94-1234567": Decimal("190")}


def test_a_later_item_waits_behind_an_earlier_one_of_its_reference(
    recoupment: Callable[..., dict[str, Any]],
) -> None:
    rig = Rig()
    _, [first] = rig.source(recoupment(reference="R1", ingested_at=5_000))
    _, [second] = rig.source(recoupment(reference="R1", ingested_at=4_000))
    rig.lookup(first)
    rig.lookup(second)
    # the second is passed, the first not: neither leaves, the order holds
    assert rig.punctuate(Passed(until=wait_mark(4_000))) == []
    assert len(rig.punctuate(Passed(until=wait_mark(5_000)))) == 2


def test_pending_items_keep_their_bytes_and_times() -> None:
    store = MemoryStore()
    items = PendingItems(store)
    assert not items.waiting(b"p|r") and items.items(b"p|r") == []
    a, b = Waiting(b"\x00\xc3a", 1, 2), Waiting(b"b", 3, 4)
    items.park(b"p|r", a)
    items.park(b"p|r", b)
    assert items.items(b"p|r") == [a, b]
    assert items.release(b"p|r", 1) == [a]
    assert items.items(b"p|r") == [b]
    assert items.release(b"p|r", 1) == [b]
    assert not items.waiting(b"p|r") and store.data == {}  # the last one deletes the key


def test_leading_stops_at_the_first_that_waits_and_due_names_why() -> None:
    items = [Waiting(b"", t, 0) for t in (1, 2, 3)]
    assert leading(items, lambda w: w.ingested_ms != 2) == 1
    item = Waiting(b"", 10, 100)
    kwargs: dict[str, Any] = {"partition": 0, "grace_ms": 50}
    assert due(item, progress=NoProgress(), now_ms=149, **kwargs) is None
    assert due(item, progress=NoProgress(), now_ms=150, **kwargs) == GRACE
    assert due(item, progress=Passed(until=wait_mark(10)), now_ms=0, **kwargs) == PASSED
    assert wait_mark(0) == CLOCK_SLACK_MS and wait_mark(1) == 2 * CLOCK_SLACK_MS
