"""Chaos on a 3-node cluster: while adjustments flow through ingest, classifier and router,
brokers are killed with SIGKILL and restarted one at a time — the leader of a partition in use,
and the broker of a transaction coordinator in use (found by the admin API: topic metadata for
leaders, the ``__transaction_state`` partition of the transactional id for the coordinator) —
and workers are killed, added and removed. Every adjustment must reach the route `era explain`
predicts, exactly once, and every claim and remittance to its topic exactly once.

Size from the environment: ``ERA_CHAOS_CLUSTER_ADJUSTMENTS`` (default 5,000) and
``ERA_CHAOS_CLUSTER_ROUNDS`` (default 1; each round kills one leader's and one coordinator's
broker, kills two workers, adds one and removes one). `make chaos-cluster`: 100,000 and 3.
``ERA_CHAOS_CLUSTER_SEED`` (default 19) picks the pauses, the partitions and the workers hit, so
repeated runs can explore other interleavings.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from era_chaos import Pool, collect, expected_claims, expected_routes, generate_files
from era_contract.topics import TopicNames
from era_kafka.config import KafkaSettings
from era_testing import committed_count, era_command

ADJUSTMENTS = int(os.environ.get("ERA_CHAOS_CLUSTER_ADJUSTMENTS", "5000"))
ROUNDS = int(os.environ.get("ERA_CHAOS_CLUSTER_ROUNDS", "1"))
SEED = int(os.environ.get("ERA_CHAOS_CLUSTER_SEED", "19"))
# bounded: 330 s for the short form, ~37 min for 100k and 3 rounds
DEADLINE_SECONDS = 180 + ROUNDS * 100 + ADJUSTMENTS / 60

pytestmark = [
    pytest.mark.integration,
    pytest.mark.cluster,
    pytest.mark.timeout(DEADLINE_SECONDS + 600),
]

# One round; every step first drops the next file into ingest's inbox, so the load is flowing.
ROUND = (
    "kill-leader",
    "add-classifier",
    "kill-router",
    "kill-coordinator",
    "remove-classifier",
    "kill-classifier",
)


def test_broker_and_worker_kills_on_a_cluster_lose_and_double_nothing(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    local_cluster: Any,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    plan = list(ROUND) * ROUNDS
    files = generate_files(tmp_path / "load", len(plan) + 1, ADJUSTMENTS, seed=1900)
    expected = expected_routes(files, era_env)
    assert len(expected) >= ADJUSTMENTS * 0.95
    claims = expected_claims(files)

    prefix = topic_names.prefix
    ingest_id = f"{prefix}-ingest-chaos"
    era_env.update(
        {"ERA_WORKER_SESSION_TIMEOUT_SECONDS": "6", "ERA_INGEST_TRANSACTIONAL_ID": ingest_id}
    )
    pools = {
        service: Pool(service, start_worker, instance_ids=True, rng=rng)
        for service in ("classifier", "router")
    }
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ingest_log = (tmp_path / "ingest.log").open("ab")

    def start_ingest() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            era_command("ingest", "--watch", str(inbox)),
            env=era_env,
            stdout=ingest_log,
            stderr=subprocess.STDOUT,
        )

    ingest = start_ingest()
    ingest_crashes = 0

    def supervise() -> None:
        nonlocal ingest, ingest_crashes
        for pool in pools.values():
            pool.supervise()
        if ingest.poll() is not None:
            ingest_crashes += 1
            ingest = start_ingest()

    pending = list(files)
    route_topics = list(topic_names.routes.values())
    leader_topics = [topic_names.classified, topic_names.adjustments, *route_topics[:1]]
    broker_kills: Counter[str] = Counter()
    killed: list[str] = []  # what each broker kill hit, for the summary line
    mid_flow: Counter[str] = Counter()
    for step, action in enumerate(plan):
        round_no = step // len(ROUND)  # each round: another topic's leader, another coordinator
        (inbox / pending[0].name).hardlink_to(pending.pop(0))
        time.sleep(rng.uniform(1.0, 3.0))
        supervise()
        flowing = committed_count(kafka_settings, route_topics) < len(expected)
        if action in ("kill-leader", "kill-coordinator"):
            if action == "kill-leader":
                topic, partition = leader_topics[round_no % len(leader_topics)], rng.randrange(4)
                node = local_cluster.leader_of(topic, partition)
                killed.append(f"leader:{topic.removeprefix(prefix + '.')}[{partition}]@{node}")
            else:
                services = ["ingest", "classifier", "router"]
                service = services[round_no % len(services)]
                transactional_id = (
                    ingest_id
                    if service == "ingest"
                    else f"{prefix}-{service}-{rng.choice(pools[service].instances())}"
                )
                node = local_cluster.transaction_coordinator(transactional_id)
                killed.append(f"coordinator:{service}@{node}")
            local_cluster.kill_node(node)
            broker_kills[action.removeprefix("kill-")] += 1
            mid_flow["broker"] += flowing
            time.sleep(rng.uniform(3.0, 8.0))  # the load goes on with one broker down
            supervise()
            local_cluster.start_node(node, wait=180)
            local_cluster.wait_in_sync(180)  # one at a time: all replicas back before the next
        else:
            verb, service = action.split("-")
            getattr(pools[service], verb)()
            mid_flow["worker"] += flowing
    for path in pending:
        (inbox / path.name).hardlink_to(path)

    outcome = collect(
        kafka_settings,
        topic_names,
        expected,
        started + DEADLINE_SECONDS,
        supervise=supervise,
        claims=claims,
    )
    ingest.terminate()
    ingest.wait(60)
    minutes = (time.monotonic() - started) / 60
    for log in sorted(tmp_path.glob("*.log")):  # why a worker died by itself, if one did
        for line in log.read_text(errors="replace").splitlines():
            if "stopped on a fatal error" in line:
                print(f"\n{log.name}: {line[:400]}")
    worker_kills = sum(pool.kills for pool in pools.values())
    print(
        f"\nchaos-cluster: {outcome.summary()} broker_kills={sum(broker_kills.values())}"
        f" ({dict(broker_kills)}) worker_kills={worker_kills}"
        f" workers_added={sum(p.added for p in pools.values())}"
        f" workers_removed={sum(p.removed for p in pools.values())}"
        f" crashes={ {s: p.crashes for s, p in pools.items()} } ingest_crashes={ingest_crashes}"
        f" kills_mid_flow={dict(mid_flow)} killed={','.join(killed)} seed={SEED}"
        f" minutes={minutes:.1f}"
    )
    outcome.assert_exactly_once()
    assert broker_kills == {"leader": ROUNDS, "coordinator": ROUNDS}
    assert worker_kills == 2 * ROUNDS
    assert mid_flow["broker"] == 2 * ROUNDS, "a broker kill landed after the load"
