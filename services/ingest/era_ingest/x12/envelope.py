"""Envelope walking (ISA/GS/ST … SE/GE/IEA) and the public parse entry points."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from .parsed_transaction import ParsedTransaction
from .problems import CONTROL_NUMBER, DUPLICATE, ENVELOPE_COUNT, IO, Problem, X12Error
from .remittance import HANDLERS, Remittance
from .segments import SegmentReader
from .startup import BinaryIO
from .validation import SegmentError, count, same_control_number

_READ_WHOLE = "; read whole (every segment is there; ERA_INGEST_STRICT_ENVELOPE=true rejects it)"
KNOWN_IMPLEMENTATIONS = frozenset({"005010X221A1", "005010X221", "004010X091A1", "004010X091"})
_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


class _FileWalker:
    """State machine over the envelope segments of one file."""

    def __init__(self, stream: BinaryIO, file_name: str, *, strict: bool = False) -> None:
        self.file = file_name
        self.strict = strict
        self.base_name = Path(file_name).name or file_name
        self.reader = SegmentReader(stream, file_name)
        self.isa: list[str] | None = None
        self.gs: list[str] | None = None
        self.group_count = 0
        self.set_count = 0
        self.stray_reported = False
        self.pending: list[Problem | ParsedTransaction] = []
        self.txn: Remittance | None = None
        self.seen_sets: dict[str, int] = {}  # fingerprint -> ST segment number

    def problem(self, segment_no: int, message: str) -> None:
        interchange = self.isa[13] if self.isa is not None else None
        self.pending.append(Problem(self.file, segment_no, message, "error", interchange))

    def envelope_mismatch(self, segment_no: int, message: str, kind: str) -> None:
        """A trailer count or control number that does not match: a warning (the segments are
        all there), an error in strict mode."""
        if self.strict:
            self.problem(segment_no, message)
            return
        interchange = self.isa[13] if self.isa is not None else None
        self.pending.append(
            Problem(
                self.file, segment_no, f"{message}{_READ_WHOLE}", "warning", interchange, kind=kind
            )
        )

    def reject(self, txn: Remittance, segment_no: int, message: str) -> None:
        self.pending.append(
            Problem(
                self.file,
                segment_no,
                f"{message} (transaction set {txn.transaction} rejected)",
                "error",
                txn.interchange,
                txn.transaction,
                rejected=True,
            ),
        )

    def run(self) -> Iterator[ParsedTransaction | Problem]:
        """Yield accepted transaction sets and problems in file order."""
        try:
            yield from self.walk()
        except X12Error as exc:
            if self.txn is not None:
                self.reject(self.txn, exc.problem.segment_no, "file unreadable inside the set")
                self.txn = None
            self.pending.append(exc.problem)
        last = self.reader.segment_count
        if self.txn is not None:
            self.reject(
                self.txn,
                last,
                f"file ends inside transaction set {self.txn.transaction}: expected SE",
            )
        if self.gs is not None:
            self.problem(last, f"file ends inside functional group {self.gs[6]}: expected GE")
        if self.isa is not None:
            self.problem(last, f"file ends inside interchange {self.isa[13]}: expected IEA")
        self.pending.extend(self.reader.problems)
        yield from self.pending

    def walk(self) -> Iterator[ParsedTransaction | Problem]:
        """The hot loop: body segments go straight to the 835 handlers."""
        txn: Remittance | None = None
        broken: tuple[int, str] | None = None
        handlers = HANDLERS
        other = Remittance.other
        pending = self.pending
        envelope = _ENVELOPE
        for first, block in self.reader.blocks():
            segment_no = first - 1
            for elements in block:
                segment_no += 1
                tag = elements[0]
                if txn is not None:
                    if tag not in envelope:
                        if broken is None:
                            try:
                                handlers.get(tag, other)(txn, segment_no, elements)
                            except SegmentError as exc:
                                broken = (segment_no, str(exc))
                        continue
                    txn, broken = self.close_transaction(txn, broken, segment_no, elements)
                else:
                    txn, broken = self.envelope(segment_no, elements)
                self.txn = txn
                if pending:
                    yield from pending
                    pending.clear()

    def close_transaction(
        self,
        txn: Remittance,
        broken: tuple[int, str] | None,
        segment_no: int,
        elements: list[str],
    ) -> tuple[Remittance | None, tuple[int, str] | None]:
        """An envelope segment inside a set: SE ends it, anything else breaks it (and may open
        the next set)."""
        tag = elements[0]
        if tag == "SE":
            self.end_transaction(txn, broken, segment_no, elements)
            return None, None
        if broken is not None:
            self.reject(txn, broken[0], broken[1])
        else:
            self.reject(
                txn,
                segment_no,
                f"expected SE (end of transaction set {txn.transaction}) before {tag}",
            )
        return self.envelope(segment_no, elements)

    def end_transaction(
        self,
        txn: Remittance,
        broken: tuple[int, str] | None,
        segment_no: int,
        se: list[str],
    ) -> None:
        if broken is None:
            try:
                self.check_se(txn, segment_no, se)
                txn.finish(segment_no)
            except SegmentError as exc:
                broken = (segment_no, str(exc))
        if broken is not None:
            self.reject(txn, broken[0], broken[1])
            return
        fingerprint = txn.adjustments.seal(txn.id_prefix, txn.st_segment_no)
        if self.is_repeat(txn, fingerprint):
            return
        summary = txn.summary()
        summary.seal(txn.id_prefix, fingerprint)
        gs = self.gs
        self.pending.append(
            ParsedTransaction(
                file=self.file,
                interchange=txn.interchange,
                functional_group=gs[6] if gs is not None else "",
                transaction=txn.transaction,
                first_segment_no=txn.st_segment_no,
                adjustments=txn.adjustments,
                problems=txn.problems,
                payer_id=_text(txn.base["payer_id"]),
                claim_statuses=txn.claim_statuses,
                fingerprint=fingerprint,
                summary=summary,
            ),
        )

    def check_se(self, txn: Remittance, segment_no: int, se: list[str]) -> None:
        """SE01 (segment count) and SE02 (= ST02): a mismatch rejects the set in strict mode,
        else it is a warning of the set; an SE01 that is not a count always rejects it."""
        expected = segment_no - txn.st_segment_no + 1
        found = count(se[1] if len(se) > 1 else "", "SE01")
        mismatches: list[tuple[str, str]] = []
        if found != expected:
            mismatches.append(
                (f"SE01: expected {expected} (segments from ST to SE), got {found}", ENVELOPE_COUNT)
            )
        control = se[2] if len(se) > 2 else ""
        if control != txn.transaction:
            mismatches.append(
                (f"SE02: expected {txn.transaction} (ST02), got {control!r}", CONTROL_NUMBER)
            )
        for message, kind in mismatches:
            if self.strict:
                raise SegmentError(message)
            txn.warn(segment_no, f"{message}{_READ_WHOLE}", kind)

    def is_repeat(self, txn: Remittance, fingerprint: str) -> bool:
        """True when ``txn`` repeats an earlier set of this file: same control numbers and
        same adjustments, hence the same event ids. It is skipped with a warning, so nothing is
        published twice. (A set that reuses control numbers with other content is not a
        repeat: its event ids differ, since they cover the content.)"""
        first_segment = self.seen_sets.setdefault(fingerprint, txn.st_segment_no)
        if first_segment == txn.st_segment_no:
            return False
        self.pending.append(
            Problem(
                self.file,
                txn.st_segment_no,
                f"transaction set {txn.transaction} repeats the one at segment {first_segment}"
                " (same sender, receiver, control numbers and adjustments): skipped as a duplicate",
                "warning",
                txn.interchange,
                txn.transaction,
                kind=DUPLICATE,
            ),
        )
        return True

    def envelope(
        self,
        segment_no: int,
        el: list[str],
    ) -> tuple[Remittance | None, tuple[int, str] | None]:
        """Handle a segment outside any transaction set; may open one (ST)."""
        tag = el[0]
        if self.isa is None and tag != "ISA":
            if not self.stray_reported:
                self.stray_reported = True
                self.problem(
                    segment_no,
                    f"expected ISA (start of an interchange) after IEA, got {tag[:20]!r}",
                )
            return None, None
        if tag not in _ENVELOPE:
            if not self.stray_reported:
                self.stray_reported = True
                self.problem(
                    segment_no,
                    f"expected ST (start of a transaction set), got {tag[:20]!r}",
                )
            return None, None
        self.stray_reported = False
        if tag == "ST":
            return self.start_transaction(segment_no, el)
        if tag == "ISA":
            self.open_interchange(segment_no, el)
        elif tag == "GS":
            self.open_group(segment_no, el)
        elif tag == "GE":
            self.close_group(segment_no, el)
        elif tag == "IEA":
            self.close_interchange(segment_no, el)
        else:  # SE
            self.problem(segment_no, "SE without a matching ST")
        return None, None

    def open_interchange(self, segment_no: int, el: list[str]) -> None:
        self.pending.extend(self.reader.problems)
        self.reader.problems.clear()
        if self.gs is not None:
            self.problem(segment_no, f"expected GE (end of group {self.gs[6]}) before ISA")
        if self.isa is not None:
            self.problem(
                segment_no,
                f"expected IEA (end of interchange {self.isa[13]}) before ISA",
            )
        self.isa, self.gs, self.group_count = el, None, 0
        if not el[13].strip():
            self.problem(segment_no, "ISA13: expected an interchange control number")

    def open_group(self, segment_no: int, el: list[str]) -> None:
        if self.gs is not None:
            self.problem(segment_no, f"expected GE (end of group {self.gs[6]}) before GS")
        if len(el) < 9 or not el[6]:
            self.problem(segment_no, "GS: expected 8 elements with a group control number")
            el = el + [""] * (9 - len(el))
        elif el[8] not in KNOWN_IMPLEMENTATIONS:
            self.problem(
                segment_no,
                f"GS08: expected 005010X221A1 or 004010X091A1, got {el[8]!r}; read as 835",
            )
        self.gs, self.set_count = el, 0
        self.group_count += 1

    def start_transaction(
        self,
        segment_no: int,
        el: list[str],
    ) -> tuple[Remittance | None, tuple[int, str] | None]:
        self.set_count += 1
        isa = self.isa
        assert isa is not None  # envelope() only opens sets inside an interchange
        gs = self.gs or ["GS", "", "", "", "", "", "", "", ""]
        reader_delimiters = self.reader.delimiters
        component = reader_delimiters.component if reader_delimiters is not None else ":"
        txn = Remittance(
            file_name=self.file,
            base_name=self.base_name,
            isa=isa,
            gs=gs,
            st=el,
            st_segment_no=segment_no,
            component=component,
        )
        if self.gs is None:
            return txn, (segment_no, "expected GS (functional group header) before ST")
        if len(el) < 3 or not el[2]:
            return txn, (segment_no, "ST02: expected a transaction set control number")
        if el[1] != "835":
            return txn, (segment_no, f"ST01: expected 835 (remittance advice), got {el[1]!r}")
        return txn, None

    def close_group(self, segment_no: int, el: list[str]) -> None:
        gs = self.gs
        if gs is None:
            self.problem(segment_no, "GE without a matching GS")
            return
        self.gs = None
        try:
            found = count(el[1] if len(el) > 1 else "", "GE01")
        except SegmentError as exc:
            self.problem(segment_no, str(exc))
        else:
            if found != self.set_count:
                self.envelope_mismatch(
                    segment_no,
                    f"GE01: expected {self.set_count} (transaction sets in group {gs[6]}), "
                    f"got {found}",
                    ENVELOPE_COUNT,
                )
        control = el[2] if len(el) > 2 else ""
        if not same_control_number(gs[6], control):
            self.envelope_mismatch(
                segment_no, f"GE02: expected {gs[6]} (GS06), got {control!r}", CONTROL_NUMBER
            )

    def close_interchange(self, segment_no: int, el: list[str]) -> None:
        isa = self.isa
        assert isa is not None
        if self.gs is not None:
            self.problem(segment_no, f"expected GE (end of group {self.gs[6]}) before IEA")
            self.gs = None
        try:
            found = count(el[1] if len(el) > 1 else "", "IEA01")
        except SegmentError as exc:
            self.problem(segment_no, str(exc))
        else:
            if found != self.group_count:
                self.envelope_mismatch(
                    segment_no,
                    f"IEA01: expected {self.group_count} (functional groups in interchange "
                    f"{isa[13]}), got {found}",
                    ENVELOPE_COUNT,
                )
        control = el[2] if len(el) > 2 else ""
        if not same_control_number(isa[13], control):
            self.envelope_mismatch(
                segment_no, f"IEA02: expected {isa[13]} (ISA13), got {control!r}", CONTROL_NUMBER
            )
        self.isa = None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def parse_stream(
    stream: BinaryIO, file_name: str, *, strict: bool = False
) -> Iterator[ParsedTransaction | Problem]:
    """Parse an 835 file from a binary stream, one transaction set at a time.

    Yields a :class:`ParsedTransaction` per accepted transaction set and a :class:`Problem` for
    each error (a rejected set is a Problem with ``rejected=True``). Reads the stream in chunks;
    memory is bounded by the largest transaction set. Bad input never raises; only a parser bug
    surfaces, as :class:`X12Error`.

    Envelope counts and control-number echoes that do not match (SE01, SE02, GE01, GE02,
    IEA01, IEA02) are warnings, the sets read whole; with ``strict`` a wrong SE01/SE02 rejects
    its set and a wrong GE/IEA trailer is an error, as X12 has it.
    """
    walker = _FileWalker(stream, file_name, strict=strict)
    try:
        yield from walker.run()
    except X12Error:
        raise
    except Exception as exc:
        raise X12Error(
            Problem(file_name, walker.reader.segment_count, f"internal parser error: {exc!r}"),
        ) from exc


def parse_path(
    path: str | os.PathLike[str], *, strict: bool = False
) -> Iterator[ParsedTransaction | Problem]:
    """Parse the 835 file at ``path`` (see :func:`parse_stream`); a missing or unreadable file
    is a single Problem of kind ``io``."""
    name = os.fspath(path)
    try:
        stream = Path(name).open("rb")  # noqa: SIM115 - closed by the with block below
    except FileNotFoundError:
        yield Problem(name, 0, "file not found: expected an existing 835 file", kind=IO)
        return
    except IsADirectoryError:
        yield Problem(name, 0, "is a directory: expected an 835 file", kind=IO)
        return
    except OSError as exc:
        yield Problem(name, 0, f"cannot open the file: {exc.strerror or exc}", kind=IO)
        return
    with stream:
        yield from parse_stream(stream, name, strict=strict)
