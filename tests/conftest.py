"""Test harness: a real Kafka broker for the session, unique topics and groups per test.

The broker is the project's own local Kafka (``deploy/kafka/local_kafka.py``) on two free
loopback ports with its data under ``var/test-kafka/session-<pid>`` (deleted afterwards), unless
``KAFKA_BOOTSTRAP_SERVERS`` names an existing cluster. A broker that cannot start fails the
integration tests; nothing skips them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import local_kafka  # deploy/kafka, on pytest's pythonpath
import pytest

from era_contract.topics import TopicNames
from era_kafka.admin import delete_topics, ensure_topics
from era_kafka.clients import admin_config
from era_kafka.config import KafkaSettings
from era_testing import era_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def local_broker() -> Iterator[Any]:
    """The session's own broker (a ``LocalKafka``), or None when ``KAFKA_BOOTSTRAP_SERVERS``
    names an external cluster."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield None
        return
    homes = ROOT / "var" / "test-kafka"
    for stale in homes.glob("session-*"):  # left behind by a killed session
        stale_broker = local_kafka.LocalKafka(stale, 0, 0)
        if stale_broker.pid() is None:
            shutil.rmtree(stale, ignore_errors=True)
    port, controller_port = local_kafka.free_loopback_port(), local_kafka.free_loopback_port()
    broker = local_kafka.LocalKafka(homes / f"session-{os.getpid()}", port, controller_port)
    try:
        broker.start(wait=120)
    except local_kafka.LocalKafkaError as exc:
        pytest.fail(f"the test broker did not start: {exc}", pytrace=False)
    yield broker
    broker.reset()


@pytest.fixture
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """Bootstrap address: the session's 3-node cluster for tests marked ``cluster``; else an
    external cluster (``KAFKA_BOOTSTRAP_SERVERS``) or the session's own broker."""
    if request.node.get_closest_marker("cluster") is not None:
        return str(request.getfixturevalue("local_cluster").bootstrap)
    broker = request.getfixturevalue("local_broker")
    if broker is None:
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    return str(broker.bootstrap)


@pytest.fixture
def kafka_settings(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> KafkaSettings:
    """Settings pointing at the test broker (also exported for subprocesses)."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    return KafkaSettings()


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[Any]:
    """A 3-node KRaft cluster (``deploy/kafka/local_cluster.py``) for the session, started on
    first use, data under ``var/test-kafka/cluster-<pid>`` (deleted afterwards). Tests marked
    ``cluster`` get it as ``kafka_bootstrap``, and topics replicated 3 times."""
    import local_cluster as cluster_module

    homes = ROOT / "var" / "test-kafka"
    for stale in homes.glob("cluster-*"):  # left behind by a killed session
        if not any(local_kafka.LocalKafka(node, 0, 0).pid() for node in stale.glob("node-*")):
            shutil.rmtree(stale, ignore_errors=True)
    cluster = cluster_module.LocalCluster(homes / f"cluster-{os.getpid()}", brokers=3)
    try:
        cluster.start(wait=180)
    except local_kafka.LocalKafkaError as exc:
        cluster.reset()
        pytest.fail(f"the test cluster did not start: {exc}", pytrace=False)
    yield cluster
    cluster.reset()


@pytest.fixture
def topic_replication(request: pytest.FixtureRequest) -> int:
    """Replication factor of the test topics: 3 on the cluster (``min.insync.replicas`` 2),
    1 on the single broker."""
    return 3 if request.node.get_closest_marker("cluster") is not None else 1


@pytest.fixture
def topic_names(
    kafka_settings: KafkaSettings, monkeypatch: pytest.MonkeyPatch, topic_replication: int
) -> Iterator[TopicNames]:
    """Every pipeline topic under a prefix unique to this test, created with 4 partitions
    (``min.insync.replicas`` 2 when replicated)."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("ERA_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("ERA_TOPIC_REPLICATION_FACTOR", str(topic_replication))
    names = TopicNames(prefix)
    config = admin_config(kafka_settings)
    ensure_topics(
        config,
        names.all(),
        partitions=4,
        replication_factor=topic_replication,
        configs=names.configs(),
    )
    yield names
    delete_topics(config, names.all())


@pytest.fixture
def group_id() -> str:
    """A consumer group name unique to this test."""
    return f"g{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_adjustment() -> Callable[..., dict[str, Any]]:
    """Factory of valid Adjustment dicts; keyword arguments override fields."""

    def make(**overrides: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "event_id": uuid.uuid4().hex,
            "file": "sample.835",
            "implementation": "005010X221A1",
            "interchange": "000000001",
            "functional_group": "1",
            "transaction": "0001",
            "segment_no": 21,
            "payer_name": "DELTA DENTAL",
            "payer_id": "94-1234567",
            "payee_name": "SMILE DENTAL GROUP",
            "payee_npi": "1234567893",
            "trace": "TRACE123",
            "remit_date": "2026-11-02",
            "claim_id": "CLM-1",
            "claim_status": "1",
            "claim_charge": "250.00",
            "claim_paid": "180.00",
            "patient_responsibility": "20.00",
            "claim_filing_indicator": "12",
            "payer_claim_id": "PCN-1",
            "patient_name": "DOE, JANE",
            "member_id": "M123",
            "level": "line",
            "line": 1,
            "procedure": "AD:D2740",
            "modifiers": [],
            "units": "1",
            "line_charge": "250.00",
            "line_paid": "180.00",
            "allowed_amount": "200.00",
            "service_date": "2026-10-01",
            "group_code": "CO",
            "carc": "45",
            "amount": "50.00",
            "quantity": None,
            "rarcs": ["N130"],
            "plb_reference": None,
            "reversal": False,
            "balance_error": None,
            "ingested_at": None,
            "crossover_carrier": None,
            "estimated_payment": None,
            "line_control_number": "P345631",
            "submitted_procedure": None,
            "payee_tin": "811902608",
            "claim_event_id": "c" * 32,
            "remittance_event_id": "r" * 32,
        }
        record.update(overrides)
        return record

    return make


@pytest.fixture
def era_env(tmp_path: Path) -> dict[str, str]:
    """Environment for ``era`` subprocesses: the test's broker and topics (set by the
    ``kafka_settings``/``topic_names`` fixtures), fast polling and no metrics port."""
    env = dict(os.environ)
    env.update(
        {
            "ERA_INGEST_STABLE_SECONDS": "0.3",
            "ERA_INGEST_POLL_SECONDS": "0.2",
            "ERA_INGEST_METRICS_PORT": "0",
            "ERA_CLASSIFIER_METRICS_PORT": "0",
            "ERA_ROUTER_METRICS_PORT": "0",
            "ERA_LOG_LEVEL": "INFO",
        }
    )
    return env


@pytest.fixture
def start_worker(era_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    """Start ``era worker SERVICE`` subprocesses (``env``: extra variables for this one); all
    are stopped (SIGKILL if need be) after."""
    import signal
    import subprocess

    started: list[subprocess.Popen[bytes]] = []

    def start(service: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{service}-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            era_command("worker", service),
            env={**era_env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
