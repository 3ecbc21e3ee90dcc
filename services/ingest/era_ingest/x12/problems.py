"""Problems found while reading an 835 file, and the parser's own exception type.

Plain classes, no ``dataclasses`` at run time (see :mod:`.startup`). :class:`Problem` is
written by hand, with ``__slots__``: a frozen dataclass costs the ``dataclasses`` import (~6 ms
of start-up, measured with ``-X importtime``) and is slower to build (each field set through
``object.__setattr__`` in a generated ``__init__``).
"""

from __future__ import annotations

from .startup import Severity

_FIELDS = (
    "file",
    "segment_no",
    "message",
    "severity",
    "interchange",
    "transaction",
    "rejected",
    "kind",
)

# What a warning is about (``Problem.kind``): few, fixed values, fit for a metric label.
LINE_WRAPPED = "line_wrapped"
"""CR/LF inside segments (a line-wrapped file) were dropped."""
PADDING = "padding"
"""NUL or Ctrl-Z padding around segments or interchanges was skipped."""
HEADER_TEXT = "header_text"
"""Text before the first ISA (a VAN or clearinghouse header) was skipped."""
ENVELOPE_COUNT = "envelope_count"
"""SE01, GE01 or IEA01 does not count what the file holds; read whole."""
CONTROL_NUMBER = "control_number"
"""SE02, GE02 or IEA02 does not repeat its header's control number; read whole."""
BALANCE = "balance"
"""A line, claim or payment does not balance (the adjustments carry ``balance_error``)."""
DATE = "date"
"""A date element is not a calendar date."""
SEGMENT = "segment"
"""A segment that is not part of an 835, or a procedure without its code, was kept as is."""
DUPLICATE = "duplicate"
"""A transaction set that was read before was skipped."""
OTHER = "other"
"""Any other warning."""
WARNING_KINDS = (
    LINE_WRAPPED,
    PADDING,
    HEADER_TEXT,
    ENVELOPE_COUNT,
    CONTROL_NUMBER,
    BALANCE,
    DATE,
    SEGMENT,
    DUPLICATE,
    OTHER,
)
"""Every value of ``Problem.kind`` for warnings (``era_ingest_warnings_total{kind}``)."""
IO = "io"
"""The kind of an error that is about reading the file, not its content (exit status 2)."""


class Problem:
    """One thing wrong with an input file.

    ``segment_no`` is the 1-based position of the offending segment in the file, or 0 when the
    problem concerns the file as a whole (missing, empty, not X12, no ISA header).
    ``message`` says what was expected. ``rejected`` is true when a whole transaction set (ST..SE)
    was dropped because of this problem; ``transaction`` then names it (ST02). ``kind`` says
    what a warning is about (one of :data:`WARNING_KINDS`; ``None`` for errors).
    """

    __slots__ = _FIELDS
    file: str
    segment_no: int
    message: str
    severity: Severity
    interchange: str | None
    transaction: str | None
    rejected: bool
    kind: str | None

    def __init__(  # noqa: PLR0917 - built positionally, like the frozen dataclass it was
        self,
        file: str,
        segment_no: int,
        message: str,
        severity: Severity = "error",
        interchange: str | None = None,
        transaction: str | None = None,
        rejected: bool = False,
        kind: str | None = None,
    ) -> None:
        init = object.__setattr__
        init(self, "file", file)
        init(self, "segment_no", segment_no)
        init(self, "message", message)
        init(self, "severity", severity)
        init(self, "interchange", interchange)
        init(self, "transaction", transaction)
        init(self, "rejected", rejected)
        init(self, "kind", OTHER if kind is None and severity == "warning" else kind)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a Problem is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a Problem is immutable")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[Problem], tuple[object, ...]]:
        """Pickle and copy through the constructor (attributes cannot be set afterwards)."""
        return (Problem, self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"Problem({fields})"

    def __str__(self) -> str:
        """``FILE:SEGMENT: message``, with ``WARNING`` before the message of a warning."""
        if self.severity == "warning":
            return f"{self.file}:{self.segment_no}: WARNING {self.message}"
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
