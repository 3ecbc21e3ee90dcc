"""Chaos: kill -9 the workers again and again and restart the broker while a load flows; every
adjustment must still reach exactly one route topic exactly once, as `era explain` predicts, and
every claim and check (transaction set) must be on era.claims and era.remittances exactly once.

Size from the environment: ``ERA_CHAOS_ADJUSTMENTS`` (default 10,000) and ``ERA_CHAOS_KILLS``
(kills per worker kind, default 2). `make chaos` runs 100,000 adjustments with 5 kills each.
"""

from __future__ import annotations

import os
import random
import re
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

ADJUSTMENTS = int(os.environ.get("ERA_CHAOS_ADJUSTMENTS", "10000"))
KILLS = int(os.environ.get("ERA_CHAOS_KILLS", "2"))
DEADLINE_SECONDS = 60 + ADJUSTMENTS / 100  # bounded: 160 s for 10k, 1,060 s for 100k

pytestmark = [pytest.mark.integration, pytest.mark.timeout(DEADLINE_SECONDS + 300)]


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
    files = generate_files(tmp_path, parts=4, adjustments=ADJUSTMENTS, seed=1000)
    expected = expected_routes(files, era_env)
    assert len(expected) >= ADJUSTMENTS * 0.95
    # the generated claims include predeterminations and forwarded / not-our claims (principle 0)
    assert {route for route, _ in expected.values()} >= {"predeterminations", "cob_rebill"}
    claims = expected_claims(files)

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

    def supervise() -> None:
        for pool in pools:
            pool.supervise()

    outcome = collect(
        kafka_settings,
        topic_names,
        expected,
        started + DEADLINE_SECONDS,
        supervise=supervise,
        claims=claims,
    )
    ingest_retries = len(re.findall(r"attempt \d+ of \d+ in", ingest_log.read_text()))
    minutes = (time.monotonic() - started) / 60
    print(
        f"\nchaos: {outcome.summary()} kills="
        f"{ {p.service: p.kills for p in pools} } crashes={ {p.service: p.crashes for p in pools} }"
        f" broker_restarts={broker_restarts} minutes={minutes:.1f}"
        f" kills_mid_flow={dict(mid_flow)} ingest_retries={ingest_retries}"
    )
    outcome.assert_exactly_once()
    assert all(p.kills == KILLS for p in pools)
    assert mid_flow["classifier"] >= 1 and mid_flow["router"] >= 1, "kills landed after the load"
