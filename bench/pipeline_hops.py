"""The baseline passthrough of the pipeline benchmark (bench/pipeline_bench.py): one hop of a
plain consume(500) → decode → constant transform → encode → produce loop over the pipeline's
topics, no transactions (at least once), which the bench starts as two subprocesses
(``pipeline_bench.py --hop 1|2 --prefix P``) in place of the classifier and the router.
"""

from __future__ import annotations

import signal
import threading
import time
import zlib
from typing import Any

from confluent_kafka import Consumer, Producer

from era_contract.codec import AvroCodec
from era_contract.topics import TopicNames
from era_kafka.clients import consumer_config, producer_config
from era_kafka.config import KafkaSettings

# Hop 1 of the baseline adds these constant classification fields (ClassifiedAdjustment).
CLASSIFIED_CONSTANTS: dict[str, Any] = {
    "category": "contractual",
    "action": "write_off",
    "route": "writeoff",
    "appealable": "no",
    "who_pays": "provider",
    "patient_billable": False,
    "upstream_cause": None,
    "rule_id": "baseline",
    "explanation": "baseline passthrough: constant classification",
    "carc_description": None,
    "rarc_descriptions": [],
    "flags": [],
    "expected_amount": None,
    "kb_version": "baseline",
    "rules_version": "baseline",
    "classified_at": None,
    "appeal_deadline": None,
    "follow_up_by": None,
    "routed_at": None,
}


def run_hop(hop: int, prefix: str) -> int:
    """Consume(500) → decode → constant transform → encode → produce, until SIGTERM.

    read_committed consumer with auto-committed offsets, idempotent producer, no transactions.
    """
    names = TopicNames(prefix)
    kafka = KafkaSettings()
    consumer = Consumer(
        consumer_config(
            kafka,
            group_id=f"{prefix}-baseline-hop{hop}",
            **{"enable.auto.commit": True, "auto.commit.interval.ms": 500},
        )
    )
    producer = Producer(producer_config(kafka))
    if hop == 1:
        source, decoder = names.adjustments, AvroCodec("era.events.Adjustment")
    else:
        source, decoder = names.classified, AvroCodec("era.events.ClassifiedAdjustment")
    encode = AvroCodec("era.events.ClassifiedAdjustment").encode
    decode = decoder.decode
    routes = list(names.routes.values())
    classified_topic = names.classified
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    consumer.subscribe([source])
    try:
        while not stop.is_set():
            for message in consumer.consume(500, timeout=0.1):
                error = message.error()
                if error is not None:
                    if error.fatal():
                        raise RuntimeError(str(error))
                    continue
                record = decode(message.value())
                now = time.time_ns() // 1_000_000
                if hop == 1:
                    record.update(CLASSIFIED_CONSTANTS)
                    record["classified_at"] = now
                    topic = classified_topic
                else:
                    record["routed_at"] = now
                    topic = routes[zlib.crc32(record["event_id"].encode()) % len(routes)]
                value = encode(record)
                while True:
                    try:
                        producer.produce(topic, value, message.key())
                        break
                    except BufferError:
                        producer.poll(0.05)
            producer.poll(0)
    finally:
        producer.flush(30)
        consumer.close()
    return 0
