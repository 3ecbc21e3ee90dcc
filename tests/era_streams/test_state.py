"""The transactional state store: committed, transaction and record layers; an abort rewinds
to the committed state, as the loop rewinds the consumer; a failed record leaves nothing."""

from __future__ import annotations

import pytest

from era_classifier.links import ORIGINAL_NOT_SEEN, Linker, Links
from era_streams.state import MemoryStore, TransactionalStore

pytestmark = pytest.mark.unit


def _record(store: TransactionalStore, partition: int, key: bytes, value: bytes | None) -> None:
    store.focus(partition)
    store.begin_record()
    store.put(key, value)
    store.end_record()


def test_writes_are_seen_at_once_and_kept_only_by_a_commit() -> None:
    store = TransactionalStore()
    _record(store, 0, b"a", b"1")
    _record(store, 1, b"a", b"2")
    store.focus(0)
    assert store.get(b"a") == b"1"
    assert sorted(store.pending()) == [(0, b"a", b"1"), (1, b"a", b"2")]
    store.commit()
    assert list(store.pending()) == []
    assert store.items(0) == [(b"a", b"1")] and store.items(1) == [(b"a", b"2")]
    _record(store, 0, b"a", None)
    _record(store, 0, b"b", b"3")
    store.focus(0)
    assert store.get(b"a") is None
    store.abort()
    assert store.get(b"a") == b"1" and store.get(b"b") is None
    assert store.items(0) == [(b"a", b"1")]


def test_the_last_write_per_key_is_what_the_changelog_gets() -> None:
    store = TransactionalStore()
    for value in (b"1", b"2", None, b"4"):
        _record(store, 3, b"k", value)
    assert list(store.pending()) == [(3, b"k", b"4")]


def test_a_failed_record_leaves_no_write() -> None:
    store = TransactionalStore()
    store.focus(0)
    store.begin_record()
    store.put(b"a", b"1")
    assert store.get(b"a") == b"1"  # the record sees its own writes
    store.discard_record()
    assert store.get(b"a") is None and list(store.pending()) == []


def test_restore_and_forget() -> None:
    store = TransactionalStore()
    store.focus(2)
    assert store.restore(2, [(b"a", b"1"), (b"b", b"2"), (b"a", None), (b"c", b"3")]) == 2
    assert store.get(b"b") == b"2" and store.get(b"a") is None
    _record(store, 2, b"d", b"4")
    store.forget(2)
    assert store.partitions() == [] and list(store.pending()) == []
    with pytest.raises(RuntimeError):
        store.put(b"x", b"1")


def _reversal(event_id: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "payer_id": "P1",
        "claim_id": "C1",
        "claim_status": "22",
        "claim_event_id": "claim-2",
        "level": "line",
        "line": 1,
        "group_code": "CO",
        "carc": "45",
        "amount": "-50.00",
        "reversal": True,
    }


def test_a_link_replayed_after_an_abort_is_made_again_never_lost_or_doubled() -> None:
    store = TransactionalStore()
    linker = Linker(store)
    original = {**_reversal("e0"), "claim_status": "1", "claim_event_id": "claim-1"}
    original.update(amount="50.00", reversal=False)
    _linked(store, linker, original)
    store.commit()
    # the reversal's transaction aborts: the original is not "already undone" on the replay
    assert _linked(store, linker, _reversal("e1")).fields["reverses_event_id"] == "e0"
    store.abort()
    assert _linked(store, linker, _reversal("e1")).fields["reverses_event_id"] == "e0"
    store.commit()
    # committed: the same original cannot be undone twice
    second = _linked(store, linker, {**_reversal("e2"), "claim_event_id": "claim-3"})
    assert second.flags == (ORIGINAL_NOT_SEEN,)


def _linked(store: TransactionalStore, linker: Linker, event: dict[str, object]) -> Links:
    store.focus(0)
    store.begin_record()
    links = linker.link(event)
    store.end_record()
    return links


def test_memory_store() -> None:
    store = MemoryStore()
    store.put(b"a", b"1")
    store.put(b"a", None)
    store.put(b"a", None)
    assert store.get(b"a") is None and store.data == {}


def test_watched_keys_are_kept_aside_committed_only() -> None:
    store = TransactionalStore(watch=(b"fbt|",))
    _record(store, 0, b"fbt|P1", b"10")
    _record(store, 1, b"fbt|P1", b"5")
    _record(store, 1, b"cl|x", b"{}")
    assert store.watched() == []
    store.commit()
    assert sorted(store.watched()) == [(b"fbt|P1", b"10"), (b"fbt|P1", b"5")]
    _record(store, 0, b"fbt|P1", None)
    store.commit()
    store.forget(1)
    store.restore(2, [(b"fbt|P2", b"1"), (b"other", b"2")])
    assert sorted(store.watched()) == [(b"fbt|P2", b"1")]
