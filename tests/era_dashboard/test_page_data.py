"""The page's data from real metrics classes' output: routes, rates, lag, denials, no PHI."""

from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from era_classifier.metrics import ClassifierMetrics
from era_dashboard.history import History
from era_dashboard.page_data import Health, build_page_data, file_row
from era_dashboard.samples import Sample, parse_exposition
from era_ingest.metrics import IngestMetrics
from era_ingest.records import Tally
from era_router.metrics import RouterMetrics
from era_streams.metrics import StreamMetrics

pytestmark = pytest.mark.unit


def exposition(registry: CollectorRegistry) -> list[Sample]:
    return parse_exposition(generate_latest(registry).decode())


def pipeline_samples(routed: int = 3) -> list[Sample]:
    """What the three services' /metrics say after a small run."""
    ingest_registry, router_registry, classifier_registry = (CollectorRegistry() for _ in "abc")
    ingest = IngestMetrics(ingest_registry)
    tally = Tally()
    tally.adjustments[("87726", "line")] = routed
    tally.claims[("87726", "paid")] = 9
    tally.claims[("87726", "denied")] = 1
    tally.claims[("999", "paid")] = 1
    tally.claims[("999", "denied")] = 1
    tally.claims[("555", "reversal")] = 4
    tally.dead_letters["rejected_transaction"] = 2
    ingest.record_file("accepted", tally, 0.2, now=1_700_000_000)
    ingest.files.labels("rejected").inc()
    ingest.transactions_rejected.inc(2)
    router = RouterMetrics(router_registry)
    router.count_routed("writeoff", "positive", 100.25)
    router.count_routed("writeoff", "negative", 20.00)
    for _ in range(routed - 1):
        router.count_routed("predeterminations", "positive", 1.5)
    StreamMetrics(router_registry, "era-router").set_lag({("era.adjustments.classified", 0): 7})
    classifier = ClassifierMetrics(classifier_registry)
    classifier.count("contractual", "write_off", "87726", "CO", "45", unknown=False)
    StreamMetrics(classifier_registry, "era-classifier").set_lag(
        {("era.adjustments", 0): 3, ("era.adjustments", 1): 2}
    )
    return [
        *exposition(ingest_registry),
        *exposition(router_registry),
        *exposition(classifier_registry),
    ]


def build(samples: list[Sample], history: History | None = None, **kw: object) -> dict[str, object]:
    return build_page_data(
        samples,
        history or History(600),
        [
            Health("ingest", True, 200, 200),
            Health("router", True, 200, 503),
            Health("classifier", False),
        ],
        kw.pop("recent", []),  # type: ignore[arg-type]
        now=1_700_000_100.0,
        source="services",
        refresh_seconds=2.0,
    )


def test_routes_carry_every_route_the_metrics_have_with_net_dollars() -> None:
    data = build(pipeline_samples(routed=3))
    assert data["routes"] == [
        {"route": "predeterminations", "events": 2, "dollars": 3.0},
        {"route": "writeoff", "events": 2, "dollars": 80.25},
    ]


def test_denial_rate_per_payer_counts_paid_and_denied_claims_only() -> None:
    denials = build(pipeline_samples())["denials"]
    assert denials == {
        "threshold": 0.08,
        "payers": [
            {"payer": "999", "paid": 1, "denied": 1, "rate": 0.5, "above": True},
            {"payer": "87726", "paid": 9, "denied": 1, "rate": 0.1, "above": True},
        ],
        "locations": [],
    }


def test_denial_rate_below_the_line_and_per_location_when_the_metric_has_one() -> None:
    samples = [
        Sample(
            "era_ingest_claims_total",
            (("location", "north"), ("outcome", "paid"), ("payer", "1")),
            99,
        ),
        Sample(
            "era_ingest_claims_total",
            (("location", "north"), ("outcome", "denied"), ("payer", "1")),
            1,
        ),
        Sample(
            "era_ingest_claims_total",
            (("location", "south"), ("outcome", "denied"), ("payer", "1")),
            1,
        ),
    ]
    denials = build(samples)["denials"]
    assert denials["payers"] == [
        {"payer": "1", "paid": 99, "denied": 2, "rate": 0.0198, "above": False}
    ]
    assert [(r["location"], r["above"]) for r in denials["locations"]] == [
        ("south", True),
        ("north", False),
    ]


