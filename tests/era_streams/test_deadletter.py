from __future__ import annotations

import pytest

from era_contract.codec import CodecError
from era_contract.validation import SchemaViolationError
from era_streams.deadletter import dead_letter_headers
from era_streams.errors import dead_letter_reason

pytestmark = pytest.mark.unit


def test_headers_name_source_position_and_error() -> None:
    headers = dict(
        dead_letter_headers(
            service="classifier",
            topic="era.adjustments",
            partition=3,
            offset=1234,
            error=CodecError("not an Avro record"),
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
            service="router", topic="t", partition=0, offset=0, error=ValueError("x" * 10_000)
        )
    )
    assert len(headers["era.dlt.exception.message"]) == 2000


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
