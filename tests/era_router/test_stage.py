"""The router stage without a broker: one output on the route's topic, counted."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_contract.codec import AvroCodec
from era_contract.schemas import CLASSIFIED_ADJUSTMENT
from era_contract.topics import TopicNames
from era_router.metrics import RouterMetrics
from era_router.routing import Router
from era_router.stage import RouterStage

pytestmark = pytest.mark.unit

CODEC = AvroCodec(CLASSIFIED_ADJUSTMENT)
CLASSIFIER = Classifier(load_knowledge_base())


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def stage(registry: CollectorRegistry) -> RouterStage:
    return RouterStage(
        Router(),
        codec=CODEC,
        topics=TopicNames("x"),
        metrics=RouterMetrics(registry),
        clock_ms=lambda: 1_795_000_000_500,
    )


def classified(make_adjustment: Any, **overrides: Any) -> dict[str, Any]:
    adjustment = make_adjustment(ingested_at=1_795_000_000_000, **overrides)
    return {
        **adjustment,
        **CLASSIFIER.classify(adjustment),
        "classified_at": 1,
        "appeal_deadline": None,
        "follow_up_by": None,
        "routed_at": None,
    }


@pytest.mark.parametrize(
    ("group", "carc", "topic"),
    [
        ("CO", "45", "x.route.writeoff"),
        ("PR", "1", "x.route.patient-statements"),
        ("CO", "22", "x.route.cob-rebill"),
        ("CO", "29", "x.route.appeals"),
        ("OA", "209", "x.route.cob-rebill"),
        ("CO", "18", "x.route.review"),
    ],
)
def test_each_adjustment_goes_to_its_route_topic(
    stage: RouterStage, make_adjustment: Any, group: str, carc: str, topic: str
) -> None:
    record = classified(make_adjustment, group_code=group, carc=carc)
    [(out_topic, value)] = stage(b"k", CODEC.encode(record))
    routed = CODEC.decode(value)
    assert out_topic == topic
    assert routed["routed_at"] == 1_795_000_000_500
    assert topic.endswith(routed["route"].replace("_", "-"))


def test_appeals_carry_a_deadline_and_metrics_count_route_dollars_and_latency(
    stage: RouterStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    record = classified(
        make_adjustment,
        group_code="CO",
        carc="29",
        amount="-80.25",
        remit_date="2026-11-02",
        reversal=True,
        claim_status="22",
    )
    routed = CODEC.decode(stage(b"k", CODEC.encode(record))[0][1])
    assert routed["appeal_deadline"] == "2027-01-31"
    sample = registry.get_sample_value
    assert sample("era_router_events_routed_total", {"route": "appeals"}) == 1
    assert (
        sample("era_router_dollars_routed_total", {"route": "appeals", "sign": "negative"}) == 80.25
    )
    assert sample("era_pipeline_latency_seconds_count") == 1
    assert sample("era_pipeline_latency_seconds_sum") == pytest.approx(0.5)


def test_a_co_amount_sent_to_the_patient_is_blocked_and_counted(
    stage: RouterStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    record = classified(make_adjustment, group_code="CO", carc="45")
    record.update(route="patient_statements", patient_billable=True)  # a buggy upstream
    [(topic, value)] = stage(b"k", CODEC.encode(record))
    assert topic == "x.route.review"
    assert "co_patient_blocked" in CODEC.decode(value)["flags"]
    assert registry.get_sample_value("era_router_co_patient_blocks_total") == 1
