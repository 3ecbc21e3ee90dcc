"""Random mutations of valid files: the parser raises nothing and reports problems instead."""

from __future__ import annotations

import io
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from era_ingest.x12 import ADJUSTMENT_FIELDS, ParsedTransaction, Problem, parse_stream
from era_ingest.x12.problems import LINE_WRAPPED, PADDING

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "era-samples"
SEEDS = [
    (SAMPLES / name).read_bytes()
    for name in (
        "badx12_X221-secondary-payments.edi",
        "badx12_X221-dollars-and-data-sent-together.edi",
        "opendental_JustinSmithERA.txt",
        "pyx12_835_simple_4010.txt",
        "tigershark_835-example_pipe.txt",
        "tasty_multi-line-not-delimited.edi",
        "edi835parser_united_healthcare_legacy_sample.txt",
    )
]
ENCODE = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
INTERESTING = [b"~", b"*", b":", b"|", b"^", b">", b"\n", b"\r\n", b"\x00", b"-", b".", b"ISA"]

# Bounded in CI; `make fuzz` sets ERA_FUZZ_EXAMPLES to run far longer.
FUZZ_EXAMPLES = int(os.environ.get("ERA_FUZZ_EXAMPLES", "200"))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "duplicate"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "replace" and data:
            data[position] = draw(st.integers(0, 255))
        elif kind == "insert":
            piece = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(max_size=8)))
            data[position:position] = piece
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        elif kind == "truncate":
            del data[position:]
        else:
            end = position + draw(st.integers(1, 200))
            data[position:position] = data[position:end]
    return bytes(data)


def _check(data: bytes, chunk_size: int) -> None:
    stream = io.BufferedReader(io.BytesIO(data), buffer_size=chunk_size)
    for item in parse_stream(stream, "fuzz.835"):
        if isinstance(item, Problem):
            assert isinstance(item.segment_no, int) and item.message
            assert item.severity in {"error", "warning"}
            continue
        assert isinstance(item, ParsedTransaction)
        lines = item.json_lines()  # made from the compact form: the dicts' JSON, byte for byte
        assert lines == [ENCODE(adjustment) for adjustment in item.adjustments]
        for adjustment in item.adjustments:
            assert tuple(adjustment) == ADJUSTMENT_FIELDS
            Decimal(str(adjustment["amount"]))  # always a decimal string
            assert adjustment["level"] in {"claim", "line", "provider"}
            assert isinstance(adjustment["event_id"], str) and len(adjustment["event_id"]) == 32


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=mutated(), chunk_size=st.sampled_from([7, 64, 65536]))
def test_mutated_files_never_raise(data: bytes, chunk_size: int) -> None:
    _check(data, chunk_size)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(data=st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    _check(data, 64)


@settings(max_examples=FUZZ_EXAMPLES // 2, deadline=None)
@given(prefix=st.sampled_from(SEEDS), tail=st.binary(max_size=300))
def test_junk_after_a_valid_file_never_raises(prefix: bytes, tail: bytes) -> None:
    _check(prefix + tail, 65536)


@pytest.mark.parametrize(
    "tail",
    [b"A" * 30_000_000, b"CLP*" + b"9" * 30_000_000 + b"~"],
    ids=["30MB-without-terminator", "30MB-element"],
)
def test_memory_stays_bounded_on_pathological_input(tail: bytes) -> None:
    import tracemalloc

    header = (SAMPLES / "lfh_demo.835").read_bytes()[:400]
    stream = io.BytesIO(header + tail)  # the input itself is not the parser's memory
    tracemalloc.start()
    try:
        found = list(parse_stream(stream, "huge.835"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000, f"peak {peak} bytes for a {len(tail)}-byte segment"
    assert any("segment longer than" in str(item) for item in found)


# Valid files whose segment terminator is neither CR nor LF (so CR/LF are not data), without a
# byte-order mark (wrapping would cut it): wrapping them anywhere must not change a thing.
QUIRKS = SAMPLES.parent / "era-quirks"
WRAPPABLE = [
    *(
        (SAMPLES / name).read_bytes().rstrip(b"\r\n")
        for name in (
            "badx12_X221-secondary-payments.edi",
            "badx12_X221-dollars-and-data-sent-together.edi",
            "edi835parser_united_healthcare_legacy_sample.txt",
            "lfh_demo.835",
            "pyx12_835_simple_4010.txt",
            "tigershark_835-example-2_pipe.txt",  # "\n~SEG": read with "~" as terminator
        )
    ),
    (QUIRKS / "clean.835").read_bytes().rstrip(b"\n"),
    (QUIRKS / "clean-control-delimiters.835").read_bytes(),
    (QUIRKS / "two-interchanges.835").read_bytes(),
]


def _outcome(data: bytes, chunk_size: int = 65536) -> tuple[list[object], list[Problem]]:
    """The accepted sets (whole, their warnings included) and the file-level problems."""
    stream = io.BufferedReader(io.BytesIO(data), buffer_size=chunk_size)
    sets: list[object] = []
    problems: list[Problem] = []
    for item in parse_stream(stream, "fuzz.835"):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            sets.append(item)
    return sets, problems


def _wrap(data: bytes, width: int, line_break: bytes) -> bytes:
    return line_break.join(data[i : i + width] for i in range(0, len(data), width))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.sampled_from(WRAPPABLE),
    width=st.integers(1, 300),
    line_break=st.sampled_from([b"\n", b"\r", b"\r\n"]),
    chunk_size=st.sampled_from([7, 64, 65536]),
)
def test_wrapping_a_valid_file_never_changes_its_adjustments(
    data: bytes, width: int, line_break: bytes, chunk_size: int
) -> None:
    sets, problems = _outcome(data)
    wrapped_sets, wrapped_problems = _outcome(_wrap(data, width, line_break), chunk_size)
    assert wrapped_sets == sets  # adjustments, ids, segment numbers and set warnings
    assert [p for p in wrapped_problems if p.kind != LINE_WRAPPED] == problems
    assert len(wrapped_problems) - len(problems) <= 1  # one warning per file


@st.composite
def padded(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """(a valid file, the same file with NUL/Ctrl-Z runs between segments and interchanges)."""
    seeds = [seed for seed in WRAPPABLE[:-1] if seed[105:106] != b"\n"]  # not the "\n~" one
    first, second = draw(st.sampled_from(seeds)), draw(st.sampled_from(seeds))
    clean = first + b"\n" + second
    pieces = [first, b"\n", second]
    out = bytearray()
    run = st.binary(min_size=1, max_size=200).map(
        lambda raw: bytes(b"\x00\x1a"[byte & 1] for byte in raw)
    )
    for piece in pieces:
        if piece == b"\n":
            out += draw(run) + piece + draw(run)  # between the interchanges
            continue
        terminator = piece[105:106]  # the byte after ISA16 in these files
        segments = piece.split(terminator)
        for index, segment in enumerate(segments):
            out += segment
            if index < len(segments) - 1:
                out += terminator
                if draw(st.booleans()):
                    out += draw(run)
    out += draw(run)  # after the last IEA
    return clean, bytes(out)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=padded(), chunk_size=st.sampled_from([7, 64, 65536]))
def test_padding_never_changes_the_adjustments(files: tuple[bytes, bytes], chunk_size: int) -> None:
    clean, with_padding = files
    sets, problems = _outcome(clean)
    padded_sets, padded_problems = _outcome(with_padding, chunk_size)
    assert padded_sets == sets
    assert [p for p in padded_problems if p.kind != PADDING] == problems
    assert [p.kind for p in padded_problems].count(PADDING) == 1
