"""Input tolerance (issue #12): quirks that lose no information are read whole, with a warning.

Each fixture in ``tests/data/era-quirks/`` is ``clean.835`` (or ``two-interchanges.835``) with one
quirk (see the README there); it must give exactly the clean file's adjustments, and the warning.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from era_ingest.x12 import ParsedTransaction, Problem, parse_path
from era_ingest.x12.problems import HEADER_TEXT, LINE_WRAPPED, PADDING

pytestmark = pytest.mark.unit

QUIRKS = Path(__file__).resolve().parents[2] / "data" / "era-quirks"

Parsed = list[ParsedTransaction | Problem]


def _without_file(parsed: Parsed) -> list[dict[str, object]]:
    """The adjustments, without the ``file`` field (the base name differs per fixture)."""
    return [
        {key: value for key, value in adjustment.items() if key != "file"}
        for item in parsed
        if isinstance(item, ParsedTransaction)
        for adjustment in item.adjustments
    ]


def _problems(parsed: Parsed) -> list[Problem]:
    found: list[Problem] = []
    for item in parsed:
        found.extend([item] if isinstance(item, Problem) else item.problems)
    return found


LAYOUT_QUIRKS = {
    "wrapped-80-crlf.835": ("clean.835", LINE_WRAPPED),
    "wrapped-80-cr.835": ("clean.835", LINE_WRAPPED),
    "wrapped-64-lf.835": ("clean.835", LINE_WRAPPED),
    "wrapped-body-only.835": ("clean.835", LINE_WRAPPED),
    "control-delimiters-wrapped-80.835": ("clean-control-delimiters.835", LINE_WRAPPED),
    "nul-after.835": ("clean.835", PADDING),
    "ctrl-z-after.835": ("clean.835", PADDING),
    "nul-between.835": ("two-interchanges.835", PADDING),
    "ctrl-z-between.835": ("two-interchanges.835", PADDING),
    "header-text.835": ("clean.835", HEADER_TEXT),
}


def test_the_clean_fixtures_are_clean() -> None:
    for name in ("clean.835", "clean-control-delimiters.835", "two-interchanges.835"):
        parsed = list(parse_path(QUIRKS / name))
        assert _problems(parsed) == []
        assert len(_without_file(parsed)) == 6 * (1 + name.startswith("two"))


@pytest.mark.parametrize("name", sorted(LAYOUT_QUIRKS))
def test_layout_quirk_gives_the_clean_adjustments_and_one_warning(name: str) -> None:
    reference, kind = LAYOUT_QUIRKS[name]
    parsed = list(parse_path(QUIRKS / name))
    assert _without_file(parsed) == _without_file(list(parse_path(QUIRKS / reference)))
    problems = _problems(parsed)
    assert [(p.severity, p.kind, p.rejected) for p in problems] == [("warning", kind, False)]
    assert str(problems[0]).startswith(f"{QUIRKS / name}:{problems[0].segment_no}: WARNING ")


@pytest.mark.parametrize("name", sorted(LAYOUT_QUIRKS))
@pytest.mark.parametrize("chunk_size", [1, 5, 80, 4096])
def test_chunk_boundaries_do_not_matter_for_quirks(
    name: str, chunk_size: int, x12: SimpleNamespace
) -> None:
    data = (QUIRKS / name).read_bytes()
    assert x12.parse(data, chunk_size=chunk_size) == x12.parse(data)


def test_warning_positions(x12: SimpleNamespace) -> None:
    def first(name: str) -> tuple[int, str]:
        (problem,) = _problems(list(parse_path(QUIRKS / name)))
        return problem.segment_no, problem.message

    assert first("wrapped-80-crlf.835")[0] == 1  # inside the ISA
    assert "line breaks inside the ISA header dropped" in first("wrapped-80-crlf.835")[1]
    number, message = first("wrapped-body-only.835")
    assert number == 4  # BPR: the first segment with a break inside (the ISA is intact)
    assert "line breaks inside segments dropped" in message
    assert first("nul-between.835")[0] == 35  # the second ISA
    assert first("nul-after.835")[0] == 34  # the IEA it follows
    number, message = first("header-text.835")
    assert (number, message) == (
        1,
        "skipped 54 characters of text before the first ISA (a VAN or clearinghouse header)",
    )


def test_a_wrapped_file_with_a_newline_terminator_is_still_refused(x12: SimpleNamespace) -> None:
    # the terminator is the newline: CR/LF are data, a break inside the ISA cuts it
    text = x12.interchange(terminator="\n")
    broken = text[:50] + "\n" + text[50:]
    (problem,) = x12.parse(broken)
    assert isinstance(problem, Problem) and problem.segment_no == 0
    assert "ISA" in problem.message and problem.severity == "error"


@pytest.mark.parametrize("width", [1, 2, 3, 5, 7, 21, 35, 105, 106])
def test_wrapping_at_awkward_widths(width: int, x12: SimpleNamespace) -> None:
    # 3: a break between 'ISA' and its element separator; 105 (and its divisors): a break
    # between ISA16 and the segment terminator; 1: between every two characters
    clean = (QUIRKS / "clean.835").read_bytes().rstrip(b"\n")
    wrapped = b"\r\n".join(clean[i : i + width] for i in range(0, len(clean), width))
    parsed = x12.parse(wrapped)
    assert _without_file(parsed) == _without_file(x12.parse(clean))
    assert [p.kind for p in _problems(parsed)] == [LINE_WRAPPED]


def test_padding_inside_a_set_and_before_the_first_isa(x12: SimpleNamespace) -> None:
    clean = (QUIRKS / "clean.835").read_bytes()
    padded = b"\x00\x00" + clean.replace(b"~LX*1~", b"~\x00\x1a\x00LX*1~")
    parsed = x12.parse(padded)
    assert _without_file(parsed) == _without_file(x12.parse(clean))
    assert [p.kind for p in _problems(parsed)] == [PADDING]


def test_padding_never_hides_what_follows(x12: SimpleNamespace) -> None:
    # garbage after padding is still reported, never silently dropped
    clean = (QUIRKS / "clean.835").read_bytes()
    parsed = x12.parse(clean + b"\x00" * 64 + b"GS*HP*X*Y*20241105*0930*906*X*005010X221A1~")
    errors = [p for p in _problems(parsed) if p.severity == "error"]
    assert [p.message for p in errors] == [
        "expected ISA (start of an interchange) after IEA, got 'GS'"
    ]


def test_header_text_that_holds_segments_is_refused(x12: SimpleNamespace) -> None:
    text = x12.interchange()
    body = text[text.index("ST*") : text.index("GE*")]
    (problem,) = x12.parse(body + text)
    assert isinstance(problem, Problem) and problem.segment_no == 0
    assert problem.message.startswith("expected ISA at the start, found segments before")


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("HELLO WORLD\n", "not an X12 file: expected 'ISA' at the start, found 'HELLO WORLD"),
        ("ST*835*0001~", "no ISA interchange header: the file starts with an ST segment"),
    ],
)
def test_text_without_a_readable_isa_after_it_is_refused(
    prefix: str, message: str, x12: SimpleNamespace
) -> None:
    (problem,) = x12.parse(prefix + "ISA*00*nothing readable here~")
    assert isinstance(problem, Problem) and problem.segment_no == 0
    assert message in problem.message


def test_isa_in_header_text_is_not_taken_for_the_interchange(x12: SimpleNamespace) -> None:
    text = "VAN LISA* MAILBOX ISA 42\n" + x12.interchange()
    parsed = x12.parse(text)
    assert len(_without_file(parsed)) == 3
    assert [p.kind for p in _problems(parsed)] == [HEADER_TEXT]


ENVELOPE_QUIRKS = {
    # file: (warning kind, segment, message start, rejected in strict mode)
    "se01-off-by-one.835": (
        "envelope_count",
        32,
        "SE01: expected 30 (segments from ST to SE), got 31",
        True,
    ),
    "se02-off-by-one.835": ("control_number", 32, "SE02: expected 0001 (ST02), got '0002'", True),
    "ge01-off-by-one.835": (
        "envelope_count",
        33,
        "GE01: expected 1 (transaction sets in group 905), got 2",
        False,
    ),
    "ge02-off-by-one.835": ("control_number", 33, "GE02: expected 905 (GS06), got '906'", False),
    "iea01-off-by-one.835": (
        "envelope_count",
        34,
        "IEA01: expected 1 (functional groups in interchange 000000905), got 2",
        False,
    ),
    "iea02-off-by-one.835": (
        "control_number",
        34,
        "IEA02: expected 000000905 (ISA13), got '000000906'",
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(ENVELOPE_QUIRKS))
def test_envelope_echo_off_by_one_is_read_whole_with_a_warning(name: str) -> None:
    kind, segment_no, message, _ = ENVELOPE_QUIRKS[name]
    parsed = list(parse_path(QUIRKS / name))
    assert _without_file(parsed) == _without_file(list(parse_path(QUIRKS / "clean.835")))
    (problem,) = _problems(parsed)
    assert (problem.severity, problem.kind, problem.segment_no) == ("warning", kind, segment_no)
    assert problem.message.startswith(f"{message}; read whole")


@pytest.mark.parametrize("name", sorted(ENVELOPE_QUIRKS))
def test_strict_envelope_checking_refuses_the_echo(name: str) -> None:
    _, segment_no, message, rejected = ENVELOPE_QUIRKS[name]
    parsed = list(parse_path(QUIRKS / name, strict=True))
    (problem,) = _problems(parsed)
    assert (problem.severity, problem.rejected, problem.segment_no) == (
        "error",
        rejected,
        segment_no,
    )
    assert problem.message.startswith(message) and "read whole" not in problem.message
    assert len(_without_file(parsed)) == (0 if rejected else 6)


def test_strict_mode_keeps_the_layout_tolerance() -> None:
    for name in LAYOUT_QUIRKS:
        parsed = list(parse_path(QUIRKS / name, strict=True))
        assert [p.severity for p in _problems(parsed)] == ["warning"], name
