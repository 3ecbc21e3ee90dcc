"""The appeals-due gauges: appeal items by location whose appeal_deadline is within 7 days,
each event once, past deadlines dropped; fed by the router stage."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from era_analytics.locations import LocationLabels, LocationMap
from era_contract.codec import AvroCodec
from era_contract.schemas import CLASSIFIED_ADJUSTMENT
from era_contract.topics import TopicNames
from era_router.metrics import AppealsDue, RouterMetrics
from era_router.routing import Router
from era_router.stage import RouterStage
from era_testing import metric_samples

pytestmark = pytest.mark.unit

MAP = Path(__file__).resolve().parents[1] / "data" / "denials" / "locations.csv"


class Clock:
    def __init__(self, today: date) -> None:
        self.day = today

    def __call__(self) -> date:
        return self.day


def _due(registry: CollectorRegistry) -> dict[str, tuple[float, float]]:
    samples = metric_samples(registry)
    out: dict[str, tuple[float, float]] = {}
    for (name, labels), value in samples.items():
        if name in ("era_router_appeals_due_7d", "era_router_appeal_dollars_due_7d"):
            location = dict(labels)["location"]
            count, dollars = out.get(location, (0.0, 0.0))
            out[location] = (value, dollars) if name.endswith("appeals_due_7d") else (count, value)
    return out


def test_items_count_until_their_deadline_within_the_next_seven_days() -> None:
    registry = CollectorRegistry()
    metrics = RouterMetrics(registry)
    clock = Clock(date(2026, 3, 1))
    due = AppealsDue(metrics.appeals_due_count, metrics.appeals_due_dollars, today=clock)
    due.add("e1", "North", date(2026, 3, 5), 100.0)
    due.add("e1", "North", date(2026, 3, 5), 100.0)  # the same event again: a retried batch
    due.add("e2", "North", date(2026, 3, 8), 50.0)  # day 7: still within
    due.add("e3", "North", date(2026, 3, 9), 25.0)  # day 8: not yet
    due.add("e4", "South", date(2026, 2, 28), 10.0)  # already past: never kept
    assert _due(registry) == {"North": (2.0, 150.0)}
    clock.day = date(2026, 3, 2)
    assert _due(registry)["North"] == (3.0, 175.0)
    clock.day = date(2026, 3, 6)
    assert _due(registry)["North"] == (2.0, 75.0)
    clock.day = date(2026, 3, 10)
    assert _due(registry)["North"] == (0.0, 0.0)
    due.add("e1", "North", date(2026, 3, 12), 1.0)  # pruned ids may come back with a new date
    assert _due(registry)["North"] == (1.0, 1.0)


def test_the_stage_counts_appeals_by_location(make_adjustment: Any) -> None:
    from era_classifier.classification import Classifier
    from era_classifier.kb import load_knowledge_base

    registry = CollectorRegistry()
    codec = AvroCodec(CLASSIFIED_ADJUSTMENT)
    stage = RouterStage(
        Router(default_appeal_days=3),
        codec=codec,
        topics=TopicNames("x"),
        metrics=RouterMetrics(registry),
        locations=LocationLabels(LocationMap.load(MAP), 0),
    )
    today = date.today()
    classifier = Classifier(load_knowledge_base())
    for event, npi, carc in [
        ("a1", "1111111111", "16"),  # appeals (corrected claim)
        ("a2", "4444444444", "29"),  # appeals, an unmapped NPI over a cap of 0
        ("w1", "1111111111", "45"),  # writeoff: not an appeal
    ]:
        adjustment = make_adjustment(
            event_id=event,
            payee_npi=npi,
            carc=carc,
            amount="40.00",
            remit_date=(today - timedelta(days=1)).isoformat(),
        )
        record = {
            **adjustment,
            **classifier.classify(adjustment),
            "classified_at": 1,
            "appeal_deadline": None,
            "follow_up_by": None,
            "routed_at": None,
        }
        stage(None, codec.encode(record))
    assert _due(registry) == {"North Office": (1.0, 40.0), "other": (1.0, 40.0)}


def test_a_bad_mapping_file_stops_the_router_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from era_router.service import main

    mapping = tmp_path / "locations.csv"
    mapping.write_text("npi,name\n1111111111,North\n1111111111,South\n", encoding="utf-8")
    monkeypatch.setenv("ERA_ROUTER_LOCATIONS", str(mapping))
    assert main() == 2
    assert f"{mapping}:3: NPI 1111111111 is already mapped on line 2" in capsys.readouterr().err
