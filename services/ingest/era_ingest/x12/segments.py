"""Streaming delimiter detection and segment reading for X12 interchanges.

The reader pulls fixed-size chunks from a binary stream, decodes each chunk once (UTF-8, falling
back to Latin-1 for the rest of the file when a chunk is not UTF-8), splits complete segments on
the terminator and each segment on the element separator. Memory stays bounded by the chunk size
plus the longest single segment (capped at :data:`MAX_SEGMENT_CHARS`).

Delimiters come from each ISA header: the element separator is the byte after ``ISA``, ISA16 is
the component separator and the character after ISA16 is the segment terminator. A new ISA (for
example after an IEA, in a file holding several interchanges) re-detects them.

Tolerated layouts: a UTF-8 byte-order mark, whitespace/CR/LF around segments, a newline as the
only terminator, no terminator after the last segment, blank lines, and files that write the
terminator at the *start* of each line (``\\n~SEG``): when the terminator is a newline, stray
``~`` characters around segments are stripped too.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

from .problems import Problem, X12Error

TYPE_CHECKING = False  # typing itself is not imported at run time
if TYPE_CHECKING:
    from typing import BinaryIO

CHUNK_SIZE = 1 << 16
"""Bytes read from the stream at a time."""

MAX_SEGMENT_CHARS = 1 << 20
"""A segment longer than this means the terminator is wrong or the file is not X12."""

_ISA_MAX_CHARS = 1024
_WHITESPACE = " \t\r\n"
_STRIP = " \t\r\n\ufeff"
_BETWEEN_INTERCHANGES = " \t\r\n\x00\x1a\ufeff~"
_LATIN1_BOM = "\u00ef\u00bb\u00bf"
_UTF8_BOM = b"\xef\xbb\xbf"


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
    if element.isalnum() or element in _WHITESPACE:
        raise HeaderError(f"ISA: expected an element separator after 'ISA', got {element!r}")
    pos = 3
    for _ in range(15):
        pos = text.find(element, pos + 1, _ISA_MAX_CHARS)
        if pos < 0:
            if len(text) >= _ISA_MAX_CHARS:
                raise HeaderError("ISA: expected 16 elements followed by a segment terminator")
            return None
    if len(text) < pos + 3:
        return None
    component, terminator = text[pos + 1], text[pos + 2]
    header = text[:pos]
    if "\n" in header or "\r" in header:
        raise HeaderError("ISA: expected 16 elements on one segment, found a line break inside")
    if component.isalnum() or component in _WHITESPACE or component == element:
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


class SegmentReader:
    """Read the segments of a binary X12 stream, split into elements.

    Iterate for ``(segment_no, elements)`` one segment at a time, or use :meth:`blocks` (the fast
    path) for lists of segments. ``segment_no`` is the 1-based position of the segment in the
    file (blank segments are not counted). :attr:`delimiters` holds those of the current
    interchange. Problems that do not stop the reading (an unusable ISA after the first) are
    appended to :attr:`problems`; problems that do (no ISA at the start, unreadable stream,
    runaway segment) raise :class:`X12Error`. Segments between an IEA and the next ISA are
    passed on; the envelope walker reports them.
    """

    def __init__(self, stream: BinaryIO, file_name: str, chunk_size: int = CHUNK_SIZE) -> None:
        self.file = file_name
        self.delimiters: Delimiters | None = None
        self.problems: list[Problem] = []
        self.segment_count = 0
        self._stream = stream
        self._chunk_size = chunk_size
        self._tail = b""
        self._latin1 = False
        self._eof = False
        self._started = False

    # -- bytes to text -------------------------------------------------------------------------

    def _read(self) -> str:
        """Return the next decoded text (never empty before the end), ``""`` at the end."""
        while not self._eof:
            data = self._read_bytes()
            if not self._started:
                self._started = True
                while data and len(data) < 3 and _UTF8_BOM.startswith(data):
                    more = self._read_bytes()
                    if not more:
                        break
                    data += more
                if data.startswith(_UTF8_BOM):
                    data = data[3:] or self._read_bytes()
            if not data:
                self._eof = True
                tail, self._tail = self._tail, b""
                return tail.decode("latin-1")
            text = self._decode(data)
            if text:
                return text
        return ""

    def _read_bytes(self) -> bytes:
        try:
            data = self._stream.read(self._chunk_size)
        except OSError as exc:
            raise self._fatal(f"cannot read the file: {exc}") from exc
        if data is None:  # a non-blocking stream with nothing ready: treat as the end
            return b""
        if isinstance(data, bytes):
            return data
        if isinstance(data, bytearray | memoryview):
            return bytes(data)
        raise self._fatal("expected a binary stream (bytes), got text")

    def _decode(self, data: bytes) -> str:
        if self._latin1:
            return data.decode("latin-1")
        if self._tail:
            data = self._tail + data
            self._tail = b""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.end == len(data) and len(data) - exc.start < 4:
                try:
                    text = data[: exc.start].decode("utf-8")
                except UnicodeDecodeError:
                    pass
                else:
                    self._tail = data[exc.start :]
                    return text
            self._latin1 = True
            return data.decode("latin-1")

    def _fatal(self, message: str) -> X12Error:
        return X12Error(Problem(self.file, self.segment_count, message))

    # -- interchange headers -------------------------------------------------------------------

    def _seek_isa(self, text: str) -> str | None:
        """Skip what lies before the next ISA; return the text starting at it, None at EOF."""
        first = self.segment_count == 0
        while True:
            text = text.lstrip(_BETWEEN_INTERCHANGES)
            if text.startswith(_LATIN1_BOM):
                text = text[3:]
                continue
            if len(text) < 3:
                more = self._read()
                if more:
                    text += more
                    continue
                if first and not text:
                    raise self._fatal(
                        "file is empty: expected an X12 835 interchange starting with ISA",
                    )
                if not text:
                    return None
            if text.startswith("ISA"):
                return text
            if first:
                raise self._fatal(_not_x12_message(text))
            self.problems.append(
                Problem(
                    self.file,
                    self.segment_count,
                    f"expected ISA (a new interchange) after IEA, found {text[:20]!r}; "
                    "skipped to the next ISA",
                ),
            )
            return self._skip_to_isa(text)

    def _skip_to_isa(self, text: str) -> str | None:
        while True:
            index = text.find("ISA")
            if index >= 0:
                return text[index:]
            text = text[-2:]
            more = self._read()
            if not more:
                return None
            text += more

    def _header(self, text: str) -> tuple[Delimiters, int, str] | None:
        """Read the ISA header at the start of ``text``; None when it is unusable (reported)."""
        while True:
            try:
                found = read_isa_header(text)
            except HeaderError as exc:
                if self.segment_count == 0:
                    raise self._fatal(str(exc)) from None
                self.problems.append(Problem(self.file, self.segment_count + 1, str(exc)))
                return None
            if found is not None:
                return found[0], found[1], text
            more = self._read()
            if not more:
                message = "file ends inside the ISA header: expected 16 elements and a terminator"
                if self.segment_count == 0:
                    raise self._fatal(message)
                self.problems.append(Problem(self.file, self.segment_count + 1, message))
                return None
            text += more

    # -- segments -----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(segment_no, elements)`` one segment at a time."""
        for first, block in self.blocks():
            yield from enumerate(block, start=first)

    def blocks(self) -> Iterator[tuple[int, list[list[str]]]]:
        """Yield ``(first_segment_no, [elements, ...])`` per chunk of complete segments.

        The fast path: one split per chunk and per segment, no per-segment generator step.
        :attr:`delimiters` holds the delimiters of the block's interchange when it is yielded.
        """
        text = ""
        while True:
            found = self._seek_isa(text)
            if found is None:
                return
            header = self._header(found)
            if header is None:
                skipped = self._skip_to_isa(found[3:])
                if skipped is None:
                    return
                text = skipped
                continue
            delimiters, end, text = header
            self.delimiters = delimiters
            self.segment_count += 1
            yield self.segment_count, [text[:end].split(delimiters.element)]
            text = yield from self._blocks(text[end + 1 :], delimiters)

    def _blocks(
        self,
        text: str,
        delimiters: Delimiters,
    ) -> Generator[tuple[int, list[list[str]]], None, str]:
        """Yield blocks while the delimiters stay those of ``delimiters``.

        Following interchanges that declare the same delimiters are read on; returns the unread
        text (starting at the ISA) when an ISA declares other delimiters, ``""`` at the end.
        """
        terminator = delimiters.segment
        element = delimiters.element
        strip = _STRIP + "~" if terminator in "\r\n" else _STRIP
        while True:
            end = text.rfind(terminator)
            if end < 0:
                if len(text) > MAX_SEGMENT_CHARS:
                    raise self._fatal(
                        f"segment longer than {MAX_SEGMENT_CHARS} characters: expected the "
                        f"segment terminator {terminator!r}",
                    )
                more = self._read()
                if more:
                    text += more
                    continue
                if not text.strip(strip):
                    return ""
                block, text = text, ""
            else:
                block, text = text[:end], text[end + 1 :]
            parts = [
                segment.split(element)
                for raw in block.split(terminator)
                if (segment := raw.strip(strip))
            ]
            if "ISA" in block and _has_isa_segment(block, terminator, strip):
                for index, elements in enumerate(parts):
                    if elements[0][:3] == "ISA" and not _same_header(
                        element.join(elements),
                        delimiters,
                    ):
                        # an interchange with other delimiters: let blocks() re-detect them
                        rest = [element.join(elements) for elements in parts[index:]]
                        rest.append(text)
                        if index:
                            first = self.segment_count + 1
                            self.segment_count += index
                            yield first, parts[:index]
                        return terminator.join(rest)
            if parts:
                first = self.segment_count + 1
                self.segment_count += len(parts)
                yield first, parts


