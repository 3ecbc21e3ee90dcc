from __future__ import annotations

import pytest

from era_contract.codec import AvroCodec, CodecError
from era_contract.validation import SchemaViolationError
from era_contract.vocabulary import DEAD_LETTER
from era_streams.deadletter import (
    cut_message,
    dead_letter_headers,
    record_headers,
    worker_dead_letter,
)
from era_streams.errors import dead_letter_reason

pytestmark = pytest.mark.unit


def test_headers_name_source_position_and_error() -> None:
    headers = dict(
        dead_letter_headers(
            service="classifier",
            topic="era.adjustments",
            partition=3,
            offset=1234,
            error_class="CodecError",
            error_message="not an Avro record",
        )
    )
    assert headers == {
        "era.dlt.source.topic": b"era.adjustments",
        "era.dlt.source.partition": b"3",
        "era.dlt.source.offset": b"1234",
        "era.dlt.exception.class": b"CodecError",
        "era.dlt.exception.message": b"not an Avro record",
        "era.dlt.service": b"classifier",
    }


def test_long_messages_are_cut() -> None:
    headers = dict(
        dead_letter_headers(
            service="router",
            topic="t",
            partition=0,
            offset=0,
            error_class="ValueError",
            error_message="x" * 10_000,
        )
    )
    assert len(headers["era.dlt.exception.message"]) == 2000


def test_a_cut_never_splits_a_character() -> None:
    cut = cut_message("x" + "é" * 2000)  # 1 + 4,000 bytes: the cut falls inside an é
    assert len(cut.encode()) == 1999 and cut == "x" + "é" * 999
    assert cut_message("short \ud800") == "short ?", "not UTF-8: replaced, not refused"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (CodecError("x"), "decode_error"),
        (SchemaViolationError("x"), "schema_violation"),
        (KeyError("x"), "processing_error"),
    ],
)
def test_reasons_are_a_small_fixed_set(error: BaseException, reason: str) -> None:
    assert dead_letter_reason(error) == reason


def _worker_letter(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "service": "classifier",
        "reason": "decode_error",
        "error": CodecError("not an Avro record"),
        "topic": "era.adjustments",
        "partition": 3,
        "offset": 1234,
        "key": b"P|CLM1",
        "value": b"\xc3\x01raw",
        "now_ms": 1_700_000_000_000,
    }
    fields.update(changes)
    return worker_dead_letter(**fields)  # type: ignore[arg-type]


def test_a_worker_dead_letter_is_the_deadletter_schema_with_the_raw_record() -> None:
    record = _worker_letter()
    codec = AvroCodec(DEAD_LETTER)
    decoded = codec.decode(codec.encode(record))
    assert decoded["payload"] == b"\xc3\x01raw"
    assert decoded["source_key"] == b"P|CLM1"
    assert (decoded["source_topic"], decoded["source_partition"], decoded["source_offset"]) == (
        "era.adjustments",
        3,
        1234,
    )
    assert (decoded["service"], decoded["reason"], decoded["error_class"]) == (
        "classifier",
        "decode_error",
        "CodecError",
    )
    assert dict(record_headers(record))["era.dlt.source.offset"] == b"1234"


def test_the_id_names_the_source_record_so_a_retry_repeats_it() -> None:
    assert _worker_letter()["dead_letter_id"] == _worker_letter(now_ms=1)["dead_letter_id"]
    assert _worker_letter()["dead_letter_id"] != _worker_letter(offset=1235)["dead_letter_id"]


def test_an_ingest_dead_letter_has_empty_source_headers() -> None:
    headers = dict(
        dead_letter_headers(
            service="ingest",
            topic=None,
            partition=None,
            offset=None,
            error_class="X12Problem",
            error_message="SE01: expected 12",
        )
    )
    assert headers["era.dlt.source.topic"] == headers["era.dlt.source.offset"] == b""
    assert headers["era.dlt.service"] == b"ingest"
