"""One poll of the services or of a Prometheus, and the inbox's reports, with canned answers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from era_dashboard.collector import Collector, recent_reports
from era_dashboard.settings import DashboardSettings

pytestmark = pytest.mark.unit

ROUTER_TEXT = b"""# TYPE era_router_events_routed_total counter
era_router_events_routed_total{route="writeoff"} 4.0
era_router_events_routed_total{route="predeterminations"} 1.0
"""


def settings(tmp_path: Path, **overrides: object) -> DashboardSettings:
    return DashboardSettings(
        ingest_url="http://i:1",
        classifier_url="http://c:2",
        router_url="http://r:3",
        inbox=tmp_path,
        **overrides,  # type: ignore[arg-type]
    )


def test_poll_of_the_services(tmp_path: Path) -> None:
    answers = {
        "http://r:3/metrics": (200, ROUTER_TEXT),
        "http://r:3/healthz": (200, b""),
        "http://r:3/readyz": (200, b""),
        "http://i:1/metrics": (200, b""),
        "http://i:1/healthz": (200, b""),
        "http://i:1/readyz": (503, b""),
    }
    asked: list[str] = []

    def get(url: str, timeout: float) -> tuple[int | None, bytes]:
        asked.append(url)
        return answers.get(url, (None, b""))

    collector = Collector(settings(tmp_path), get=get, clock=lambda: 1000.0)
    data = collector.poll()
    assert [(h["service"], h["state"]) for h in data["health"]] == [
        ("ingest", "not ready"),
        ("classifier", "down"),
        ("router", "ready"),
    ]
    assert {r["route"]: r["events"] for r in data["routes"]} == {
        "writeoff": 4,
        "predeterminations": 1,
    }
    assert all(url.split("/")[2] in ("i:1", "c:2", "r:3") for url in asked)
    assert collector.latest() is data


def test_poll_of_a_prometheus(tmp_path: Path) -> None:
    def vector(*series: tuple[dict[str, str], str]) -> bytes:
        result = [{"metric": m, "value": [0, v]} for m, v in series]
        return json.dumps(
            {"status": "success", "data": {"resultType": "vector", "result": result}}
        ).encode()

    def get(url: str, timeout: float) -> tuple[int | None, bytes]:
        if url.startswith("http://prom:9090/api/v1/query_range?"):
            empty = {"status": "success", "data": {"resultType": "matrix", "result": []}}
            return 200, json.dumps(empty).encode()
        assert url.startswith("http://prom:9090/api/v1/query?query=")
        if "up" in url and "__name__" not in url:
            return 200, vector(
                ({"__name__": "up", "job": "era-router", "instance": "x:1"}, "1"),
                ({"__name__": "up", "job": "era", "instance": "i:1"}, "0"),
            )
        return 200, vector(({"__name__": "era_router_events_routed_total", "route": "review"}, "9"))

    data = Collector(settings(tmp_path, prometheus_url="http://prom:9090"), get=get).poll()
    assert data["source"] == "prometheus"
    assert data["routes"] == [{"route": "review", "events": 9, "dollars": 0.0}]
    assert [(h["service"], h["state"]) for h in data["health"]] == [
        ("ingest", "down"),
        ("classifier", "down"),
        ("router", "up"),
    ]


def test_the_charts_start_with_the_last_minutes_prometheus_kept(tmp_path: Path) -> None:
    asked: list[str] = []

    def get(url: str, timeout: float) -> tuple[int | None, bytes]:
        asked.append(url)
        if "/query_range?" in url:
            if "era_router_events_routed_total" in url:
                result = [{"metric": {}, "values": [[940, "10"], [960, "50"], [980, "90"]]}]
            elif "era_consumer_lag_records" in url:
                result = [{"metric": {"group": "era-router"}, "values": [[960, "4"], [980, "0"]]}]
            else:
                result = []
            answer = {"status": "success", "data": {"resultType": "matrix", "result": result}}
        else:
            answer = {"status": "success", "data": {"resultType": "vector", "result": []}}
        return 200, json.dumps(answer).encode()

    collector = Collector(
        settings(tmp_path, prometheus_url="http://prom:9090", history_seconds=60),
        get=get,
        clock=lambda: 1000.0,
    )
    data = collector.poll()
    assert data["stages"]["router"]["series"] == [[960.0, 2.0], [980.0, 2.0]]
    assert data["stages"]["ingest"]["series"] == []
    assert data["lag"]["series"] == {"era-router": [[960.0, 4.0], [980.0, 0.0]]}
    ranges = [url for url in asked if "/query_range?" in url]
    assert len(ranges) == 4 and all("start=940.0&end=998.0&step=2.0" in url for url in ranges)
    collector.poll()
    assert len([url for url in asked if "/query_range?" in url]) == 4  # once only


def test_an_unreachable_prometheus_shows_every_service_down(tmp_path: Path) -> None:
    data = Collector(
        settings(tmp_path, prometheus_url="http://prom:9090"), get=lambda url, t: (None, b"")
    ).poll()
    assert {h["state"] for h in data["health"]} == {"down"}
    assert data["routes"] == []


def test_recent_reports_newest_first_from_done_and_rejected(tmp_path: Path) -> None:
    for folder, name, when in (
        ("done", "a.835", 100),
        ("rejected", "b.835", 300),
        ("done", "c.835", 200),
    ):
        (tmp_path / folder).mkdir(exist_ok=True)
        path = tmp_path / folder / f"{name}.report.json"
        path.write_text(json.dumps({"file": name, "outcome": folder, "problems": []}))
        os.utime(path, (when, when))
    (tmp_path / "done" / "broken.835.report.json").write_text("{")
    os.utime(tmp_path / "done" / "broken.835.report.json", (50, 50))
    assert [r["file"] for r in recent_reports(tmp_path, 2)] == ["b.835", "c.835"]
    assert [r["file"] for r in recent_reports(tmp_path, 10)] == ["b.835", "c.835", "a.835"]
    assert recent_reports(tmp_path / "missing", 5) == []
