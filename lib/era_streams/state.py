"""Keyed state for a stage, kept per input partition and committed with the loop's transaction.

A stage that remembers (the classifier's claim index) reads and writes a :class:`KeyValueStore`.
Offline (``era explain``) that is a plain :class:`MemoryStore`. In a worker it is a
:class:`TransactionalStore`: every write of a transaction is also produced by the
:class:`~era_streams.transactional.TransactionalLoop` to a compacted changelog topic, into the
changelog partition of the input partition the record came from, **inside the transaction**
that carries the stage's outputs and the input offsets. So state, outputs and offsets become
visible together or not at all:

* the transaction commits → :meth:`TransactionalStore.commit` makes its writes the committed
  state;
* it aborts (a failed commit, a lost assignment, a renewed producer) →
  :meth:`TransactionalStore.abort` drops them, the same way the loop rewinds the consumer to the
  committed offsets, so the records processed again see the state they first saw;
* a record the stage fails on (dead-lettered) leaves no write behind
  (:meth:`~TransactionalStore.begin_record` / :meth:`~TransactionalStore.end_record`).

Values are bytes (the stage encodes them); ``None`` deletes (a tombstone on the changelog).
Nothing here talks to Kafka: restoring a partition from its changelog is
:mod:`era_streams.changelog`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol


class KeyValueStore(Protocol):
    """What a stage sees of its state: get, and put (``None`` deletes)."""

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``, or ``None``."""
        ...

    def put(self, key: bytes, value: bytes | None) -> None:
        """Set ``key`` to ``value``; ``None`` deletes it."""
        ...


class MemoryStore:
    """A :class:`KeyValueStore` in a dict, with no transactions (offline use, tests)."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``, or ``None``."""
        return self.data.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        """Set ``key`` to ``value``; ``None`` deletes it."""
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value


class TransactionalStore:
    """Per-partition state with three layers: committed, the open transaction's writes, and the
    current record's writes.

    The loop calls :meth:`focus` with the record's input partition before the stage runs, so
    the stage's :meth:`get` and :meth:`put` address that partition's state. Keys starting with
    one of ``watch`` are also kept aside per partition (:meth:`watched`), committed values only,
    for gauges that must not scan the whole state.
    """

    def __init__(self, watch: tuple[bytes, ...] = ()) -> None:
        self._watch = watch
        self._watched: dict[int, dict[bytes, bytes]] = {}
        self._committed: dict[int, dict[bytes, bytes]] = {}
        self._transaction: dict[tuple[int, bytes], bytes | None] = {}
        self._record: dict[bytes, bytes | None] = {}
        self._partition = -1
        self._state: dict[bytes, bytes] = {}

    # -- what the stage sees ------------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key`` in the focused partition, the open writes included."""
        record = self._record
        if key in record:
            return record[key]
        transaction = self._transaction
        if transaction:
            item = (self._partition, key)
            if item in transaction:
                return transaction[item]
        return self._state.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        """Write ``key`` in the focused partition (kept until the transaction ends)."""
        if self._partition < 0:
            raise RuntimeError("TransactionalStore.put before focus(partition)")
        self._record[key] = value

    # -- what the loop drives -----------------------------------------------------------------

    def focus(self, partition: int) -> None:
        """Address ``partition``'s state from now on (the record's input partition)."""
        if partition != self._partition:
            self._partition = partition
            self._state = self._committed.setdefault(partition, {})

    def begin_record(self) -> None:
        """Start one record's writes (dropped by :meth:`discard_record`)."""
        self._record = {}

    def end_record(self) -> None:
        """Keep the record's writes in the open transaction."""
        if self._record:
            partition = self._partition
            for key, value in self._record.items():
                self._transaction[(partition, key)] = value
            self._record = {}

    def record_writes(self) -> int:
        """How many keys the current record wrote so far."""
        return len(self._record)

    def discard_record(self) -> None:
        """Drop the record's writes (the stage failed on it)."""
        self._record = {}

    def pending(self) -> Iterator[tuple[int, bytes, bytes | None]]:
        """``(partition, key, value)`` of the open transaction's writes, the last per key: what
        the loop produces to the changelog before it commits."""
        for (partition, key), value in self._transaction.items():
            yield partition, key, value

    def commit(self) -> None:
        """The transaction committed: its writes are the committed state now."""
        watch = self._watch
        for (partition, key), value in self._transaction.items():
            state = self._committed.setdefault(partition, {})
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
            if watch and key.startswith(watch):
                watched = self._watched.setdefault(partition, {})
                if value is None:
                    watched.pop(key, None)
                else:
                    watched[key] = value
        self._transaction = {}

    def abort(self) -> None:
        """The transaction aborted: its writes are gone (the records are processed again)."""
        self._transaction = {}
        self._record = {}

    def restore(self, partition: int, records: Iterable[tuple[bytes, bytes | None]]) -> int:
        """Replace ``partition``'s state by the changelog ``records`` (in log order); returns
        how many keys it holds."""
        state: dict[bytes, bytes] = {}
        for key, value in records:
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        self._committed[partition] = state
        if self._watch:
            self._watched[partition] = {k: v for k, v in state.items() if k.startswith(self._watch)}
        if partition == self._partition:
            self._state = state
        return len(state)

    def forget(self, partition: int) -> None:
        """Drop ``partition``'s state (the partition was revoked or lost)."""
        self._committed.pop(partition, None)
        self._watched.pop(partition, None)
        self._transaction = {k: v for k, v in self._transaction.items() if k[0] != partition}
        if partition == self._partition:
            self._partition = -1
            self._state = {}

    def watched_keys(self, partition: int, prefix: bytes) -> list[bytes]:
        """The committed keys of ``partition`` that start with ``prefix`` (one of ``watch``)."""
        return [key for key in self._watched.get(partition, {}) if key.startswith(prefix)]

    def watched(self) -> list[tuple[bytes, bytes]]:
        """The committed ``(key, value)`` pairs of the watched keys, every partition's."""
        return [item for watched in self._watched.values() for item in watched.items()]

    def partitions(self) -> list[int]:
        """The partitions whose state is held."""
        return sorted(self._committed)

    def items(self, partition: int) -> list[tuple[bytes, bytes]]:
        """The committed ``(key, value)`` pairs of ``partition``."""
        return list(self._committed.get(partition, {}).items())
