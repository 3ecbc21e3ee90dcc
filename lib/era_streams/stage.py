"""The contract between a worker's pure logic and the stream machinery."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Output = tuple[str, bytes]


class Stage(Protocol):
    """``(key, value) → [(topic, value), ...]``; raising sends the record to the dead letters."""

    def __call__(self, key: bytes | None, value: bytes | None) -> Sequence[Output]: ...
