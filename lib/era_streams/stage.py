"""The contract between a worker's pure logic and the stream machinery."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Output = tuple[str, bytes] | tuple[str, bytes, bytes]
"""``(topic, value)`` keyed like the input record, or ``(topic, value, key)`` with its own key."""


class Stage(Protocol):
    """``(key, value) → [(topic, value), ...]``; raising sends the record to the dead letters.
    A stage with a :class:`~era_streams.state.TransactionalStore` reads and writes the state of
    the record's input partition (the loop focuses the store before the call)."""

    def __call__(self, key: bytes | None, value: bytes | None) -> Sequence[Output]: ...
