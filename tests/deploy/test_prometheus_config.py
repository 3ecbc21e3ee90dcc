"""deploy/prometheus: promtool accepts the configuration and the rules, the rules' own unit tests
(alerts.test.yml) pass, every alert is labelled and documented, the scrape targets are the
services' default metrics ports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

REQUIRED_ALERTS = {
    "EraConsumerLagGrowing",
    "EraDeadLetters",
    "EraCoPatientBlocks",
    "EraDenialRateHigh",
    "EraNoFilesReceived",
}
SEVERITIES = {"critical", "warning", "info"}


def _promtool(*args: str, cwd: Path) -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: install Debian's prometheus package"
    result = subprocess.run(
        [promtool, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _alerts(root: Path) -> list[dict[str, object]]:
    rules = yaml.safe_load((root / "deploy" / "prometheus" / "alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.compose.yml"])
def test_promtool_accepts_the_config(root: Path, config: str) -> None:
    output = _promtool("check", "config", config, cwd=root / "deploy" / "prometheus")
    assert "1 rule files found" in output


def test_promtool_accepts_the_rules(root: Path) -> None:
    _promtool("check", "rules", "alerts.yml", cwd=root / "deploy" / "prometheus")


def test_the_alerts_fire_when_they_should(root: Path) -> None:
    """alerts.test.yml: synthetic series for each alert, firing and quiet cases."""
    output = _promtool("test", "rules", "alerts.test.yml", cwd=root / "deploy" / "prometheus")
    assert "SUCCESS" in output
    tests = yaml.safe_load((root / "deploy" / "prometheus" / "alerts.test.yml").read_text())
    tested = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert {rule["alert"] for rule in _alerts(root)} <= tested


def test_every_alert_has_severity_summary_description_and_runbook(root: Path) -> None:
    alerts = _alerts(root)
    assert {rule["alert"] for rule in alerts} >= REQUIRED_ALERTS
    runbook = (root / "docs" / "observability.md").read_text(encoding="utf-8")
    headings = {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip()).lower().replace(" ", "-")
        for line in runbook.splitlines()
        if line.startswith("#")
    }
    for rule in alerts:
        labels, annotations = rule["labels"], rule["annotations"]
        assert isinstance(labels, dict) and isinstance(annotations, dict)
        assert labels.get("severity") in SEVERITIES, rule["alert"]
        assert annotations.get("summary") and annotations.get("description"), rule["alert"]
        anchor = str(annotations["runbook"]).split("#", 1)[1]
        assert anchor in headings, f"{rule['alert']}: no section #{anchor} in observability.md"


def test_thresholds_and_windows(root: Path) -> None:
    """The windows and thresholds the runbook documents are the ones in the expressions."""
    alerts = {rule["alert"]: str(rule["expr"]) for rule in _alerts(root)}
    assert "> 0.08" in alerts["EraDenialRateHigh"]
    assert "era_ingest_claims_total" in alerts["EraDenialRateHigh"]
    assert "[1d]" in alerts["EraDenialRateHigh"]
    # N hours (docs/observability.md, "Tuning"): the range and the threshold must agree
    no_files = alerts["EraNoFilesReceived"]
    hours = re.search(r"era_ingest_last_file_timestamp_seconds\[(\d+)h\]", no_files)
    assert hours, no_files
    assert f"> {hours.group(1)} * 3600" in no_files
    assert "[10m]" in alerts["EraConsumerLagGrowing"]
    assert "[5m]" in alerts["EraDeadLetters"]


@pytest.mark.parametrize(
    ("config", "hosts"),
    [
        ("prometheus.yml", dict.fromkeys(("ingest", "classifier", "router"), "127.0.0.1")),
        ("prometheus.compose.yml", {s: s for s in ("ingest", "classifier", "router")}),
    ],
)
def test_scrape_targets_are_the_default_metrics_ports(
    root: Path, default_metrics_ports: dict[str, int], config: str, hosts: dict[str, str]
) -> None:
    prometheus = yaml.safe_load((root / "deploy" / "prometheus" / config).read_text())
    assert prometheus["rule_files"] == ["alerts.yml"]
    targets = {
        job["job_name"]: [t for static in job["static_configs"] for t in static["targets"]]
        for job in prometheus["scrape_configs"]
    }
    assert targets == {
        f"era-{service}": [f"{hosts[service]}:{port}"]
        for service, port in default_metrics_ports.items()
    }
