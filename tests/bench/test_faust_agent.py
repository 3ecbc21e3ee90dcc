"""The bench's faust-agent baseline (bench/faust_agent.py) under faust's test_context: outputs
sent, failures dead-lettered, no crash."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust
import pytest
from faust_agent import attach_stage, make_app  # bench/, on pytest's pythonpath

from era_contract.codec import AvroCodec
from era_contract.vocabulary import DEAD_LETTER
from era_kafka.config import KafkaSettings
from era_streams.settings import WorkerSettings

pytestmark = pytest.mark.unit


class Upper:
    """A toy stage: upper-cases the value, refuses values that are not ASCII."""

    def __call__(self, key: bytes | None, value: bytes | None) -> Sequence[tuple[str, bytes]]:
        if value is None or not value.isascii():
            raise ValueError("expected ASCII text")
        return [("out.topic", value.upper())]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    async def fake_send(
        self: Any, *, key: Any = None, value: Any = None, headers: Any = None, **kwargs: Any
    ) -> None:
        calls.append(
            {
                "topic": self.get_topic_name(),
                "key": key,
                "value": value,
                "headers": dict(headers or []),
            }
        )

    monkeypatch.setattr(faust.Topic, "send", fake_send)
    return calls


async def test_outputs_are_sent_and_failures_dead_lettered(sent: list[dict[str, Any]]) -> None:
    app = make_app(
        "test-agent",
        kafka=KafkaSettings(),
        worker=WorkerSettings(),
        partitions=1,
    )
    app.conf.store = "memory://"
    attach_stage(
        app,
        name="toy",
        source_topic="in.topic",
        dead_letter_topic="dlq.topic",
        stage=Upper(),
    )
    agent = app.agents["toy.process"]
    async with agent.test_context() as context:
        await context.put(b"abc", key=b"k1")
        await context.put("é".encode(), key=b"k2")
        await context.put(b"def", key=b"k3")

    assert [(c["topic"], c["key"]) for c in sent] == [
        ("out.topic", b"k1"),
        ("dlq.topic", b"k2"),
        ("out.topic", b"k3"),
    ]
    assert (sent[0]["value"], sent[2]["value"]) == (b"ABC", b"DEF")
    letter = AvroCodec(DEAD_LETTER).decode(sent[1]["value"])  # the one dead-letter shape
    assert (letter["payload"], letter["source_key"]) == ("é".encode(), b"k2")
    assert (letter["service"], letter["reason"]) == ("toy", "processing_error")
    headers = sent[1]["headers"]
    assert headers["era.dlt.exception.class"] == b"ValueError"
    assert headers["era.dlt.exception.message"] == b"expected ASCII text"
    assert headers["era.dlt.service"] == b"toy"
