"""PLB items waiting at their lookup partition for the claim they name (docs/delivery.md,
"Order").

In a worker a PLB item and the index entry of the claim it names reach the lookup partition of
``<payer>|<reference>`` from different input partitions, which progress independently; the PLB
item may come first, even when the claim was ingested before it (the same file, usually). So a
PLB item that names no claim seen yet is not sent on unmatched at once: it is **parked** in the
store under ``pp|<payer>|<reference>`` (in the changelog like every other key, written in the
stage's transaction), and leaves

* **matched**, as soon as the claim it names is seen: the index entry arrives on the lookup
  topic (CLP07) or the claim's first adjustment on the input topic (CLP01) — in the same
  transaction as that record;
* **unmatched**, once nothing ingested before it can still arrive: the consumer group has
  processed every input partition past the item's ingest time and this worker has read what
  that sent to the lookup partition (:class:`era_streams.progress.Progress`, asked about once a
  second) — or, whatever the group's progress, after ``grace_ms`` of waiting (a bound for a
  group that does not progress).

The items of one key leave in the order they came (an FB and the WO that takes it back share
the reference). Pure logic on a :class:`~era_streams.state.KeyValueStore`; no Kafka here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from era_streams.progress import Progress
from era_streams.state import KeyValueStore

PENDING_PREFIX = b"pp|"
"""Store keys of parked PLB items: ``pp|<payer>|<reference>`` (the lookup key)."""
CLOCK_SLACK_MS = 1000
"""Added to an item's ingest time before asking for the group's progress: claims stamped by
another ingest process whose clock is a little ahead still count as before it."""


def wait_mark(ingested_ms: int) -> int:
    """The time the group must have passed before an item ingested at ``ingested_ms`` leaves
    unmatched: plus :data:`CLOCK_SLACK_MS`, rounded up to a whole second (the items of one file
    share a few marks, so the progress queries are few)."""
    return -(-(ingested_ms + CLOCK_SLACK_MS) // 1000) * 1000


@dataclass(frozen=True, slots=True)
class Waiting:
    """One parked PLB item: the Adjustment as received, its ingest time (``ingested_at``, or
    the time it was parked when unset) and the wall-clock time it was parked (ms)."""

    data: bytes
    ingested_ms: int
    parked_ms: int


class PendingItems:
    """The parked items of a store, by lookup key, in arrival order."""

    def __init__(self, store: KeyValueStore) -> None:
        self.store = store

    def waiting(self, key: bytes) -> bool:
        """Whether any item waits under ``key``."""
        return self.store.get(PENDING_PREFIX + key) is not None

    def items(self, key: bytes) -> list[Waiting]:
        """The items waiting under ``key``, oldest first."""
        raw = self.store.get(PENDING_PREFIX + key)
        if raw is None:
            return []
        return [
            Waiting(base64.b64decode(data), int(ingested), int(parked))
            for data, ingested, parked in json.loads(raw)
        ]

    def park(self, key: bytes, item: Waiting) -> None:
        """Add ``item`` after the others waiting under ``key``."""
        self._save(key, [*self.items(key), item])

    def release(self, key: bytes, count: int) -> list[Waiting]:
        """Remove and return the ``count`` oldest items of ``key``."""
        items = self.items(key)
        self._save(key, items[count:])
        return items[:count]

    def _save(self, key: bytes, items: list[Waiting]) -> None:
        value = [
            [base64.b64encode(item.data).decode(), item.ingested_ms, item.parked_ms]
            for item in items
        ]
        encoded = json.dumps(value, separators=(",", ":")).encode() if value else None
        self.store.put(PENDING_PREFIX + key, encoded)


def leading(items: Iterable[Waiting], leaves: Callable[[Waiting], bool]) -> int:
    """How many of ``items``, from the oldest, may leave (stops at the first that may not, so
    the items of one key keep their order)."""
    count = 0
    for item in items:
        if not leaves(item):
            break
        count += 1
    return count


GRACE = "grace"
PASSED = "passed"


def due(
    item: Waiting, *, partition: int, progress: Progress, now_ms: int, grace_ms: int
) -> str | None:
    """Why ``item`` leaves unmatched now — :data:`GRACE` (it waited ``grace_ms``) or
    :data:`PASSED` (the group has passed its :func:`wait_mark`) — or
    ``None`` when it waits on."""
    if now_ms >= item.parked_ms + grace_ms:
        return GRACE
    if progress.passed(partition, wait_mark(item.ingested_ms)):
        return PASSED
    return None
