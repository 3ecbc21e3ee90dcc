"""A real Prometheus scrapes the running pipeline; PromQL must agree with the file's routes."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from local_kafka import free_loopback_port

from era_contract.topics import TopicNames
from era_ingest.synth import generate
from era_kafka.config import KafkaSettings
from era_testing import committed_count, era_command, wait_for

pytestmark = pytest.mark.integration

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"

ROUTED = "sum by (route) (era_router_events_routed_total)"
NET_DOLLARS = (
    'sum by (route) (era_router_dollars_routed_total{sign="positive"})'
    ' - (sum by (route) (era_router_dollars_routed_total{sign="negative"})'
    ' or sum by (route) (era_router_dollars_routed_total{sign="positive"}) * 0)'
)
FILES = "sum by (outcome) (era_ingest_files_processed_total)"
UP = 'sum(up{job="era"})'


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Any]:
    """Start Prometheus on a free loopback port; ``start(targets)`` returns its query URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(targets: list[str]) -> str:
        port = free_loopback_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: era\n    static_configs:\n"
            f"      - targets: {json.dumps(targets)}\n"
        )
        log = (tmp_path / "prometheus.log").open("wb")
        started.append(
            subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _get(f"{url}/-/ready") == 200, 30, "Prometheus to be ready")
        return url

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except OSError:
        return 0


def query(url: str, promql: str) -> dict[str, float]:
    """Instant query; label value of the single grouping label (or '') → value."""
    address = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    with urllib.request.urlopen(address, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return {
        next(iter(sample["metric"].values()), ""): float(sample["value"][1])
        for sample in body["data"]["result"]
    }


def test_prometheus_sees_exactly_the_routes_and_dollars_of_the_file(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    prometheus: Any,
    tmp_path: Path,
) -> None:
    ports = {name: free_loopback_port() for name in ("INGEST", "CLASSIFIER", "ROUTER")}
    for name, port in ports.items():
        era_env[f"ERA_{name}_METRICS_PORT"] = str(port)
    path = tmp_path / "load.835"
    with path.open("wb") as out:
        generate(out, seed=21, target_adjustments=3_000)
    explained = subprocess.run(
        era_command("explain", "--format", "jsonl", str(path)),
        env=era_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [json.loads(line) for line in explained.stdout.splitlines()]
    expected_counts = Counter(row["route"] for row in rows)
    expected_dollars: dict[str, Decimal] = {}
    for row in rows:
        expected_dollars[row["route"]] = expected_dollars.get(row["route"], Decimal(0)) + Decimal(
            row["amount"]
        )

    start_worker("classifier")
    start_worker("router")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ingest = subprocess.Popen(
        era_command("ingest", "--watch", str(inbox)),
        env=era_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = prometheus([f"127.0.0.1:{port}" for port in ports.values()])
        for port in ports.values():
            wait_for(
                lambda p=port: _get(f"http://127.0.0.1:{p}/readyz") == 200,
                60,
                f"readiness on {port}",
            )
        shutil.copy(path, inbox / path.name)
        wait_for(
            lambda: committed_count(kafka_settings, list(topic_names.routes.values())) >= len(rows),
            120,
            "every adjustment to be routed",
        )
        wait_for(  # the offsets above count transaction markers too: some may be in flight
            lambda: query(url, ROUTED) == {r: float(n) for r, n in expected_counts.items()},
            90,
            f"Prometheus to see {dict(expected_counts)}",
        )
        dollars = query(url, NET_DOLLARS)
        assert set(dollars) == set(expected_dollars)
        for route, amount in expected_dollars.items():
            assert dollars[route] == pytest.approx(float(amount), abs=0.005), route
        wait_for(  # a scrape that misses its 1 s timeout on a busy machine marks the target's
            # series stale until the next one: wait for a scrape that saw all three
            lambda: query(url, FILES) == {"accepted": 1.0} and query(url, UP) == {"": 3.0},
            30,
            "Prometheus to see ingest's file and all three targets up",
        )
        print(f"\n{ROUTED} -> {query(url, ROUTED)}\n{NET_DOLLARS} -> {dollars}")
    finally:
        ingest.send_signal(signal.SIGTERM)
        try:
            ingest.wait(20)
        except subprocess.TimeoutExpired:
            ingest.kill()
        time.sleep(0)


ADJUDICATED = "sum by (location) (era_ingest_claims_adjudicated_total)"
DENIED = "sum by (location) (era_ingest_claims_denied_total)"
RATE = f"{DENIED} / {ADJUDICATED}"


def test_prometheus_per_location_denial_rate_is_era_report_s(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    prometheus: Any,
    tmp_path: Path,
) -> None:
    """A generated multi-location file: the per-location denial rate Prometheus computes from
    ingest's metrics is the one `era report --by location` prints for the same file."""
    port = free_loopback_port()
    era_env["ERA_INGEST_METRICS_PORT"] = str(port)
    path = tmp_path / "locations.835"
    with path.open("wb") as out:
        generate(out, seed=17, target_adjustments=2_000, payees=5)

    def report(*extra: str) -> list[dict[str, Any]]:
        result = subprocess.run(
            era_command("report", "--by", "location", "--format", "jsonl", *extra, str(path)),
            env=era_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return [json.loads(line) for line in result.stdout.splitlines()]

    first = report()
    assert len(first) >= 3  # payees of the kind of the checks' payers
    mapping = tmp_path / "locations.csv"
    mapping.write_text(f"npi,name\n{first[0]['payee_npi']},Main Office\n", encoding="utf-8")
    era_env["ERA_INGEST_LOCATIONS"] = str(mapping)
    rows = report()  # the mapping from ERA_INGEST_LOCATIONS, as ingest reads it
    assert "Main Office" in {row["location"] for row in rows}
    assert any(row["denied_claims"] for row in rows)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ingest = subprocess.Popen(
        era_command("ingest", "--watch", str(inbox)),
        env=era_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = prometheus([f"127.0.0.1:{port}"])
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/readyz") == 200, 60, "ingest ready")
        shutil.copy(path, inbox / path.name)
        claims = {row["location"]: float(row["claims"]) for row in rows}
        wait_for(lambda: query(url, ADJUDICATED) == claims, 120, f"Prometheus to see {claims}")
        denied = {
            row["location"]: float(row["denied_claims"]) for row in rows if row["denied_claims"]
        }
        assert query(url, DENIED) == denied
        rates = query(url, RATE)
        assert set(rates) == set(denied)  # no denied series, no rate: such a row says 0
        for row in rows:
            rate = rates.get(row["location"], 0.0)
            assert rate == pytest.approx(row["denial_rate"], abs=5e-5), row["location"]
        print(f"\n{RATE} -> {rates}")
    finally:
        ingest.send_signal(signal.SIGTERM)
        try:
            ingest.wait(20)
        except subprocess.TimeoutExpired:
            ingest.kill()
