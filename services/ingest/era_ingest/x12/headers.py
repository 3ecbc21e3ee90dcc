"""ISA headers: the delimiters an interchange declares, read also when the header is wrapped.

The element separator is the byte after ``ISA``; ISA16 (found by counting 16 element separators,
so unpadded headers work) is the component separator; the character after ISA16 terminates
segments; ISA11 is the repetition separator from version 00402 on.
"""

from __future__ import annotations

ISA_MAX_CHARS = 1024
"""An ISA header longer than this (before its terminator) is not one."""
WHITESPACE = " \t\r\n"
LINE_BREAKS = "\r\n"


class Delimiters:
    """The separators an ISA header declares."""

    __slots__ = ("component", "element", "repetition", "segment")

    def __init__(self, element: str, component: str, segment: str, repetition: str | None) -> None:
        self.element = element
        self.component = component
        self.segment = segment
        self.repetition = repetition

    def _values(self) -> tuple[str, str, str, str | None]:
        return (self.element, self.component, self.segment, self.repetition)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Delimiters):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        element, component, segment, repetition = self._values()
        return (
            f"Delimiters(element={element!r}, component={component!r}, segment={segment!r}, "
            f"repetition={repetition!r})"
        )


class HeaderError(Exception):
    """An ISA header from which no delimiters can be read; the message says what was expected."""


def read_isa_header(text: str) -> tuple[Delimiters, int] | None:
    """Detect the delimiters of the ISA header at the start of ``text``.

    Returns the delimiters and the index of the segment terminator, or ``None`` when ``text`` is
    too short to tell yet. Raises :class:`HeaderError` when the header is unusable. ISA16 is found
    by counting 16 element separators, so ISA headers that are not space-padded to the fixed
    106-character length are read too.
    """
    if len(text) < 4:
        return None
    element = text[3]
    if element.isalnum() or element in WHITESPACE:
        raise HeaderError(f"ISA: expected an element separator after 'ISA', got {element!r}")
    pos = 3
    for _ in range(15):
        pos = text.find(element, pos + 1, ISA_MAX_CHARS)
        if pos < 0:
            if len(text) >= ISA_MAX_CHARS:
                raise HeaderError("ISA: expected 16 elements followed by a segment terminator")
            return None
    if len(text) < pos + 3:
        return None
    component, terminator = text[pos + 1], text[pos + 2]
    header = text[:pos]
    if "\n" in header or "\r" in header:
        raise HeaderError("ISA: expected 16 elements on one segment, found a line break inside")
    if component.isalnum() or component in WHITESPACE or component == element:
        raise HeaderError(f"ISA16: expected a component separator, got {component!r}")
    if terminator.isalnum() or terminator in (element, component, " "):
        raise HeaderError(
            f"ISA: expected a segment terminator after ISA16, got {terminator!r}",
        )
    if terminator in header:
        raise HeaderError(f"ISA: expected 16 elements, found the terminator {terminator!r} inside")
    elements = header.split(element)
    repetition = elements[11] if len(elements) > 12 else ""
    version = elements[12] if len(elements) > 12 else ""
    if not (len(repetition) == 1 and not repetition.isalnum() and version >= "00402"):
        repetition = ""
    return Delimiters(element, component, terminator, repetition or None), pos + 2


def drop_line_breaks(text: str) -> str:
    """``text`` without CR and LF (lossless when the segment terminator is neither)."""
    if "\r" in text or "\n" in text:
        return text.replace("\r", "").replace("\n", "")
    return text


def read_header(text: str, *, final: bool = False) -> tuple[Delimiters, int, str] | None:
    """:func:`read_isa_header`, also for a line-wrapped header.

    Returns the delimiters, the index of the segment terminator and the text they index: ``text``
    itself, or ``text`` with CR/LF dropped when the header is wrapped (CR/LF inside it, or
    between ISA16 and a terminator that is neither CR nor LF). ``None`` when more text is needed
    (``final``: there is no more). Raises :class:`HeaderError` as :func:`read_isa_header` does.
    """
    try:
        found = read_isa_header(text)
    except HeaderError as error:
        head = text[: 2 * ISA_MAX_CHARS]
        if "\r" not in head and "\n" not in head:
            raise
        return _unwrapped_header(text, error)
    if found is None:
        return None
    delimiters, end = found
    if delimiters.segment not in LINE_BREAKS:
        return delimiters, end, text
    return _terminator_after_line_break(text, delimiters, end, final=final)


def _unwrapped_header(text: str, error: HeaderError) -> tuple[Delimiters, int, str] | None:
    """The header read with CR/LF dropped; raises ``error`` when that does not help either."""
    cleaned = drop_line_breaks(text)
    try:
        found = read_isa_header(cleaned)
    except HeaderError:
        raise error from None
    if found is None:
        return None
    return found[0], found[1], cleaned


def _terminator_after_line_break(
    text: str, delimiters: Delimiters, end: int, *, final: bool
) -> tuple[Delimiters, int, str] | None:
    """``…*:`` CR/LF ``~GS*…``: a line break right before the real terminator (a file wrapped
    at a width that divides 105), or the ``\\n~SEG`` layout. Both read the same with the
    terminator that follows the line break; otherwise the line break is the terminator."""
    rest = drop_line_breaks(text[end : end + 64])
    if len(rest) < 4 and not final and len(text) < end + 64:
        return None
    terminator = rest[:1]
    element, component = delimiters.element, delimiters.component
    if (
        terminator
        and not terminator.isalnum()
        and terminator not in (" ", "\t", "\ufeff", element, component)
        and rest[1:4] == f"GS{element}"
    ):
        wrapped = Delimiters(element, component, terminator, delimiters.repetition)
        return wrapped, end, text[:end] + text[end:].lstrip(LINE_BREAKS)
    return delimiters, end, text


def plausible_isa(header: str, delimiters: Delimiters) -> bool:
    """Whether a header found after other text looks like a real ISA: 16 elements, ISA01 and
    ISA03 of two characters, a numeric ISA13."""
    elements = header.split(delimiters.element)
    return (
        len(elements) == 17
        and len(elements[1]) == 2
        and len(elements[3]) == 2
        and elements[13].strip().isdigit()
    )
