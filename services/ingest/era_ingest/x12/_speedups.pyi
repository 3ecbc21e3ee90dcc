"""The compiled helpers of :mod:`era_ingest.x12.speedups` (``_speedups.c``)."""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

def split_segments(
    block: str, terminator: str, element: str, strip: str
) -> list[list[str]] | None: ...
def hash32(text: str) -> str: ...
def provisional_ids(
    buffer: bytearray,
    prefix: str,
    offset: int,
    content: str,
    items: Sequence[tuple[Any, ...]],
    plb: bool,
) -> None: ...
def finish_ids(prefix: str, buffer: bytearray) -> tuple[str, list[str]]: ...
def cas_json(
    out: list[str],
    ids: Iterator[str],
    head: str,
    middle: str,
    tail: str,
    cas: list[tuple[Any, ...]],
    pieces: tuple[str, ...],
    escape: Callable[[str], str],
) -> None: ...
