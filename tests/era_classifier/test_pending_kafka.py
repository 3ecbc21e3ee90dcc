"""PLB items waiting for their claim, on a real broker (docs/delivery.md, "Order").

The race of issue #18 made reproducible: the claim and the PLB item naming it are published
together (one transaction, like ingest), the claim on one partition and the item on another,
but the claim's partition is held back behind an open transaction written before them (as a
lagging partition would be). The item reaches its lookup partition first and waits there — in
the changelog, so a classifier killed with SIGKILL meanwhile hands it on to the next — and
leaves matched, once, when the claim is finally read. An item whose claim never comes leaves
unmatched as soon as the group has passed it (long before the grace), or after the grace while
the group is held back."""

from __future__ import annotations

import contextlib
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaException, Producer

from era_classifier.pending import PENDING_PREFIX
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs, producer_config
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_topic
from era_testing import read_records, wait_for

pytestmark = pytest.mark.integration

CLAIM_PARTITION, PLB_PARTITION = 0, 1


def _transactional(kafka: KafkaSettings) -> Producer:
    producer = Producer(
        producer_config(
            kafka,
            transactional_id=f"test-{uuid.uuid4().hex[:8]}",
            **{"transaction.timeout.ms": 120_000},
        )
    )
    producer.init_transactions(30)
    return producer


@pytest.fixture
def blocker(kafka_settings: KafkaSettings, topic_names: TopicNames) -> Iterator[Producer]:
    """A producer with an open transaction holding one record on the claim's partition: every
    record written there after it stays unread (read_committed) until it is aborted."""
    producer = _transactional(kafka_settings)
    producer.begin_transaction()
    producer.produce(topic_names.adjustments, b"held", b"held", partition=CLAIM_PARTITION)
    producer.flush(30)
    yield producer
    with contextlib.suppress(KafkaException):  # already aborted by the test
        producer.abort_transaction(30)


def _publish(kafka: KafkaSettings, names: TopicNames, *records: tuple[int, dict[str, Any]]) -> None:
    """``(partition, adjustment)`` pairs in one committed transaction, like ingest."""
    encode = Codecs.from_env().adjustment.encode
    producer = _transactional(kafka)
    producer.begin_transaction()
    for partition, record in records:
        key = f"{record['payer_id']}|{record['claim_id'] or 'PLB:' + record['trace']}".encode()
        producer.produce(names.adjustments, encode(record), key, partition=partition)
    producer.commit_transaction(30)


def _pair(make_adjustment: Callable[..., dict[str, Any]], reference: str) -> tuple[Any, Any]:
    now = int(time.time() * 1000)
    claim = make_adjustment(
        claim_id=f"CLM-{reference}",
        payer_claim_id=reference,
        ingested_at=now,
        claim_event_id=uuid.uuid4().hex,
    )
    plb = make_adjustment(
        level="provider",
        line=None,
        claim_id=None,
        claim_status=None,
        payer_claim_id=None,
        procedure=None,
        line_charge=None,
        line_paid=None,
        group_code=None,
        carc="L6",
        amount="-3.10",
        rarcs=[],
        plb_reference=reference,
        ingested_at=now + 1,
        claim_event_id=None,
    )
    return claim, plb


def _classified(kafka: KafkaSettings, names: TopicNames) -> list[dict[str, Any]]:
    return read_records(kafka, names.classified, 1.0)


def _waiting(kafka: KafkaSettings, names: TopicNames) -> set[bytes]:
    """The keys of PLB items waiting, as the changelog holds them (committed)."""
    state: dict[bytes, bytes | None] = {}
    for record in read_topic(kafka, names.classifier_changelog, idle_timeout=1.0):
        if record.key is not None:
            state[record.key] = record.value
    return {k for k, v in state.items() if k.startswith(PENDING_PREFIX) and v is not None}


def test_a_plb_before_its_claims_index_entry_waits_across_a_kill_and_matches_once(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    make_adjustment: Callable[..., dict[str, Any]],
    blocker: Producer,
) -> None:
    era_env["ERA_WORKER_SESSION_TIMEOUT_SECONDS"] = "6"
    claim, plb = _pair(make_adjustment, "PCN-RACE")
    classifier = start_worker("classifier")
    _publish(kafka_settings, topic_names, (CLAIM_PARTITION, claim), (PLB_PARTITION, plb))
    key = f"{PENDING_PREFIX.decode()}{plb['payer_id']}|PCN-RACE".encode()
    wait_for(lambda: key in _waiting(kafka_settings, topic_names), 60, "the PLB item parked")
    time.sleep(3)  # a few punctuation rounds: the held claim partition keeps it waiting
    assert _classified(kafka_settings, topic_names) == []
    classifier.send_signal(signal.SIGKILL)
    classifier.wait(10)
    start_worker("classifier")  # empty memory: the waiting item comes back from the changelog
    blocker.abort_transaction(30)  # the claim's partition is read now
    wait_for(
        lambda: len(_classified(kafka_settings, topic_names)) >= 2, 90, "the claim and the PLB"
    )
    time.sleep(2)
    records = _classified(kafka_settings, topic_names)
    assert sorted(r["event_id"] for r in records) == sorted([claim["event_id"], plb["event_id"]])
    [item] = [r for r in records if r["level"] == "provider"]
    assert (item["matched_claim_id"], item["matched_claim_event_id"]) == (
        claim["claim_id"],
        claim["claim_event_id"],
    )
    assert key not in _waiting(kafka_settings, topic_names)


def test_an_unmatched_plb_leaves_once_the_group_passed_it_or_after_the_grace(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    make_adjustment: Callable[..., dict[str, Any]],
) -> None:
    # no claim at all, nothing held back: it leaves long before the grace (300 s)
    _, alone = _pair(make_adjustment, "NOSUCH-1")
    start_worker("classifier")
    started = time.monotonic()
    _publish(kafka_settings, topic_names, (PLB_PARTITION, alone))
    wait_for(lambda: len(_classified(kafka_settings, topic_names)) == 1, 60, "the lone PLB")
    print(f"lone PLB classified {time.monotonic() - started:.1f} s after its publication")
    assert time.monotonic() - started < 30
    [record] = _classified(kafka_settings, topic_names)
    assert record["event_id"] == alone["event_id"] and record["matched_claim_id"] is None


def test_a_plb_held_back_by_the_group_leaves_after_the_grace(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    make_adjustment: Callable[..., dict[str, Any]],
    blocker: Producer,
) -> None:
    claim, plb = _pair(make_adjustment, "PCN-LATE")
    start_worker("classifier", {"ERA_CLASSIFIER_LINK_GRACE_SECONDS": "8"})
    _publish(kafka_settings, topic_names, (CLAIM_PARTITION, claim), (PLB_PARTITION, plb))
    started = time.monotonic()
    wait_for(lambda: len(_classified(kafka_settings, topic_names)) == 1, 60, "the PLB, unmatched")
    assert time.monotonic() - started >= 6  # it waited (about the grace), the claim held back
    [record] = _classified(kafka_settings, topic_names)
    assert record["event_id"] == plb["event_id"] and record["matched_claim_id"] is None
    blocker.abort_transaction(30)
    wait_for(lambda: len(_classified(kafka_settings, topic_names)) == 2, 60, "the claim")
    time.sleep(2)
    assert len(_classified(kafka_settings, topic_names)) == 2  # the PLB once, not again
