"""The parser's hottest pure steps — splitting a block of segments, hashing event ids and
writing the JSON line of each CAS item — in Python, and compiled when the C extension
``_speedups`` (``_speedups.c``, built by ``pip install``) is there.

The Python functions here define the results; the compiled ones must return exactly the same
(tests/era_ingest/x12/test_speedups.py holds them to it, on fuzzed input too). Without a C
compiler the install still works and the parser runs the Python versions (:data:`COMPILED` says
which; ``ERA_PURE_PYTHON=1`` forces Python). What the compiled ones buy is in
docs/performance.md ("Compiled helpers").
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # no typing at start-up (see .startup)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any


def py_split_segments(block: str, terminator: str, element: str, strip: str) -> list[list[str]]:
    """The non-blank segments of ``block`` (``strip`` removed around each), split into
    elements."""
    return [
        segment.split(element) for raw in block.split(terminator) if (segment := raw.strip(strip))
    ]


def py_hash32(text: str) -> str:
    """The first 32 hex digits of the SHA-256 of ``text`` (UTF-8)."""
    from hashlib import sha256  # noqa: PLC0415 - hashlib costs ~3 ms of start-up

    return sha256(text.encode()).hexdigest()[:32]


def py_provisional_ids(  # noqa: PLR0917 - the hot path passes them positionally
    buffer: bytearray,
    prefix: str,
    offset: int,
    content: str,
    items: Sequence[tuple[Any, ...]],
    plb: bool,
) -> None:
    """Append the provisional id (:func:`py_hash32` of its id key, 32 ASCII bytes) of each item
    to ``buffer``. The key of a CAS item ``(segment_no, index, group, reason, amount, ...)`` is
    ``prefix``, ``segment_no - offset``, ``index``, then ``content``, group, reason and amount;
    of a PLB item ``(segment_no, index, reason composite, amount as written, ...)`` (``plb``)
    ``prefix``, ``segment_no - offset``, ``index``, the reason and the amount — each part after
    the first two followed by ``\\x1f`` (``content`` brings its own)."""
    from hashlib import sha256  # noqa: PLC0415

    for item in items:
        if plb:
            key = f"{prefix}{item[0] - offset}\x1f{item[1]}\x1f{item[2]}\x1f{item[3]}"
        else:
            key = (
                f"{prefix}{item[0] - offset}\x1f{item[1]}\x1f"
                f"{content}{item[2]}\x1f{item[3]}\x1f{item[4]}"
            )
        buffer += sha256(key.encode()).hexdigest()[:32].encode()


def py_finish_ids(prefix: str, buffer: bytearray) -> tuple[str, list[str]]:
    """``(fingerprint, ids)`` from the provisional ids in ``buffer``: the fingerprint hashes
    ``prefix`` and every provisional id; each final id hashes fingerprint + provisional id."""
    from hashlib import sha256  # noqa: PLC0415

    provisional = buffer.decode()
    fingerprint = sha256(f"{prefix}{provisional}".encode()).hexdigest()[:32]
    return fingerprint, [
        sha256(f"{fingerprint}{provisional[at : at + 32]}".encode()).hexdigest()[:32]
        for at in range(0, len(provisional), 32)
    ]


def py_cas_json(  # noqa: PLR0917 - the hot path passes them positionally
    out: list[str],
    ids: Iterator[str],
    head: str,
    middle: str,
    tail: str,
    cas: list[tuple[Any, ...]],
    pieces: tuple[str, ...],
    escape: Callable[[str], str],
) -> None:
    """Append the JSON line of each CAS item ``(segment_no, index, group, reason, amount,
    quantity)`` to ``out``: the 10 ``pieces`` (the keys and punctuation, from .jsonl) around the
    next event id from ``ids``, ``head``, the segment number, ``middle``, group and reason
    (``escape``: JSON strings), amount and quantity (validated numbers, quoted as they are,
    ``null`` for no quantity) and ``tail``."""
    p0, p1, p2, p3, p4, p5, p6, p7, p8, p9 = pieces
    append = out.append
    for segment_no, _, group, reason, amount, quantity in cas:
        count = "null" if quantity is None else '"' + quantity + '"'
        append(
            f"{p0}{next(ids)}{p1}{head}{p2}{segment_no}{p3}{middle}{p4}{escape(group)}"
            f"{p5}{escape(reason)}{p6}{amount}{p7}{count}{p8}{tail}{p9}"
        )


COMPILED = False
"""True when the compiled helpers are in use."""
hash32: Callable[[str], str] = py_hash32
provisional_ids = py_provisional_ids
cas_json = py_cas_json
finish_ids = py_finish_ids
split_segments: Callable[[str, str, str, str], list[list[str]]] = py_split_segments
"""``split_segments(block, terminator, element, strip)``: :func:`py_split_segments`, compiled
when it can be (a Latin-1 block, one-character delimiters), else in Python."""


def _split_compiled(block: str, terminator: str, element: str, strip: str) -> list[list[str]]:
    parts = _speedups.split_segments(block, terminator, element, strip)
    if parts is None:
        return py_split_segments(block, terminator, element, strip)
    return parts


if os.environ.get("ERA_PURE_PYTHON", "") not in {"1", "true"}:
    try:
        from . import _speedups
    except ImportError:  # no compiler at install time: the Python versions
        pass
    else:
        split_segments = _split_compiled
        hash32 = _speedups.hash32
        provisional_ids = _speedups.provisional_ids
        cas_json = _speedups.cas_json
        finish_ids = _speedups.finish_ids
        COMPILED = True
