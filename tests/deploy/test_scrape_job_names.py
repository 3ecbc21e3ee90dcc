"""The labels the shipped scrape configurations really give the targets, read from a real
Prometheus, are the ones the alerts match: EraServiceDown fires, in promtool's rule tests, on
exactly those job and instance labels.

Each of deploy/prometheus/prometheus{,.compose,.kubernetes}.yml runs in a real Prometheus. For
the Kubernetes one, the pods come from the rendered default kustomization (annotations, labels,
container ports) and reach Prometheus through file_sd with the same ``__meta_kubernetes_pod_*``
labels Kubernetes discovery gives, so its relabelling runs as it would in a cluster (Debian's
Prometheus is built without Kubernetes discovery). Target addresses are 127.0.0.2-4, where
nothing listens: the targets are down, which is the case EraServiceDown is about.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from local_kafka import free_loopback_port

from deploy_tools import run, tool
from era_testing import wait_for

pytestmark = pytest.mark.integration

JOBS = {"era-ingest", "era-classifier", "era-router"}


def _meta_name(name: str) -> str:
    """Prometheus's label-name sanitising of Kubernetes labels and annotations."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def _pod_targets(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """file_sd target groups as Kubernetes pod discovery would give them: one target per
    container port of each pod (Deployments and the Job), with the pod's meta labels."""
    groups = []
    for index, doc in enumerate(d for d in objects if d["kind"] in {"Deployment", "Job"}):
        pod = doc["spec"]["template"]
        host = f"127.0.0.{2 + index % 3}"
        meta = {
            "__meta_kubernetes_namespace": doc["metadata"]["namespace"],
            "__meta_kubernetes_pod_name": f"{doc['metadata']['name']}-7d9f8-x{index}",
        }
        for key, value in pod["metadata"].get("labels", {}).items():
            meta[f"__meta_kubernetes_pod_label_{_meta_name(key)}"] = value
        for key, value in pod["metadata"].get("annotations", {}).items():
            meta[f"__meta_kubernetes_pod_annotation_{_meta_name(key)}"] = value
        for container in pod["spec"]["containers"]:
            ports = container.get("ports") or [{}]
            for port in ports:
                number = port.get("containerPort")
                labels = {**meta, "__meta_kubernetes_pod_container_name": container["name"]}
                if number is not None:
                    labels["__meta_kubernetes_pod_container_port_number"] = str(number)
                    labels["__meta_kubernetes_pod_container_port_name"] = port.get("name", "")
                address = f"{host}:{number}" if number is not None else host
                groups.append({"targets": [address], "labels": labels})
    return groups


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Any]:
    """``start(config_dict)`` runs a real Prometheus with that configuration and returns its
    active targets' labels once every target was scraped once."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        name: str, config: dict[str, Any], sd_targets: list[dict[str, Any]]
    ) -> list[dict[str, str]]:
        home = tmp_path / name
        home.mkdir()
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        config.pop("rule_files", None)
        config.pop("alerting", None)  # the Alertmanagers named there do not run here
        for job in config["scrape_configs"]:
            job["scrape_timeout"] = "500ms"
            if job.pop("kubernetes_sd_configs", None) is not None:
                job["file_sd_configs"] = [{"files": [str(home / "targets.json")]}]
        (home / "targets.json").write_text(json.dumps(sd_targets))
        (home / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_loopback_port()
        log = (home / "prometheus.log").open("wb")
        started.append(
            subprocess.Popen(
                [
                    tool("prometheus"),
                    f"--config.file={home / 'prometheus.yml'}",
                    f"--storage.tsdb.path={home / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        url = f"http://127.0.0.1:{port}/api/v1/targets?state=active"

        def scraped() -> list[dict[str, str]] | None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    targets = json.load(response)["data"]["activeTargets"]
            except OSError:
                return None
            if targets and all(t["lastScrape"] != "0001-01-01T00:00:00Z" for t in targets):
                return [t["labels"] for t in targets]
            return None

        found: list[list[dict[str, str]]] = []
        wait_for(lambda: bool(found.append(scraped() or []) or found[-1]), 60, f"{name} targets")
        return found[-1]

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def _annotations(root: Path, labels: dict[str, str]) -> dict[str, str]:
    """EraServiceDown's annotations for a target: its templates with the target's labels."""
    rules = yaml.safe_load((root / "deploy" / "prometheus" / "alerts.yml").read_text())
    (rule,) = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "EraServiceDown"]
    annotations = {}
    for key, template in rule["annotations"].items():
        text = str(template)
        for name in ("job", "instance"):
            text = text.replace(f"{{{{ $labels.{name} }}}}", labels[name])
        annotations[key] = text
    return annotations


def _service_down_tests(root: Path, targets: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """promtool rule tests: every target of every configuration down for 8 minutes, with the
    labels Prometheus gave it; EraServiceDown must fire once per target with those labels, and
    EraServiceAbsent (a job without any target) must not fire."""
    tests = []
    for config, labels_list in targets.items():
        series = []
        expected = []
        for labels in labels_list:
            matchers = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            series.append({"series": f"up{{{matchers}}}", "values": "0x20"})
            expected.append(
                {
                    "exp_labels": {**labels, "severity": "critical"},
                    "exp_annotations": _annotations(root, labels),
                }
            )
        tests.append(
            {
                "name": f"EraServiceDown on the targets of {config}",
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": "8m", "alertname": "EraServiceDown", "exp_alerts": expected},
                    # every job the alerts name has a target: EraServiceAbsent stays quiet
                    {"eval_time": "15m", "alertname": "EraServiceAbsent", "exp_alerts": []},
                ],
            }
        )
    return {"rule_files": ["alerts.yml"], "evaluation_interval": "1m", "tests": tests}


def test_every_scrape_config_names_the_jobs_the_alerts_match(
    root: Path,
    k8s_variants: dict[str, list[dict[str, Any]]],
    prometheus: Any,
    tmp_path: Path,
) -> None:
    configs = root / "deploy" / "prometheus"
    pods = _pod_targets(k8s_variants["annotations"])
    targets: dict[str, list[dict[str, str]]] = {}
    for name in ("prometheus.yml", "prometheus.compose.yml", "prometheus.kubernetes.yml"):
        config = yaml.safe_load((configs / name).read_text())
        targets[name] = prometheus(name, config, pods)

    for name, labels_list in targets.items():
        jobs = sorted(labels["job"] for labels in labels_list)
        # one target per service: each pod is scraped once (the topics Job and any port but
        # "metrics" are dropped by the relabelling)
        assert jobs == sorted(JOBS), f"{name}: {jobs}"
        for labels in labels_list:
            assert labels["instance"], name
    kubernetes = {labels["job"]: labels for labels in targets["prometheus.kubernetes.yml"]}
    assert kubernetes["era-router"]["namespace"] == "era"
    assert kubernetes["era-router"]["pod"].startswith("era-router-")

    shutil.copy(configs / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "job_names.test.yml").write_text(yaml.safe_dump(_service_down_tests(root, targets)))
    result = run("promtool", "test", "rules", "job_names.test.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_the_old_alert_would_have_missed_a_catch_all_job(tmp_path: Path, root: Path) -> None:
    """The check above can fail: a target named by the usual catch-all scrape job
    (job="kubernetes-pods") does not fire EraServiceDown, so promtool reports the miss."""
    shutil.copy(root / "deploy" / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    labels = {"job": "kubernetes-pods", "instance": "10.1.2.3:8003"}
    (tmp_path / "miss.test.yml").write_text(
        yaml.safe_dump(_service_down_tests(root, {"catch-all": [labels]}))
    )
    result = run("promtool", "test", "rules", "miss.test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "EraServiceDown" in result.stdout + result.stderr
