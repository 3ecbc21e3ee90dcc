"""The chaos tests' diagnosis of a doubled event (``era_chaos.locate``) on a real broker: every
copy is found, committed ones told apart from copies in an aborted transaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Producer

from era_chaos import locate
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs, producer_config
from era_kafka.config import KafkaSettings

pytestmark = pytest.mark.integration


def test_locate_lists_committed_and_aborted_copies_of_a_doubled_event(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    make_adjustment: Callable[..., dict[str, Any]],
) -> None:
    doubled = make_adjustment()
    other = make_adjustment()
    value = Codecs().adjustment.encode(doubled)
    producer = Producer(
        producer_config(kafka_settings, transactional_id=f"locate-{uuid.uuid4().hex[:8]}")
    )
    producer.init_transactions(30)
    for commit in (True, False, True):  # a copy, an aborted copy, the doubled copy
        producer.begin_transaction()
        producer.produce(topic_names.adjustments, value, b"k")
        producer.produce(topic_names.adjustments, Codecs().adjustment.encode(other), b"k")
        producer.flush(30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    [line] = locate(kafka_settings, topic_names, {doubled["event_id"]})
    assert line.startswith(f"{doubled['event_id']}: ")
    topic = re.escape(topic_names.adjustments)
    copies = re.findall(rf"{topic}\[\d+\]@(\d+) \(\d+\) (\w+)", line)
    assert [state for _, state in copies] == ["committed", "aborted", "committed"], line
    offsets = [int(offset) for offset, _ in copies]
    assert offsets == sorted(offsets) and len(set(offsets)) == 3
