"""Streaming X12 835 (ERA remittance advice) parser.

``parse_path``/``parse_stream`` yield one :class:`ParsedTransaction` per accepted transaction set
(ST..SE) and a :class:`Problem` per error. Adjustments are plain dicts with exactly the
``Adjustment`` fields of docs/events.md (``ingested_at`` left ``None``): one per CAS triplet
(claim and line level) and one per PLB adjustment pair (provider level).

Policy decisions
================

Input layout
    Delimiters are read from every ISA (element = byte after ``ISA``, ISA11 repetition when the
    version is 00402 or later, ISA16 component, the character after ISA16 terminates segments);
    ISA16 is found by counting separators, so unpadded ISA headers work. A UTF-8 BOM, CR/LF and
    blanks around segments, blank lines, a newline as the only terminator, a missing final
    terminator and several interchanges per file (each with its own delimiters) are accepted.
    When the terminator is a newline, stray ``~`` around segments are stripped (TigerShark files
    write ``\\n~SEG``). Text is UTF-8, or Latin-1 once a chunk is not valid UTF-8.
    A file without an ISA header (for example one starting at ``ST``) is rejected whole with one
    file-level Problem (segment 0), as are empty, binary and non-X12 files.
Input tolerance (read whole, with one warning per file and kind, ``Problem.kind``)
    Line-wrapped files (``line_wrapped``): when the segment terminator is neither CR nor LF,
    CR/LF are not data and are dropped wherever they are, inside the ISA header too (a break
    right before the terminator that follows ISA16 included). NUL/Ctrl-Z padding around
    segments, after the last IEA and between interchanges (``padding``): skipped, and what
    follows is read (or reported) as without it. Text before the first ISA, such as a VAN
    header line (``header_text``): skipped when a readable ISA header follows within 64 KiB;
    segments there (``ST*835``) are refused instead.
Component separator
    When SVC01/PLB03 do not contain the declared ISA16 but their 2-character qualifier is followed
    by ``>``, ``:`` or ``^``, they are split on that character (LinuxForHealth samples declare
    ``:`` and write ``HC>12345>26``). This is silent: it is not a problem.
Streaming and memory
    The file is read in 64 KiB chunks; segments are processed as they arrive. Adjustments of a
    transaction set are held until its SE is checked, because a structurally broken set is
    rejected whole: memory is bounded by the largest single transaction set, not by the file.
    They are held compactly (per claim and PLB segment, not per adjustment);
    ``ParsedTransaction.adjustments`` builds the dicts on first access and
    ``ParsedTransaction.json_lines()`` writes their JSON without building them.
Rejections (``Problem.rejected``)
    A transaction set is rejected whole, with the file, segment number and reason, when it is
    structurally broken: missing SE, an SE01 that is not a count, ST01 not 835, no GS, missing
    BPR/TRN/N1*PR/N1*PE, CLP01-04/SVC01-03/CAS/PLB required elements missing, a number that is
    not a decimal, CAS/SVC/LQ/MOA outside their loop, a malformed segment id. The other sets of
    the same file go on.
Envelope counts and control numbers
    SE01 (segment count), SE02 (= ST02), GE01/GE02 and IEA01/IEA02 that do not match, every
    segment being there, lose no information: the set is read whole and each mismatch is a
    warning naming the element, the expected and the found value (``envelope_count``,
    ``control_number``); balancing then decides as for any file. ``strict=True``
    (``ERA_INGEST_STRICT_ENVELOPE``, ``era parse --strict``) rejects the set for SE01/SE02 and
    makes GE/IEA mismatches errors, as X12 has it. Missing GE/IEA are errors; the sets already
    yielded stay valid (they were checked on their own SE). Control numbers match when equal,
    or when both are all digits with the same value. Segments outside any set (between sets, or
    after an IEA before the next ISA) are reported once per run and skipped; an unknown GS08 is
    reported and the group is still read as 835.
Balancing (never rejects; ``balance_error`` sends the event to review)
    Line: SVC02 - SVC03 = Σ line CAS. Claim: CLP03 - CLP04 = Σ claim CAS + Σ line CAS.
    Transaction: BPR02 = Σ CLP04 - Σ PLB amounts. A line adjustment carries its line's reason,
    else its claim's; claim adjustments carry the claim's reason; when the transaction does not
    balance, every adjustment of the set still without a reason gets the transaction's. Each
    imbalance is also a warning Problem in ``ParsedTransaction.problems`` (so lines without CAS,
    which have no adjustment to carry it, are still reported). No line or adjustment is ever
    invented to plug a difference.
RARCs
    Claim adjustments get the claim's MOA/MIA remark codes. Line adjustments get the line's
    ``LQ*HE`` codes followed by the claim's MOA/MIA codes (a claim remark applies to every line of
    the claim); ``LQ*RX`` (NCPDP reject codes) are not RARCs and are not included.
Amounts and dates
    Decimal strings exactly as in the file, only a leading ``+`` dropped; never ``float``.
    ``units`` is ``"1"`` when SVC05 is absent. Dates that are not a calendar CCYYMMDD become
    ``None`` with a warning. A line date is DTM*472, else DTM*150, else the claim's DTM*232.
Event id
    Provisional id per adjustment: SHA-256 over ISA06 and ISA08 (padding stripped), ISA13, GS06,
    ST02, the segment's 1-based position inside its set (ST = 1), the 1-based triplet (CAS) or
    pair (PLB) index and the content (CLP01, CLP07, group, code, amount; for PLB the raw reason
    composite and amount), joined with ``\x1f``. The set's fingerprint hashes the envelope
    fields and all provisional ids; the final id hashes fingerprint + provisional id (each cut
    to 32 hex characters; docs/events.md). An id thus names an adjustment of one exact set: the
    same set sent again gives the same ids, a set reusing control numbers with other content
    gets all new ids.
Repeated transaction sets
    A set identical to an earlier set of the same file (same fingerprint: e.g.
    ``tasty_profee-multiple.edi``, one interchange 156 times) is skipped with a warning, so
    nothing is published twice. Ingest does the same across files with its ledger.
Other segments
    Segments that are not 835 segments produce a warning and are skipped. SVC01 without a
    procedure code keeps the raw value as ``procedure`` and warns.
Names
    ``Problem.file`` and ``ParsedTransaction.file`` are the name given to the parser (the path);
    the adjustment field ``file`` is its base name.

Modules: ``headers`` (ISA delimiters, wrapped headers), ``segments`` (chunked segment reader),
``envelope`` (ISA/GS/ST walker and the entry points), ``parsed_transaction`` (what is yielded per
accepted set), ``remittance`` (the 835 transaction walk: header, PLB, SE checks), ``claims``
(claim and service line handlers), ``loops`` (claim/line state), ``adjustments`` (the compact
adjustments of a set, event ids, adjustment dicts), ``jsonl`` (their JSON lines),
``validation`` (numbers, dates, balancing, counts), ``problems``.
"""

from .envelope import parse_path, parse_stream
from .loops import ADJUSTMENT_FIELDS
from .parsed_transaction import ParsedTransaction
from .problems import Problem, X12Error

__all__ = [
    "ADJUSTMENT_FIELDS",
    "ParsedTransaction",
    "Problem",
    "X12Error",
    "parse_path",
    "parse_stream",
]
