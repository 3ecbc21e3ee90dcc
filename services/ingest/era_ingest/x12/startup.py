"""The parser's start-up trick, in one place: names used only in annotations, without ``typing``.

``era parse`` on a small file spends most of its time starting up, so the parser imports
nothing it does not run: not ``typing`` (nor ``dataclasses`` or ``datetime``). Every module
annotates with ``from __future__ import annotations`` (annotations are never evaluated) and takes
the few ``typing`` names it needs from here. What it buys, measured with
``python -X importtime -c "import typing"`` on the 2-core machine of this repository's benchmarks:
about 2.3 ms of the ~42 ms CPU that ``era parse`` takes to start.

Type checkers see the real names (mypy treats ``TYPE_CHECKING`` as true); at run time they are
placeholders.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO, Literal, TextIO, cast

    Severity = Literal["error", "warning"]
else:  # never looked at: annotations stay strings
    BinaryIO = TextIO = Severity = object

    def cast(_type: object, value: object) -> object:
        """``typing.cast``: the value itself."""
        return value


__all__ = ["BinaryIO", "Severity", "TextIO", "cast"]
