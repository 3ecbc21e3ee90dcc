"""Samples from the text format and from a Prometheus query answer."""

from __future__ import annotations

import pytest

from era_dashboard.samples import Sample, parse_exposition, parse_prometheus_vector, sum_by, total

pytestmark = pytest.mark.unit

TEXT = """# HELP era_router_events_routed_total Adjustments routed, by route.
# TYPE era_router_events_routed_total counter
era_router_events_routed_total{route="writeoff"} 3.0
era_router_events_routed_total{route="review"} 2.0
# HELP era_router_events_routed_created Adjustments routed, by route.
# TYPE era_router_events_routed_created gauge
era_router_events_routed_created{route="writeoff"} 1.7e+09
"""


def test_text_format_without_created_timestamps() -> None:
    samples = parse_exposition(TEXT)
    assert samples == [
        Sample("era_router_events_routed_total", (("route", "writeoff"),), 3.0),
        Sample("era_router_events_routed_total", (("route", "review"),), 2.0),
    ]
    assert sum_by(samples, "era_router_events_routed_total", ("route",)) == {
        ("writeoff",): 3.0,
        ("review",): 2.0,
    }
    assert total(samples, "era_router_events_routed_total", route="review") == 2.0
    assert total(samples, "nothing_total") == 0.0


def test_prometheus_vector_sums_over_instances() -> None:
    body = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {
                        "__name__": "era_router_events_routed_total",
                        "route": "review",
                        "instance": "a:1",
                        "job": "era-router",
                    },
                    "value": [1, "2"],
                },
                {
                    "metric": {
                        "__name__": "era_router_events_routed_total",
                        "route": "review",
                        "instance": "b:1",
                        "job": "era-router",
                    },
                    "value": [1, "5"],
                },
                {
                    "metric": {"__name__": "era_router_events_routed_created", "route": "review"},
                    "value": [1, "1.7e9"],
                },
            ],
        },
    }
    samples = parse_prometheus_vector(body)
    assert len(samples) == 2
    assert total(samples, "era_router_events_routed_total") == 7.0


def test_a_failed_or_odd_prometheus_answer_is_an_error() -> None:
    with pytest.raises(ValueError, match="bad_data"):
        parse_prometheus_vector({"status": "error", "error": "bad_data"})
    with pytest.raises(ValueError, match="matrix"):
        parse_prometheus_vector({"status": "success", "data": {"resultType": "matrix"}})
