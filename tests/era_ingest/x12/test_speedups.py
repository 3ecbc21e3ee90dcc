"""The compiled helpers (`_speedups.c`) give exactly what their Python versions give, on fuzzed
input, and the parser's output does not depend on which one runs."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from json.encoder import encode_basestring_ascii as escape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from era_ingest.x12 import speedups

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "era-samples"
STRIP = " \t\r\n\ufeff\x00\x1a"
EXAMPLES = int(os.environ.get("ERA_FUZZ_EXAMPLES", "300"))

needs_compiled = pytest.mark.skipif(
    not speedups.COMPILED, reason="the compiled helpers are not built (no C compiler)"
)
# "~*:" and the strip characters often, some Latin-1 and, rarely, wider characters
BLOCK_TEXT = st.text(
    alphabet=st.sampled_from([*"~*:|AB12. \t\r\n\x00\x1a\u00e9\u00ff", "\u20ac", "\ufeff"]),
    max_size=300,
)
TEXT = st.text(max_size=120)
ASCII = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


def test_the_build_compiles_them_when_a_c_compiler_is_there() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler on this machine")
    if os.environ.get("ERA_PURE_PYTHON") in {"1", "true"}:
        pytest.skip("ERA_PURE_PYTHON asks for the Python versions")
    assert speedups.COMPILED, "pip install built no _speedups: the parser runs in Python"


@needs_compiled
@settings(max_examples=EXAMPLES, deadline=None)
@given(BLOCK_TEXT, st.sampled_from(["~", "\n", "\x1e"]), st.sampled_from(["*", "|", "\x1d"]))
def test_split_segments_is_the_python_split(block: str, terminator: str, element: str) -> None:
    for strip in (STRIP, STRIP + "~"):
        assert speedups.split_segments(
            block, terminator, element, strip
        ) == speedups.py_split_segments(block, terminator, element, strip)


@needs_compiled
@settings(max_examples=EXAMPLES, deadline=None)
@given(TEXT)
def test_hash32_is_sha256_hex(text: str) -> None:
    try:
        expected = hashlib.sha256(text.encode()).hexdigest()[:32]
    except UnicodeEncodeError:  # a lone surrogate: both refuse it
        with pytest.raises(UnicodeEncodeError):
            speedups.hash32(text)
        return
    assert speedups.hash32(text) == expected == speedups.py_hash32(text)


def test_hash32_across_the_block_boundaries() -> None:
    for size in range(130):  # the padding of SHA-256 changes at 55/56 and 64 bytes
        text = "x" * size
        assert speedups.hash32(text) == hashlib.sha256(text.encode()).hexdigest()[:32]


CAS_ITEM = st.tuples(
    st.integers(1, 10**6), st.integers(1, 6), ASCII, ASCII, ASCII, st.none() | ASCII
)
PLB_ITEM = st.tuples(
    st.integers(1, 10**6), st.integers(1, 6), ASCII, ASCII, ASCII, ASCII, st.none() | ASCII
)


@needs_compiled
@settings(max_examples=EXAMPLES, deadline=None)
@given(
    TEXT,
    st.integers(0, 1000),
    st.lists(st.tuples(ASCII, st.lists(CAS_ITEM, max_size=8)), max_size=6),
    st.lists(PLB_ITEM, max_size=6),
)
def test_event_ids_are_the_python_ones(
    prefix: str,
    offset: int,
    claims: list[tuple[str, list[tuple[object, ...]]]],
    plb: list[tuple[object, ...]],
) -> None:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in prefix):
        return  # not UTF-8: no id prefix is (it comes from decoded text)
    results = []
    for provisional_ids, finish_ids in (
        (speedups.provisional_ids, speedups.finish_ids),
        (speedups.py_provisional_ids, speedups.py_finish_ids),
    ):
        buffer = bytearray()
        for content, cas in claims:
            provisional_ids(buffer, prefix, offset, content, cas, False)
        provisional_ids(buffer, prefix, offset, "", plb, True)
        results.append((bytes(buffer), finish_ids(prefix, buffer)))
    assert results[0] == results[1]
    count = sum(len(cas) for _, cas in claims) + len(plb)
    assert len(results[0][1][1]) == count


def test_event_ids_by_their_definition() -> None:
    """The ids as the docs define them (docs/events.md), from hashlib."""
    prefix, content = "S\x1fR\x1f1\x1f2\x1f3\x1f", "CLM1\x1fICN\x1f"
    cas = [(12, 1, "CO", "45", "10.00", None), (12, 2, "PR", "2", "5", "1")]
    buffer = bytearray()
    speedups.provisional_ids(buffer, prefix, 10, content, cas, False)
    keys = [
        f"{prefix}2\x1f1\x1f{content}CO\x1f45\x1f10.00",
        f"{prefix}2\x1f2\x1f{content}PR\x1f2\x1f5",
    ]

    def h(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    provisional = [h(key) for key in keys]
    fingerprint = h(prefix + "".join(provisional))
    assert speedups.finish_ids(prefix, buffer) == (
        fingerprint,
        [h(fingerprint + one) for one in provisional],
    )


@needs_compiled
def test_bad_input_raises_instead_of_crashing() -> None:
    with pytest.raises(TypeError):
        speedups.provisional_ids(bytearray(), "p", 0, "", [(1, 2)], False)
    with pytest.raises(TypeError):
        speedups.provisional_ids(bytearray(), "p", 0, "", [(1, 2, 3, "a", "b")], False)
    with pytest.raises(ValueError):
        speedups.finish_ids("p", bytearray(b"abc"))


def _parse(paths: list[Path], pure: bool) -> bytes:
    env = {**os.environ, "ERA_PURE_PYTHON": "1" if pure else "0"}
    done = subprocess.run(
        [sys.executable, "-m", "era_cli.main", "parse", "--format", "jsonl", *map(str, paths)],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.stdout + b"\x00" + done.stderr


@needs_compiled
def test_the_parser_writes_the_same_with_and_without_them() -> None:
    samples = sorted(SAMPLES.iterdir())
    compiled = _parse(samples, pure=False)
    assert compiled.count(b"\n") > 100, "the samples gave adjustments"
    assert compiled == _parse(samples, pure=True)


CODES = st.text(max_size=6) | st.sampled_from(["CO", "PR", "45", "2", 'A"B', "\\", "\x7f"])
CAS_JSON_ITEM = st.tuples(
    st.integers(1, 10**6), st.integers(1, 6), CODES, CODES, ASCII, st.none() | ASCII
)
PIECES = st.tuples(*[st.sampled_from(['{"event_id":"', ",", "", "é", '"q":']) for _ in range(10)])


@needs_compiled
@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(CAS_JSON_ITEM, max_size=6), TEXT, TEXT, TEXT, PIECES)
def test_cas_json_is_the_python_writer(
    cas: list[tuple[object, ...]], head: str, middle: str, tail: str, pieces: tuple[str, ...]
) -> None:
    ids = [f"{n:032x}" for n in range(len(cas) + 1)]
    lines: list[list[str]] = [[], []]
    for write, out in ((speedups.cas_json, lines[0]), (speedups.py_cas_json, lines[1])):
        remaining = iter(ids)
        write(out, remaining, head, middle, tail, cas, pieces, escape)
        assert next(remaining) == ids[len(cas)], "one id taken per item"
    assert lines[0] == lines[1]


@needs_compiled
def test_cas_json_refuses_what_it_cannot_write() -> None:
    pieces = ("",) * 10
    item = (1, 1, "CO", "45", "1.00", None)
    with pytest.raises(ValueError, match="fewer event ids"):
        speedups.cas_json([], iter([]), "", "", "", [item], pieces, escape)
    with pytest.raises(TypeError):
        speedups.cas_json([], iter(["x"]), "", "", "", [item[:5]], pieces, escape)
    with pytest.raises(TypeError):
        speedups.cas_json([], iter(["x"]), "", "", "", [item], pieces[:9], escape)
    not_a_code = (1, 1, 45, 'needs "escaping"', "1.00", None)  # the second would call escape
    with pytest.raises(TypeError, match="expected str codes"):
        speedups.cas_json([], iter(["x"]), "", "", "", [not_a_code], pieces, escape)


def test_the_build_without_openssl_hashes_the_same(tmp_path: Path) -> None:
    """The FIPS 180-4 code of _sha256.h (used where OpenSSL's header is missing), built here."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler on this machine")
    source = Path(speedups.__file__).with_name("_speedups.c")
    built = tmp_path / f"_speedups{sysconfig.get_config_var('EXT_SUFFIX')}"
    include = f"-I{sysconfig.get_paths()['include']}"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", include, str(source), "-o", str(built)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    spec = importlib.util.spec_from_file_location("_speedups", built)
    assert spec is not None and spec.loader is not None
    portable = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(portable)
    for size in range(130):
        text = "é" * (size // 2) + "x" * (size % 2)
        assert portable.hash32(text) == hashlib.sha256(text.encode()).hexdigest()[:32]
    items = [(n, 1, "CO", "45", f"{n}.00", None) for n in range(50)]
    results = []
    for provisional_ids, finish_ids in (
        (portable.provisional_ids, portable.finish_ids),
        (speedups.py_provisional_ids, speedups.py_finish_ids),
    ):
        buffer = bytearray()
        provisional_ids(buffer, "prefix\x1f", 3, "C\x1fI\x1f", items, False)
        results.append(finish_ids("prefix\x1f", buffer))
    assert results[0] == results[1]
