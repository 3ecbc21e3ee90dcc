"""Delimiter detection and layout tolerance: every layout gives the same adjustments."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from era_ingest.x12 import ADJUSTMENT_FIELDS, ParsedTransaction, Problem, parse_stream
from era_ingest.x12.segments import SegmentReader
from era_testing import documented_event_ids, id_parts

pytestmark = pytest.mark.unit


def _clean(x12: SimpleNamespace, data: bytes | str, **kwargs: object) -> list[dict[str, object]]:
    parsed = x12.parse(data, **kwargs)
    assert x12.problems(parsed) == []
    found: list[dict[str, object]] = x12.adjustments(parsed)
    return found


def test_reference_interchange_gives_exact_adjustments(x12: SimpleNamespace) -> None:
    found = _clean(x12, x12.interchange())
    assert [(a["level"], a["group_code"], a["carc"], a["amount"]) for a in found] == [
        ("claim", "CO", "45", "10"),
        ("line", "CO", "45", "70"),
        ("line", "PR", "1", "20"),
    ]
    line = found[1]
    parts = [id_parts(a, p, 1) for a, p in zip(found, (9, 15, 16), strict=True)]
    sealed = documented_event_ids(["SENDER", "RECEIVER", "000000001", "1", "0001"], parts)
    assert line == {
        "event_id": sealed[1],
        "file": "test.835",
        "implementation": "005010X221A1",
        "interchange": "000000001",
        "functional_group": "1",
        "transaction": "0001",
        "segment_no": 17,
        "payer_name": "ACME PAYER",
        "payer_id": "12345",
        "payee_name": "BRIGHT SMILES DDS",
        "payee_npi": "1234567893",
        "trace": "TRACE1",
        "remit_date": "2024-01-05",
        "claim_id": "CLAIM1",
        "claim_status": "1",
        "claim_charge": "200",
        "claim_paid": "100",
        "patient_responsibility": "20",
        "claim_filing_indicator": "12",
        "payer_claim_id": "PAYERCLM1",
        "patient_name": "DOE, JANE",
        "member_id": "M123",
        "level": "line",
        "line": 1,
        "procedure": "AD:D2740",
        "modifiers": ["XX", "YY"],
        "units": "1",
        "line_charge": "190",
        "line_paid": "100",
        "allowed_amount": "120",
        "service_date": "2024-01-02",
        "group_code": "CO",
        "carc": "45",
        "amount": "70",
        "quantity": None,
        "rarcs": ["N123", "MA01"],
        "plb_reference": None,
        "reversal": False,
        "balance_error": None,
        "ingested_at": None,
        "crossover_carrier": None,
        "estimated_payment": None,
        "line_control_number": None,
        "submitted_procedure": None,
        "payee_tin": None,
        "claim_event_id": found[0]["claim_event_id"],
        "remittance_event_id": found[0]["remittance_event_id"],
    }
    assert tuple(line) == ADJUSTMENT_FIELDS
    ids = {line["claim_event_id"], line["remittance_event_id"], line["event_id"]}
    assert len(ids) == 3 and all(len(str(i)) == 32 for i in ids)
    assert found[0]["rarcs"] == ["MA01"]
    assert found[0]["service_date"] == "2024-01-01"  # the claim's DTM*232
    assert found[0]["line"] is None and found[0]["procedure"] is None
    assert found[0]["modifiers"] == [] and found[0]["units"] is None


LAYOUTS = {
    "star-colon-tilde-newline": {"element": "*", "component": ":", "terminator": "~\n"},
    "tilde-single-line": {"element": "*", "component": ":", "terminator": "~"},
    "crlf-after-tilde": {"element": "*", "component": ":", "terminator": "~\r\n"},
    "pipe-caret-newline-only": {"element": "|", "component": "^", "terminator": "\n"},
    "crlf-only": {"element": "*", "component": ":", "terminator": "\r\n"},
    "edifact-like": {"element": "+", "component": ">", "terminator": "'"},
    "control-characters": {"element": "\x1d", "component": "\x1f", "terminator": "\x1c"},
    "bang-backslash": {"element": "!", "component": "\\", "terminator": "\x85"},
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_delimiter_layout_gives_the_same_adjustments(
    layout: str, x12: SimpleNamespace
) -> None:
    reference = _clean(x12, x12.interchange())
    data = x12.interchange(**LAYOUTS[layout]).encode("latin-1")
    assert _clean(x12, data) == reference


def test_utf8_bom_before_isa(x12: SimpleNamespace) -> None:
    reference = _clean(x12, x12.interchange())
    assert _clean(x12, b"\xef\xbb\xbf" + x12.interchange().encode()) == reference


def test_no_trailing_terminator_blank_lines_and_padding(x12: SimpleNamespace) -> None:
    reference = _clean(x12, x12.interchange())
    text = x12.interchange(terminator="~\n\n   \n")
    assert _clean(x12, text.rstrip("~\n ")) == reference
    assert _clean(x12, "\n\n  " + text) == reference


def test_newline_before_the_terminator_tigershark_layout(x12: SimpleNamespace) -> None:
    # TigerShark writes "ISA…^\n~GS|…\n~ST|…": the byte after ISA16 is '\n', '~' starts lines
    reference = _clean(x12, x12.interchange())
    text = x12.interchange(element="|", component="^", terminator="\n~")
    assert _clean(x12, text) == reference


def test_unpadded_isa_is_read_by_counting_separators(x12: SimpleNamespace) -> None:
    reference = _clean(x12, x12.interchange())
    text = (
        x12.interchange()
        .replace("SENDER         ", "SENDER")
        .replace("RECEIVER       ", "RECEIVER")
    )
    assert _clean(x12, text) == reference


def test_several_interchanges_with_different_delimiters(x12: SimpleNamespace) -> None:
    first = x12.interchange(control="000000001")
    second = x12.interchange(element="|", component="^", terminator="\n", control="000000002")
    third = x12.interchange(element="*", component=">", terminator="~", control="000000003")
    found = _clean(x12, first + second + third)
    assert len(found) == 9
    assert [a["interchange"] for a in found[::3]] == ["000000001", "000000002", "000000003"]
    segments = len(first.strip("~\n").split("~\n"))
    assert found[3]["segment_no"] == found[0]["segment_no"] + segments
    assert len({a["event_id"] for a in found}) == 9


def test_isa_inside_a_value_is_not_an_interchange_header(x12: SimpleNamespace) -> None:
    # "ISA" inside a name (LISA) must not be taken for a header; a real ISA with other
    # delimiters later in the same chunk still is.
    first = x12.interchange(control="000000001").replace("DOE*JANE", "LISA*ISABEL")
    second = x12.interchange(element="|", component="^", terminator="\n", control="000000002")
    found = _clean(x12, first + second)
    assert [a["patient_name"] for a in found[::3]] == ["LISA, ISABEL", "DOE, JANE"]
    assert [a["interchange"] for a in found[::3]] == ["000000001", "000000002"]


def test_several_sets_and_groups_in_one_interchange(x12: SimpleNamespace) -> None:
    text = x12.interchange(x12.BODY, x12.BODY, x12.BODY)
    parsed = x12.parse(text)
    assert [p.transaction for p in parsed if isinstance(p, ParsedTransaction)] == [
        "0001",
        "0002",
        "0003",
    ]
    assert len(x12.adjustments(parsed)) == 9
    assert x12.problems(parsed) == []


def test_svc01_with_an_undeclared_component_separator_is_split_silently(
    x12: SimpleNamespace,
) -> None:
    for written in (">", "^", ":"):
        body = [s.replace("AD:D2740:XX:YY", f"HC{written}99213{written}25") for s in x12.BODY]
        component = ":" if written != ":" else ">"
        found = _clean(x12, x12.interchange(body, component=component))
        assert found[1]["procedure"] == "HC:99213"
        assert found[1]["modifiers"] == ["25"]


def test_plb_composite_with_an_undeclared_separator(x12: SimpleNamespace) -> None:
    body = [*x12.BODY, "PLB*1234567893*20241231*WO>ABC123*5"]
    body[0] = body[0].replace("*100*", "*95*")
    found = _clean(x12, x12.interchange(body))
    assert (found[-1]["carc"], found[-1]["plb_reference"]) == ("WO", "ABC123")


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64, 4096])
def test_chunk_boundaries_do_not_matter(chunk_size: int, x12: SimpleNamespace) -> None:
    text = x12.interchange(x12.BODY, x12.BODY) + x12.interchange(element="|", terminator="\n")
    text = text.replace("ACME PAYER", "MÜLLER ÆRØ PAYER")  # multi-byte UTF-8 across chunks
    whole = x12.parse(b"\xef\xbb\xbf" + text.encode())
    trickled = x12.parse(b"\xef\xbb\xbf" + text.encode(), chunk_size=chunk_size)
    assert trickled == whole
    assert x12.adjustments(whole)[0]["payer_name"] == "MÜLLER ÆRØ PAYER"


def test_latin1_text_is_decoded(x12: SimpleNamespace) -> None:
    data = x12.interchange().replace("ACME PAYER", "CAISSE DE SANTÉ").encode("latin-1")
    found = _clean(x12, data)
    assert found[0]["payer_name"] == "CAISSE DE SANTÉ"


def test_4010_isa11_is_not_a_repetition_separator(x12: SimpleNamespace) -> None:
    data = x12.interchange(repetition="U", version="00401").encode()
    reader = SegmentReader(io.BytesIO(data), "x")
    list(reader)
    assert reader.delimiters is not None
    assert reader.delimiters.repetition is None
    reader = SegmentReader(io.BytesIO(x12.interchange().encode()), "x")
    list(reader)
    assert reader.delimiters is not None and reader.delimiters.repetition == "^"


def test_segment_numbers_count_non_blank_segments(x12: SimpleNamespace) -> None:
    data = x12.interchange(terminator="~\n\n").encode()
    numbers = [number for number, _ in SegmentReader(io.BytesIO(data), "x")]
    assert numbers == list(range(1, len(x12.BODY) + 7))


class _CountingStream(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        size = len(self.data) if n < 0 else n
        chunk = self.data[self.position : self.position + size]
        self.position += len(chunk)
        return chunk


def test_streaming_yields_before_the_whole_file_is_read(x12: SimpleNamespace) -> None:
    data = x12.interchange(*([x12.BODY] * 3000)).encode()
    assert len(data) > 1_000_000
    stream = _CountingStream(data)
    items = parse_stream(stream, "big.835")  # type: ignore[arg-type]
    first = next(items)
    assert isinstance(first, ParsedTransaction)
    assert stream.position < 200_000  # a few 64 KiB chunks, not the whole file
    rest = list(items)
    assert sum(isinstance(item, ParsedTransaction) for item in rest) == 2999
    assert not any(isinstance(item, Problem) for item in rest)