def test_denial_rate_per_location_from_the_denial_definition_s_counters() -> None:
    samples = [
        Sample("era_ingest_claims_adjudicated_total", (("location", "North"), ("payer", "1")), 40),
        Sample("era_ingest_claims_adjudicated_total", (("location", "North"), ("payer", "2")), 10),
        Sample(
            "era_ingest_claims_denied_total",
            (("location", "North"), ("payer", "1"), ("upstream_cause", "coding")),
            3,
        ),
        Sample(
            "era_ingest_claims_denied_total",
            (("location", "North"), ("payer", "2"), ("upstream_cause", "none")),
            2,
        ),
        Sample("era_ingest_claims_adjudicated_total", (("location", "South"), ("payer", "1")), 20),
    ]
    assert build(samples)["denials"]["locations"] == [
        {"location": "North", "paid": 45, "denied": 5, "rate": 0.1, "above": True},
        {"location": "South", "paid": 20, "denied": 0, "rate": 0.0, "above": False},
    ]


def test_ingest_files_dead_letters_lag_and_health() -> None:
    data = build(pipeline_samples())
    assert data["ingest"]["files"] == {"accepted": 1, "rejected": 1}
    assert data["ingest"]["transaction_sets_rejected"] == 2
    assert data["ingest"]["last_file_at"] == 1_700_000_000
    assert data["dead_letters"] == [
        {"service": "ingest", "reason": "rejected_transaction", "records": 2}
    ]
    assert data["lag"]["now"] == [
        {"group": "era-classifier", "topic": "era.adjustments", "records": 5},
        {"group": "era-router", "topic": "era.adjustments.classified", "records": 7},
    ]
    assert [(h["service"], h["state"]) for h in data["health"]] == [
        ("ingest", "ready"),
        ("router", "not ready"),
        ("classifier", "down"),
    ]


def test_ingest_warnings_by_kind_when_ingest_exports_them() -> None:
    samples = [
        Sample("era_ingest_warnings_total", (("kind", "balance"),), 3),
        Sample("era_ingest_warnings_total", (("kind", "envelope"),), 1),
    ]
    assert build(samples)["ingest"]["warnings"] == {"balance": 3, "envelope": 1}
    assert build([])["ingest"]["warnings"] == {}


def test_stage_rates_come_from_the_history() -> None:
    history = History(600)
    history.add(1_700_000_000.0, pipeline_samples(routed=3))
    history.add(1_700_000_002.0, pipeline_samples(routed=7))
    stages = build(pipeline_samples(routed=7), history)["stages"]
    assert stages["ingest"] == {"total": 7, "rate": 2.0, "series": [[1_700_000_002.0, 2.0]]}
    assert stages["router"]["rate"] == 2.0
    assert stages["classifier"]["rate"] == 0.0


def test_no_patient_data_reaches_the_page() -> None:
    """Only whitelisted labels are read, and report problem texts never pass."""
    samples = [
        *pipeline_samples(),
        Sample(
            "era_router_events_routed_total", (("patient", "DOE, JANE"), ("route", "review")), 1
        ),
        Sample("era_ingest_made_up_total", (("member_id", "M123"),), 1),
    ]
    report = {
        "file": "payer-batch-17.835",
        "outcome": "partial",
        "adjustments": 12,
        "transactions_rejected": 1,
        "problems": [
            "error: payer-batch-17.835:44: NM1*QC*1*DOE*JANE****MI*M123: bad element",
            "warning: payer-batch-17.835:50: claim CLM-1 does not balance",
        ],
    }
    data = build(samples, recent=[file_row(report, 1_700_000_050.0)])
    page = json.dumps(data)
    assert "DOE" not in page and "M123" not in page and "CLM-1" not in page
    assert data["ingest"]["recent_files"] == [
        {
            "file": "payer-batch-17.835",
            "outcome": "partial",
            "adjustments": 12,
            "transaction_sets_rejected": 1,
            "warnings": 1,
            "warning_kinds": {},
            "errors": 1,
            "at": 1_700_000_050.0,
        }
    ]


def test_file_row_takes_the_reports_counts_by_kind() -> None:
    report = {
        "file": "a.835",
        "outcome": "accepted",
        "problems": ["warning: a.835:3: x", "warning: a.835:9: y", "warning: a.835:12: z"],
        "warnings": {"padding": 1, "balance": 2, "date": 0},
        "errors": 0,
    }
    row = file_row(report, 5.0)
    assert (row["warnings"], row["warning_kinds"], row["errors"]) == (
        3,
        {"balance": 2, "padding": 1},
        0,
    )


@pytest.mark.parametrize(
    ("health", "state"),
    [
        (Health("x", True, 200, 200), "ready"),
        (Health("x", True, 200, 503), "not ready"),
        (Health("x", False, 200, None), "not ready"),
        (Health("x", True), "up"),
        (Health("x", False), "down"),
    ],
)
def test_health_states(health: Health, state: str) -> None:
    assert health.state() == state
