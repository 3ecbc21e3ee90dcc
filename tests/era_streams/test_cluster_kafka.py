"""The pipeline on a 3-node cluster (deploy/kafka/local_cluster.py): topics replicated 3 times
with ``min.insync.replicas`` 2, the transaction coordinator found as librdkafka finds it, and two
of three brokers down: ingest and the workers wait, say so on ``/readyz`` and in metrics, and
once the brokers are back every adjustment arrives exactly once, without a restart."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import local_kafka
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource

from era_chaos import collect, expected_claims, expected_routes, generate_files
from era_contract.topics import TopicNames
from era_kafka.clients import admin_config
from era_kafka.config import KafkaSettings
from era_testing import era_command, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.cluster, pytest.mark.timeout(600)]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _stalled(port: int, service: str) -> float:
    status, text = _get(f"http://127.0.0.1:{port}/metrics")
    found = re.search(rf'^era_kafka_write_stalled{{service="{service}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if status == 200 and found else -1.0


def _stalls_total(port: int, service: str) -> float:
    _, text = _get(f"http://127.0.0.1:{port}/metrics")
    found = re.search(rf'^era_kafka_write_stalls_total{{service="{service}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else -1.0


def _ready(port: int) -> bool:
    return _get(f"http://127.0.0.1:{port}/readyz")[0] == 200


@pytest.fixture
def ingest_watch(era_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """`era ingest --watch` on a fresh inbox with its metrics port: (inbox, port)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    port = local_kafka.free_loopback_port()
    env = {**era_env, "ERA_INGEST_METRICS_PORT": str(port)}
    with (tmp_path / "ingest.log").open("wb") as log:
        process = subprocess.Popen(
            era_command("ingest", "--watch", str(inbox)),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    yield inbox, port
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def test_topics_and_internal_topics_are_replicated_with_min_isr_2(
    kafka_settings: KafkaSettings, topic_names: TopicNames
) -> None:
    admin = AdminClient(admin_config(kafka_settings))
    metadata = admin.list_topics(timeout=10)
    for name in [topic_names.adjustments, *topic_names.routes.values()]:
        assert all(len(p.replicas) == 3 for p in metadata.topics[name].partitions.values())
    resources = [ConfigResource("topic", topic_names.adjustments), ConfigResource("broker", "1")]
    configs = {r.name: f.result(timeout=10) for r, f in admin.describe_configs(resources).items()}
    assert configs[topic_names.adjustments]["min.insync.replicas"].value == "2"
    broker = configs["1"]
    assert broker["transaction.state.log.replication.factor"].value == "3"
    assert broker["transaction.state.log.min.isr"].value == "2"
    assert broker["offsets.topic.replication.factor"].value == "3"
    assert broker["unclean.leader.election.enable"].value == "false"


def test_transaction_coordinator_is_the_broker_librdkafka_talks_to(local_cluster: Any) -> None:
    """The chaos test kills "the coordinator's broker" by this lookup; librdkafka's own debug
    log says which broker it found."""
    for transactional_id in ("era-classifier-host-1", "t0-ingest-watch-abc", "x"):
        buffer = io.StringIO()
        logger = logging.getLogger(f"test.coordinator.{transactional_id}")
        logger.addHandler(logging.StreamHandler(buffer))
        logger.setLevel(logging.DEBUG)
        producer = Producer(
            {
                "bootstrap.servers": local_cluster.bootstrap,
                "transactional.id": transactional_id,
                "debug": "eos",
                "logger": logger,
            }
        )
        producer.init_transactions(60)
        found: list[str] = []
        for _ in range(20):  # the client's log lines are handed over by poll()
            producer.poll(0.2)
            found = re.findall(r"Transaction coordinator is broker (\d+)", buffer.getvalue())
            if found:
                break
        assert found, buffer.getvalue()[-2000:]
        assert int(found[-1]) == local_cluster.transaction_coordinator(transactional_id)


def test_two_brokers_down_stalls_writes_visibly_and_loses_nothing(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    ingest_watch: tuple[Path, int],
    local_cluster: Any,
    tmp_path: Path,
) -> None:
    inbox, ingest_port = ingest_watch
    files = generate_files(tmp_path / "load", parts=2, adjustments=1200, seed=4100)
    expected = expected_routes(files, era_env)
    ports = {"classifier": local_kafka.free_loopback_port()}
    ports["router"] = local_kafka.free_loopback_port()

    def worker(service: str) -> subprocess.Popen[bytes]:
        variable = f"ERA_{service.upper()}_METRICS_PORT"
        return start_worker(service, {variable: str(ports[service])})

    classifier, _router = worker("classifier"), worker("router")
    wait_for(lambda: all(_ready(p) for p in [ingest_port, *ports.values()]), 120, "all ready")
    (inbox / files[0].name).hardlink_to(files[0])  # a first file flows with every broker up
    wait_for(lambda: any((inbox / "done").glob("*")), 120, "the first file published")

    survivor, *down = sorted(local_cluster.nodes)
    for node in down:
        local_cluster.kill_node(node)
    outage_started = time.monotonic()
    (inbox / files[1].name).hardlink_to(files[1])  # arrives while the cluster cannot write
    classifier.kill()  # a worker restarted during the outage cannot even init_transactions
    classifier.wait(10)
    classifier = worker("classifier")

    wait_for(lambda: _stalled(ingest_port, "ingest") == 1, 120, "ingest reporting a stall")
    wait_for(lambda: _stalled(ports["classifier"], "classifier") == 1, 120, "classifier stall")
    assert not _ready(ingest_port)
    assert not _ready(ports["classifier"])
    assert not any((inbox / "done").glob(files[1].name)), "published with two brokers down?"
    outage = time.monotonic() - outage_started

    for node in down:
        local_cluster.start_node(node, wait=180)
    wait_for(lambda: _stalled(ingest_port, "ingest") == 0, 240, "ingest resuming by itself")
    wait_for(lambda: _ready(ports["classifier"]), 240, "the classifier resuming by itself")
    outcome = collect(
        kafka_settings,
        topic_names,
        expected,
        time.monotonic() + 240,
        claims=expected_claims(files),
    )
    print(f"\ncluster outage: {outcome.summary()} outage_seconds={outage:.0f} survivor={survivor}")
    outcome.assert_exactly_once()
    assert _stalls_total(ingest_port, "ingest") >= 1
    assert _stalls_total(ports["classifier"], "classifier") >= 1
    assert classifier.poll() is None, "the classifier died instead of waiting"
    assert all(_ready(p) for p in [ingest_port, *ports.values()])
