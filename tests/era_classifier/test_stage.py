"""The classifier stage without a broker: bytes in, classified bytes out, errors raised."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_classifier.metrics import ClassifierMetrics
from era_classifier.stage import ClassifierStage
from era_contract.codec import AvroCodec, CodecError
from era_contract.models import ClassifiedAdjustment
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT
from era_contract.validation import SchemaViolationError

pytestmark = pytest.mark.unit


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def stage(registry: CollectorRegistry) -> ClassifierStage:
    return ClassifierStage(
        Classifier(load_knowledge_base()),
        decode=AvroCodec(ADJUSTMENT).decode,
        encoder=AvroCodec(CLASSIFIED_ADJUSTMENT),
        output_topic="x.classified",
        metrics=ClassifierMetrics(registry),
        clock_ms=lambda: 42,
    )


def test_a_contractual_adjustment_is_classified_and_kept_whole(
    stage: ClassifierStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    adjustment = make_adjustment(group_code="CO", carc="45", amount="50.00")
    [(topic, value)] = stage(b"k", AvroCodec(ADJUSTMENT).encode(adjustment))
    assert topic == "x.classified"
    record = AvroCodec(CLASSIFIED_ADJUSTMENT).decode(value)
    ClassifiedAdjustment.model_validate(record)
    assert {k: record[k] for k in adjustment} == adjustment
    assert (record["route"], record["action"], record["classified_at"]) == (
        "writeoff",
        "writeoff",
        42,
    )
    assert record["patient_billable"] is False
    count = registry.get_sample_value(
        "era_classifier_events_classified_total", {"category": "contractual", "action": "writeoff"}
    )
    assert count == 1


def test_unknown_codes_are_counted_and_sent_to_review(
    stage: ClassifierStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    value = AvroCodec(ADJUSTMENT).encode(make_adjustment(group_code="CO", carc="Z99"))
    record = AvroCodec(CLASSIFIED_ADJUSTMENT).decode(stage(None, value)[0][1])
    assert record["route"] == "review" and "unknown_code" in record["flags"]
    assert registry.get_sample_value("era_classifier_unknown_codes_total", {"group": "CO"}) == 1


def test_garbage_raises_a_codec_error(stage: ClassifierStage) -> None:
    with pytest.raises(CodecError):
        stage(b"k", b"\x00\x01garbage")


def test_a_tombstone_is_a_schema_violation(stage: ClassifierStage) -> None:
    with pytest.raises(SchemaViolationError, match="tombstone"):
        stage(b"k", None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "12,50", "amount"),
        ("level", "galaxy", "level"),
        ("carc", "", "carc"),
        ("amount", "NaN", "finite"),
    ],
)
def test_schema_violations_name_the_field(
    stage: ClassifierStage, make_adjustment: Any, field: str, value: str, message: str
) -> None:
    encoded = AvroCodec(ADJUSTMENT).encode(make_adjustment(**{field: value}))
    with pytest.raises(SchemaViolationError, match=message):
        stage(b"k", encoded)
