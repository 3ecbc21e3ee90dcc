"""Noticing a transaction whose messages are not being delivered.

librdkafka retries an undelivered message by itself until ``message.timeout.ms``; a
transactional producer caps that at ``transaction.timeout.ms`` (ingest: 300 s). While it
retries, ``commit_transaction`` only reports that its flush timed out (a retriable error), so a
caller that retries the commit waits out the whole message timeout before the transaction fails
(``_INCONSISTENT``: "N message(s) failed delivery"). That is right while the cluster is busy
electing a leader, and wrong when the producer itself has wedged a partition (after a broker
restart librdkafka can hold a partition's messages back, waiting for an epoch bump or a drain
that never completes): the messages would go through on a new producer at once.

:class:`DeliveryWatch` tells the two apart by progress: it counts the messages handed to the
producer and reads how many are still outstanding (``len(producer)``); when messages are
outstanding and none was delivered (nor failed) for ``stall_seconds``, :meth:`check` raises
:class:`DeliveryStalledError`. The caller then gives the transaction up — a transaction that never
commits is invisible to ``read_committed`` readers — and publishes again on a new producer with
the same ``transactional.id``, whose ``init_transactions`` fences the wedged one and aborts its
transaction. No callback per message: the count costs one integer addition per produce.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class DeliveryStalledError(RuntimeError):
    """Messages were outstanding and none was delivered for ``seconds``."""

    def __init__(self, outstanding: int, seconds: float) -> None:
        super().__init__(
            f"{outstanding} message(s) outstanding and none delivered for {seconds:.0f}s"
        )
        self.outstanding = outstanding
        self.seconds = seconds


class DeliveryWatch:
    """Delivery progress of one producer (not thread-safe: the producing thread uses it).

    ``outstanding`` returns the producer's queue length (``len(producer)``: messages queued, in
    flight, or with a delivery report not yet served). Call :meth:`produced` for every message
    handed to the producer and :meth:`check` while waiting for it; :meth:`restart` when a new
    transaction (or a new producer) begins.
    """

    def __init__(
        self,
        outstanding: Callable[[], int],
        stall_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outstanding = outstanding
        self.stall_seconds = stall_seconds
        self._clock = clock
        self._produced = 0  # handed to the producer since the last sample
        self._last = 0  # outstanding at the last sample
        self._progress_at = clock()

    def restart(self, outstanding: Callable[[], int] | None = None) -> None:
        """Forget the past (a new transaction, or ``outstanding`` of a new producer)."""
        if outstanding is not None:
            self._outstanding = outstanding
        self._produced = 0
        self._last = self._outstanding()
        self._progress_at = self._clock()

    def produced(self, count: int = 1) -> None:
        """``count`` more messages were handed to the producer."""
        self._produced += count

    def stalled_for(self) -> float:
        """Seconds since the last delivery while messages are outstanding (0 when none are)."""
        now = self._clock()
        outstanding = self._outstanding()
        # delivered (or failed) since the last sample: what was there, plus what came, minus
        # what is still there
        settled = self._last + self._produced - outstanding
        self._last, self._produced = outstanding, 0
        if outstanding == 0 or settled > 0:
            self._progress_at = now
        return now - self._progress_at

    def check(self) -> None:
        """Raise :class:`DeliveryStalledError` when nothing was delivered for ``stall_seconds``
        while messages are outstanding."""
        waited = self.stalled_for()
        if waited >= self.stall_seconds:
            raise DeliveryStalledError(self._last, waited)
