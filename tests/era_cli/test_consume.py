"""`era consume` against a real broker: committed records only, undecodable ones shown raw."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from confluent_kafka import Producer

from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT
from era_contract.topics import TopicNames
from era_kafka.clients import producer_config
from era_kafka.config import KafkaSettings

pytestmark = pytest.mark.integration


def _era(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "era_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_consume_prints_committed_records_only(
    kafka_settings: KafkaSettings, topic_names: TopicNames, make_adjustment: Any
) -> None:
    codec = AvroCodec(ADJUSTMENT)
    committed = [make_adjustment(claim_id=f"C{i}", amount=f"{i}.10") for i in range(10)]
    producer = Producer(producer_config(kafka_settings, transactional_id="test-consume"))
    producer.init_transactions(30)
    producer.begin_transaction()
    for record in committed:
        producer.produce(topic_names.adjustments, codec.encode(record), record["claim_id"])
    producer.commit_transaction(30)
    producer.begin_transaction()
    for i in range(5):
        producer.produce(topic_names.adjustments, codec.encode(make_adjustment(claim_id=f"X{i}")))
    producer.abort_transaction(30)
    plain = Producer(producer_config(kafka_settings))
    plain.produce(topic_names.adjustments, b"not avro", b"poison")
    plain.flush(30)

    result = _era("consume", topic_names.adjustments, "--from-beginning", "--idle-timeout", "3")

    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    decoded = sorted((r for r in rows if "_undecodable" not in r), key=lambda r: r["claim_id"])
    assert decoded == sorted(committed, key=lambda r: r["claim_id"])
    poison = [r for r in rows if "_undecodable" in r]
    assert len(poison) == 1
    assert poison[0]["_key"] == "poison"
    assert "not an Avro record" in poison[0]["_undecodable"]


def test_consume_table_and_idle_exit_on_empty_topic(topic_names: TopicNames) -> None:
    result = _era("consume", topic_names.adjustments, "--idle-timeout", "1", "--format", "table")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:4] == ["partition", "offset", "claim_id", "line"]


def test_consume_unknown_topic_is_a_clear_error(topic_names: TopicNames) -> None:
    result = _era("consume", "nope.topic", "--idle-timeout", "1")
    assert result.returncode == 2
    assert "not one of the pipeline's topics" in result.stderr


def test_topics_create_is_idempotent(topic_names: TopicNames) -> None:
    result = _era("topics", "create")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == topic_names.all()
    assert all("\texists\t" in line for line in lines)


def test_consume_decodes_claims_and_remittances_and_report_prints_the_checks(
    topic_names: TopicNames,
) -> None:
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "era-samples"
    ingest = _era("ingest", str(sample / "opendental_JustinSmithERA.txt"), timeout=120)
    assert "accepted" in ingest.stdout, ingest.stderr

    claims = _era("consume", topic_names.claims, "--from-beginning", "--idle-timeout", "2")
    rows = sorted((json.loads(line) for line in claims.stdout.splitlines()), key=str)
    assert sorted(r["claim_id"] for r in rows) == ["217180995", "217308827", "217439125"]
    assert sum(len(r["lines"]) for r in rows) == 10
    checks = _era(
        "consume",
        topic_names.remittances,
        "--from-beginning",
        "--idle-timeout",
        "2",
        "--format",
        "table",
    )
    header, _, row = checks.stdout.splitlines()
    assert header.split()[2:7] == [
        "trace",
        "payer_id",
        "payment_method",
        "payment_date",
        "total_paid",
    ]
    assert row.split()[2:7] == ["0045284538", "CHK", "2017-10-04", "353", "3"]

    report = _era("report", "--idle-timeout", "1")
    assert report.returncode == 0, report.stderr
    lines = {line.split()[0]: line.split() for line in report.stdout.splitlines() if line}
    assert lines["remittances"][1:4] == [topic_names.remittances, "1", "353"]
    assert lines["claims"][1:4] == [topic_names.claims, "3", "353"]
