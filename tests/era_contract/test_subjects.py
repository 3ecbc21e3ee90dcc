"""Subject names and the producer's registry policy follow Confluent's serializers."""

from __future__ import annotations

import pytest

from era_contract.subjects import RegistryPolicy, SubjectNameStrategy, subject_name

pytestmark = pytest.mark.unit

RECORD = "era.events.Adjustment"


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (SubjectNameStrategy.TOPIC, "era.adjustments-value"),
        (SubjectNameStrategy.RECORD, "era.events.Adjustment"),
        (SubjectNameStrategy.TOPIC_RECORD, "era.adjustments-era.events.Adjustment"),
    ],
)
def test_the_three_strategies(strategy: SubjectNameStrategy, expected: str) -> None:
    assert subject_name(strategy, RECORD, "era.adjustments") == expected


def test_the_default_is_confluents_topic_name_strategy() -> None:
    policy = RegistryPolicy()
    assert policy.subject(RECORD, "era.route.review") == "era.route.review-value"
    assert policy.auto_register_schemas and not policy.use_latest_version


def test_topic_strategies_need_the_topic() -> None:
    assert subject_name(SubjectNameStrategy.RECORD, RECORD, None) == RECORD
    for strategy in (SubjectNameStrategy.TOPIC, SubjectNameStrategy.TOPIC_RECORD):
        with pytest.raises(ValueError, match="needs the topic"):
            subject_name(strategy, RECORD, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("topic", SubjectNameStrategy.TOPIC),
        ("TopicNameStrategy", SubjectNameStrategy.TOPIC),
        ("io.confluent.kafka.serializers.subject.RecordNameStrategy", SubjectNameStrategy.RECORD),
        ("topic-record", SubjectNameStrategy.TOPIC_RECORD),
        ("TopicRecordNameStrategy", SubjectNameStrategy.TOPIC_RECORD),
        (" Record ", SubjectNameStrategy.RECORD),
    ],
)
def test_parse_accepts_short_and_confluent_names(text: str, expected: SubjectNameStrategy) -> None:
    assert SubjectNameStrategy.parse(text) is expected


def test_parse_names_the_choices() -> None:
    with pytest.raises(ValueError, match="topic, record, topic_record"):
        SubjectNameStrategy.parse("by-payer")
