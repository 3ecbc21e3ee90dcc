"""Problems found while reading an 835 file, and the parser's own exception type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file.

    ``segment_no`` is the 1-based position of the offending segment in the file, or 0 when the
    problem concerns the file as a whole (missing, empty, not X12, no ISA header).
    ``message`` says what was expected. ``rejected`` is true when a whole transaction set (ST..SE)
    was dropped because of this problem; ``transaction`` then names it (ST02).
    """

    file: str
    segment_no: int
    message: str
    severity: Severity = "error"
    interchange: str | None = None
    transaction: str | None = None
    rejected: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.segment_no}: {self.message}"


class X12Error(Exception):
    """The parser's own exception; carries the :class:`Problem` that describes it.

    The public iterators turn bad input into :class:`Problem` values instead of raising; this
    type only escapes them when the parser itself fails unexpectedly (a bug), wrapping the
    original exception as its ``__cause__``.
    """

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem
