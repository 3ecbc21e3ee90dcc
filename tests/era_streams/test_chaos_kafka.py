"""Chaos: kill -9 the workers again and again and restart the broker while a load flows; every
adjustment must still reach exactly one route topic exactly once, as `era explain` predicts, and
every claim and check (transaction set) must be on era.claims and era.remittances exactly once.

Size from the environment: ``ERA_CHAOS_ADJUSTMENTS`` (default 10,000) and ``ERA_CHAOS_KILLS``
(kills per worker kind, default 2). `make chaos` runs 100,000 adjustments with 5 kills each.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from era_contract.topics import TopicNames
from era_ingest.synth import generate
from era_ingest.x12 import ParsedTransaction, parse_path
from era_kafka.config import KafkaSettings
from era_testing import committed_count, era_command, read_records

ADJUSTMENTS = int(os.environ.get("ERA_CHAOS_ADJUSTMENTS", "10000"))
KILLS = int(os.environ.get("ERA_CHAOS_KILLS", "2"))
DEADLINE_SECONDS = 60 + ADJUSTMENTS / 100  # bounded: 160 s for 10k, 1,060 s for 100k

pytestmark = [pytest.mark.integration, pytest.mark.timeout(DEADLINE_SECONDS + 300)]


def _expected(paths: list[Path], env: dict[str, str]) -> dict[str, tuple[str, Decimal]]:
    result = subprocess.run(
        era_command("explain", "--format", "jsonl", *map(str, paths)),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    rows = (json.loads(line) for line in result.stdout.splitlines())
    return {row["event_id"]: (row["route"], Decimal(row["amount"])) for row in rows}


def _expected_claims(paths: list[Path]) -> tuple[set[str], set[str]]:
    """Event ids of the claims and of the remittances the parser gives for ``paths``."""
    claims: set[str] = set()
    remittances: set[str] = set()
    for path in paths:
        for item in parse_path(path):
            if isinstance(item, ParsedTransaction):
                claims.update(str(c["event_id"]) for c in item.claims)
                remittance = item.remittance
                assert remittance is not None
                remittances.add(str(remittance["event_id"]))
    return claims, remittances


def _lost_and_doubled(expected: set[str], seen: Counter[str]) -> tuple[int, int]:
    return len(expected - set(seen)), sum(count - 1 for count in seen.values() if count > 1)


class Pool:
    """One kind of worker, kept at one live process; kill -9 on demand, restart what died."""

    def __init__(self, service: str, start: Any) -> None:
        self.service = service
        self.start = start
        self.process = start(service)
        self.kills = 0
        self.crashes = 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.kills += 1
        self.process = self.start(self.service)

    def supervise(self) -> None:
        if self.process.poll() is not None:  # died on its own (e.g. fenced): restart it
            self.crashes += 1
            self.process = self.start(self.service)


def test_chaos_kills_and_a_broker_restart_lose_and_double_nothing(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    local_broker: Any,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    rng = random.Random(7)
    files = []
    for part in range(4):
        path = tmp_path / f"chaos-{part}.835"
        with path.open("wb") as out:
            generate(out, seed=1000 + part, target_adjustments=ADJUSTMENTS // 4)
        files.append(path)
    expected = _expected(files, era_env)
    assert len(expected) >= ADJUSTMENTS * 0.95
    # the generated claims include predeterminations and forwarded / not-our claims (principle 0)
    assert {route for route, _ in expected.values()} >= {"predeterminations", "cob_rebill"}
    expected_claims, expected_remittances = _expected_claims(files)

    era_env["ERA_WORKER_SESSION_TIMEOUT_SECONDS"] = "6"
    pools = [Pool("classifier", start_worker), Pool("router", start_worker)]
    ingest_log = tmp_path / "ingest.log"
    ingest = subprocess.Popen(
        era_command("ingest", *map(str, files)),
        env=era_env,
        stdout=ingest_log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    plan = ["classifier", "router"] * KILLS
    rng.shuffle(plan)
    broker_restart_at = 0  # early: ingest, classifier and router are all mid-transaction
    broker_restarts = 0
    mid_flow: Counter[str] = Counter()
    route_topics = list(topic_names.routes.values())
    for step, service in enumerate(plan):
        time.sleep(rng.uniform(1.0, 3.0))
        if step == broker_restart_at and local_broker is not None:
            local_broker.stop()
            local_broker.start(wait=120)
            broker_restarts += 1
        for pool in pools:
            pool.supervise()
        if committed_count(kafka_settings, route_topics) < len(expected):
            mid_flow[service] += 1  # the load was still flowing when this kill landed
        next(pool for pool in pools if pool.service == service).kill()
    assert ingest.wait(600) == 0, ingest_log.read_text()[-3000:]

    deadline = started + DEADLINE_SECONDS
    seen: Counter[str] = Counter()
    routes: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        for pool in pools:
            pool.supervise()
        records = [
            r
            for topic in topic_names.routes.values()
            for r in read_records(kafka_settings, topic, idle=1.0)
        ]
        seen = Counter(r["event_id"] for r in records)
        if len(seen) >= len(expected):
            break
        time.sleep(3)
    routes = {r["event_id"]: r["route"] for r in records}

    ingest_retries = len(re.findall(r"attempt \d+ of \d+ in", ingest_log.read_text()))
    lost = len(set(expected) - set(seen))
    doubled = sum(count - 1 for count in seen.values() if count > 1)
    dead = read_records(kafka_settings, topic_names.deadletter, idle=1.0)
    claims = Counter(c["event_id"] for c in read_records(kafka_settings, topic_names.claims))
    checks = Counter(r["event_id"] for r in read_records(kafka_settings, topic_names.remittances))
    claims_lost, claims_doubled = _lost_and_doubled(expected_claims, claims)
    checks_lost, checks_doubled = _lost_and_doubled(expected_remittances, checks)
    minutes = (time.monotonic() - started) / 60
    print(
        f"\nchaos: events={len(expected)} kills="
        f"{ {p.service: p.kills for p in pools} } crashes={ {p.service: p.crashes for p in pools} }"
        f" broker_restarts={broker_restarts} lost={lost} duplicated={doubled}"
        f" dead_letters={len(dead)} minutes={minutes:.1f} kills_mid_flow={dict(mid_flow)}"
        f" ingest_retries={ingest_retries} claims={len(expected_claims)}"
        f" claims_lost={claims_lost} claims_duplicated={claims_doubled}"
        f" remittances={len(expected_remittances)} remittances_lost={checks_lost}"
        f" remittances_duplicated={checks_doubled}"
    )
    assert lost == 0
    assert doubled == 0
    assert (claims_lost, claims_doubled, checks_lost, checks_doubled) == (0, 0, 0, 0)
    assert set(claims) == expected_claims and set(checks) == expected_remittances
    assert dead == []
    assert all(p.kills == KILLS for p in pools)
    assert mid_flow["classifier"] >= 1 and mid_flow["router"] >= 1, "kills landed after the load"
    assert routes == {event: route for event, (route, _) in expected.items()}
    per_route: dict[str, Decimal] = {}
    for record in records:
        per_route[record["route"]] = per_route.get(record["route"], Decimal(0)) + Decimal(
            record["amount"]
        )
    predicted: dict[str, Decimal] = {}
    for route, amount in expected.values():
        predicted[route] = predicted.get(route, Decimal(0)) + amount
    assert per_route == predicted
