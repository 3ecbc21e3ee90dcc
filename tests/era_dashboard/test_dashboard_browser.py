"""The live page in a real browser: the pipeline runs, sample files drop in, and the route counts
Chromium shows are those `era report` reads back from Kafka.

Needs Debian's Chromium (``make chromium`` installs it; ``ERA_CHROMIUM`` names another binary);
without it the test fails: a missing browser is a broken setup, not a reason to skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from local_kafka import free_loopback_port

from era_contract.topics import TopicNames
from era_kafka.config import KafkaSettings
from era_testing import era_command, run_era, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "era-samples"
ARTIFACTS = ROOT / "var" / "test-artifacts"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
CHROMIUM = os.environ.get("ERA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Debian's Chromium as root on a closed network: no sandbox, no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPORT_LINE = re.compile(r"^(\S+)\s+(\S+)\s+(\d+)\s+(-?[\d.]+)")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except OSError:
        return 0


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    """``spawn(name, argv, env)`` starts a process logging to tmp_path/name.log; all are
    stopped after the test, the last started first."""
    started: list[tuple[subprocess.Popen[bytes], Any]] = []

    def start(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        return process

    yield start
    for process, log in reversed(started):
        _stop(process)
        log.close()


def start_prometheus(spawn: Any, tmp_path: Path, ports: dict[str, int]) -> str:
    """A real Prometheus scraping the three services every second; returns its URL."""
    port = free_loopback_port()
    config = tmp_path / "prometheus.yml"
    jobs = "".join(
        f"  - job_name: era-{name.lower()}\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{target}']\n"
        for name, target in ports.items()
    )
    config.write_text(f"global:\n  scrape_interval: 1s\nscrape_configs:\n{jobs}")
    argv = [
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    spawn("prometheus", argv, dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _status(f"{url}/-/ready") == 200, 30, "Prometheus to be ready")
    return url


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright (its own browser downloads not used)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` (as root it installs Debian's"
            " chromium package) or set ERA_CHROMIUM",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright  # only this test needs it

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


def report_routes(env: dict[str, str]) -> dict[str, tuple[int, Decimal]]:
    """Route → (adjustments, dollars) as `era report` prints them (read_committed)."""
    result = run_era("report", "--idle-timeout", "1", env=env)
    assert result.returncode == 0, result.stderr
    routes = {}
    for line in result.stdout.splitlines():
        if line.startswith("all routes"):
            break  # the route lines end here (totals, dead letters and checks follow)
        match = REPORT_LINE.match(line)
        if match and match.group(1) != "route":
            routes[match.group(1)] = (int(match.group(3)), Decimal(match.group(4)))
    assert routes, result.stdout
    return routes


def page_routes(page: Any) -> dict[str, tuple[int, Decimal]]:
    """Route → (events, net dollars) as the page's routes table shows them."""
    # Locators only: the page's Content-Security-Policy forbids evaluating strings, as it should.
    shown = {}
    for row in page.locator("#routes tbody tr").all():
        events = row.locator(".events").inner_text()
        dollars = row.locator(".dollars").inner_text().replace(",", "")
        shown[str(row.get_attribute("data-route"))] = (int(events), Decimal(dollars))
    return shown


def routed_on_page(page: Any) -> int:
    """The page's all-routes event count (0 before the first render)."""
    return int(page.get_attribute("body", "data-routed-events") or 0)


def phi_values(env: dict[str, str]) -> set[str]:
    """Patient names and member ids in the sample files (which the page must never show)."""
    files = [str(p) for p in sorted(SAMPLES.iterdir()) if p.suffix != ".md"]
    result = run_era("parse", "--format", "jsonl", *files, env=env)
    values = set()
    for line in result.stdout.splitlines():
        record = json.loads(line)
        values.update(v for v in (record["patient_name"], record["member_id"]) if v)
    assert values, "the samples carry patient names and member ids"
    return values


