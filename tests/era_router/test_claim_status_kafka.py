"""On a real broker: a file mixing every claim status and forwarding signal goes ingest →
classifier → router, and each adjustment ends on the topic ROUTING.md names, exactly once."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from era_claim_status import EXPECTED, MIX
from era_contract.topics import TopicNames
from era_kafka.config import KafkaSettings
from era_testing import committed_count, routed_records, run_era, wait_for

pytestmark = pytest.mark.integration


def test_a_mixed_claim_status_file_reaches_the_right_topics_exactly_once(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
) -> None:
    start_worker("classifier")
    start_worker("router")
    result = run_era("ingest", str(MIX), env=era_env, timeout=180)
    assert result.returncode == 0, result.stderr
    route_topics = list(topic_names.routes.values())
    wait_for(
        lambda: committed_count(kafka_settings, route_topics) >= len(EXPECTED),
        120,
        "every adjustment to be routed",
    )
    by_route = routed_records(kafka_settings, topic_names)
    deadline = time.monotonic() + 60  # the offsets count transaction markers too
    while sum(map(len, by_route.values())) < len(EXPECTED) and time.monotonic() < deadline:
        by_route = routed_records(kafka_settings, topic_names)
    seen: Counter[tuple[str, int | None, str, str]] = Counter()
    got = {}
    for route, records in by_route.items():
        for record in records:
            key = (record["claim_id"], record["line"], record["group_code"], record["carc"])
            seen[key] += 1
            got[key] = (route, record["action"], record["rule_id"])
            assert record["route"] == route
    assert max(seen.values()) == 1, "an adjustment reached a route topic twice"
    assert got == EXPECTED
    estimates = by_route["predeterminations"]
    assert {r["estimated_payment"] for r in estimates} == {"425", "125"}
    assert {(r["claim_reading"], r["patient_billable"]) for r in estimates} == {
        ("predetermination", False)
    }
    waiting = [r for r in by_route["cob_rebill"] if r["action"] == "await_next_payer"]
    assert sorted(r["forwarded_by"][0] for r in waiting) == ["CLP02=19", "MA18", "NM1*TT"]
    assert {r["follow_up_by"] for r in waiting} == {"2026-04-01"}  # 2026-03-02 + 30 days