def _has_isa_segment(block: str, terminator: str, strip: str) -> bool:
    """Whether a segment of ``block`` starts with ``ISA`` (not just a name like LISA).

    Looks only at the occurrences of ``ISA``: one starts a segment when nothing but ``strip``
    characters lie between it and the previous terminator (or the start of the block)."""
    position = block.find("ISA")
    while position >= 0:
        start = block.rfind(terminator, 0, position) + 1
        if not block[start:position].strip(strip):
            return True
        position = block.find("ISA", position + 3)
    return False


def _same_header(segment: str, delimiters: Delimiters) -> bool:
    """Whether ``segment`` is a whole ISA declaring exactly ``delimiters``."""
    if not segment.startswith("ISA"):
        return False
    try:
        found = read_isa_header(segment + delimiters.segment)
    except HeaderError:
        return False
    return found is not None and found[0] == delimiters and found[1] == len(segment)


def _not_x12_message(text: str) -> str:
    head = text[:64]
    if any(ch < " " and ch not in _WHITESPACE for ch in head) or "\ufffd" in head:
        return "not an X12 file: expected 'ISA' at the start, found binary data"
    if head.startswith("ST") and len(head) > 2 and not head[2].isalnum():
        return (
            "no ISA interchange header: the file starts with an ST segment; expected ISA "
            "(interchange) and GS (functional group) envelopes around it"
        )
    return f"not an X12 file: expected 'ISA' at the start, found {head[:20]!r}"