@pytest.mark.timeout(420)  # a whole pipeline, two dashboards, Prometheus and a browser
def test_page_shows_the_routes_era_report_reads(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    spawn: Any,
    browser: Any,
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ports = {name: free_loopback_port() for name in ("INGEST", "CLASSIFIER", "ROUTER")}
    for name, port in ports.items():
        era_env[f"ERA_{name}_METRICS_PORT"] = str(port)  # the dashboard derives its URLs
    dashboard_port = free_loopback_port()
    era_env.update(
        {
            "ERA_DASHBOARD_PORT": str(dashboard_port),
            "ERA_DASHBOARD_REFRESH_SECONDS": "0.5",
            "ERA_INGEST_INBOX": str(inbox),
        }
    )
    era_env.pop("ERA_PROMETHEUS_URL", None)
    start_worker("classifier")
    start_worker("router")
    spawn("ingest", era_command("ingest", "--watch", str(inbox)), era_env)
    spawn("dashboard", era_command("dashboard"), era_env)
    url = f"http://127.0.0.1:{dashboard_port}/"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    for port in ports.values():
        wait_for(lambda p=port: _status(f"http://127.0.0.1:{p}/readyz") == 200, 90, "ready")
    wait_for(lambda: _status(url) == 200, 30, "the dashboard to listen")
    page.goto(url)
    page.wait_for_selector("body[data-state=live]", timeout=30_000)
    wait_for(lambda: page.locator("#health .pill.ready").count() == 3, 30, "3 ready pills")
    assert page.inner_text("#routes tbody").strip() == ""
    assert page.inner_text("#source") == "services"

    samples = [p for p in sorted(SAMPLES.iterdir()) if p.suffix != ".md"]
    dropped = time.monotonic()
    for sample in samples:
        part = inbox / f".{sample.name}.part"
        shutil.copy(sample, part)
        part.rename(inbox / sample.name)
    wait_for(lambda: routed_on_page(page) > 0, 90, "the first routed event on the page")
    first_routed = time.monotonic() - dropped

    wait_for(lambda: not [p for p in inbox.iterdir() if p.is_file()], 120, "every file processed")
    expected = report_routes(era_env)
    shown: dict[str, tuple[int, Decimal]] = {}

    def page_agrees() -> bool:
        nonlocal expected, shown
        shown = page_routes(page)
        if shown != {r: v for r, v in expected.items() if v[0]}:
            expected = report_routes(era_env)  # still settling: read Kafka again
            return False
        return True

    wait_for(page_agrees, 60, "the page's routes to equal era report's")
    assert sum(n for n, _ in shown.values()) > 0
    settled = time.monotonic() - dropped

    # What else a run shows: files, dead letters (the samples hold rejects), last file names.
    assert "files accepted" in page.inner_text("#files")
    recent = page.inner_text("#recent-files tbody")
    processed = {p.name for p in (inbox / "done").iterdir()} | {
        p.name for p in (inbox / "rejected").iterdir()
    }
    assert any(name in recent for name in processed), recent
    assert page.locator("#dead-letters tbody tr").count() > 0
    assert page.locator("#denials tbody tr").count() > 0
    assert page.locator("#throughput-chart path.line").count() >= 1
    assert page.locator("#denials-chart line.threshold").count() == 1
    text = page.inner_text("body")
    assert not [v for v in phi_values(era_env) if v in text]
    assert not console_errors, console_errors

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # The same numbers through a Prometheus that scrapes the services (ERA_PROMETHEUS_URL).
    prometheus_port = free_loopback_port()
    prometheus_env = {
        **era_env,
        "ERA_PROMETHEUS_URL": start_prometheus(spawn, tmp_path, ports),
        "ERA_DASHBOARD_PORT": str(prometheus_port),
    }
    spawn("dashboard-prometheus", era_command("dashboard"), prometheus_env)
    url = f"http://127.0.0.1:{prometheus_port}/"
    wait_for(lambda: _status(url) == 200, 30, "the Prometheus-fed dashboard to listen")
    page.goto(url)
    wait_for(
        lambda: page.locator("#health .pill.up").count() == 3 and page_routes(page) == shown,
        60,
        f"the Prometheus-fed page to show {shown}",
    )
    assert page.inner_text("#source") == "prometheus"
    wait_for(lambda: page.locator("#throughput-chart path.line").count() == 3, 30, "3 stage lines")
    assert not console_errors, console_errors
    page.close()
    print(
        f"\nfirst routed event on the page {first_routed:.1f}s after the drop;"
        f" page equal to era report {settled:.1f}s after; routes {shown}; screenshot {shot}"
    )
