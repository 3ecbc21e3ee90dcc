"""deploy/prometheus and deploy/alertmanager: promtool accepts the configurations and the rules,
the rules' own unit tests (alerts.test.yml) pass, every alert is labelled and documented, the
scrape targets are the services' default metrics ports, every configuration sends its alerts to
an Alertmanager, and amtool accepts the Alertmanager configuration and routes by severity."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from deploy_tools import run

pytestmark = pytest.mark.unit

REQUIRED_ALERTS = {
    "EraConsumerLagGrowing",
    "EraDeadLetters",
    "EraCoPatientBlocks",
    "EraPredeterminationBlocks",
    "EraDenialRateHigh",
    "EraNoFilesReceived",
}
SEVERITIES = {"critical", "warning", "info"}


CONFIGS = ("prometheus.yml", "prometheus.compose.yml", "prometheus.kubernetes.yml")


def _promtool(*args: str, cwd: Path) -> str:
    result = run("promtool", *args, cwd=cwd, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _checkable(root: Path, config: str, tmp_path: Path) -> Path:
    """A copy of ``config`` that Debian's promtool can check: Debian builds Prometheus without
    Kubernetes service discovery, so kubernetes_sd_configs become an equivalent file_sd_configs
    (the relabelling, the part that matters, stays as it is). Beside it: alerts.yml."""
    data = yaml.safe_load((root / "deploy" / "prometheus" / config).read_text())
    for job in data["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None) is not None:
            job["file_sd_configs"] = [{"files": ["targets.json"]}]
    shutil.copy(root / "deploy" / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / config).write_text(yaml.safe_dump(data))
    return tmp_path / config


def _alerts(root: Path) -> list[dict[str, object]]:
    rules = yaml.safe_load((root / "deploy" / "prometheus" / "alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize("config", CONFIGS)
def test_promtool_accepts_the_config(root: Path, tmp_path: Path, config: str) -> None:
    path = _checkable(root, config, tmp_path)
    output = _promtool("check", "config", path.name, cwd=tmp_path)
    assert "1 rule files found" in output


@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_sends_alerts_to_an_alertmanager(root: Path, config: str) -> None:
    data = yaml.safe_load((root / "deploy" / "prometheus" / config).read_text())
    (alertmanager,) = data["alerting"]["alertmanagers"]
    (static,) = alertmanager["static_configs"]
    (target,) = static["targets"]
    host, port = target.rsplit(":", 1)
    if config == "prometheus.compose.yml":
        compose = yaml.safe_load((root / "deploy" / "compose.yaml").read_text())
        assert host in compose["services"]
        assert port == "9093"
    elif config == "prometheus.yml":  # beside the local broker, whose controller has 9093
        assert host == "127.0.0.1"
        assert port != "9093"


def test_amtool_accepts_the_alertmanager_config(root: Path) -> None:
    output = _amtool("check-config", "alertmanager.yml", root=root)
    assert "SUCCESS" in output


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=critical", "alertname=EraServiceDown", "job=era-router"], "era-oncall"),
        (["severity=warning", "alertname=EraDeadLetters", "service=ingest"], "era-team"),
        (["severity=warning", "alertname=EraDenialRateHigh", "payer=X"], "era-team"),
    ],
)
def test_alertmanager_routes_by_severity(root: Path, labels: list[str], receiver: str) -> None:
    output = _amtool(
        "config", "routes", "test", "--config.file=alertmanager.yml", *labels, root=root
    )
    assert output.split() == [receiver]


def test_every_severity_has_a_route(root: Path) -> None:
    """Each severity the rules use reaches a receiver of its own, not just the default."""
    config = yaml.safe_load((root / "deploy" / "alertmanager" / "alertmanager.yml").read_text())
    receivers = {receiver["name"] for receiver in config["receivers"]}
    assert config["route"]["receiver"] in receivers
    for route in config["route"]["routes"]:
        assert route["receiver"] in receivers
    used = {rule["labels"]["severity"] for rule in _alerts(root)}
    assert used == {"critical", "warning"}


def _amtool(*args: str, root: Path) -> str:
    result = run("amtool", *args, cwd=root / "deploy" / "alertmanager", timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


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


def test_every_alert_has_severity_summary_description_and_runbook_url(root: Path) -> None:
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
        assert "runbook" not in annotations, "the conventional name is runbook_url"
        path, anchor = str(annotations["runbook_url"]).split("#", 1)
        assert path == "docs/observability.md"
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
