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
