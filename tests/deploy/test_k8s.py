"""deploy/k8s: every manifest parses; kinds, probes, non-root, resources, scrape annotations,
autoscaling bounds and the environment variable names agree with the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from era_contract.topics import TopicNames

pytestmark = pytest.mark.unit

WORKERS = ("classifier", "router")
SERVICES = ("ingest", *WORKERS)
PLACEHOLDER = "CHANGE-ME"


def _documents(root: Path) -> dict[str, list[dict[str, Any]]]:
    docs: dict[str, list[dict[str, Any]]] = {}
    paths = sorted((root / "deploy" / "k8s").rglob("*.yaml"))
    assert paths
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                doc["_file"] = str(path.relative_to(root / "deploy" / "k8s"))
                docs.setdefault(doc["kind"], []).append(doc)
    return docs


@pytest.fixture(scope="module")
def manifests(root: Path) -> dict[str, list[dict[str, Any]]]:
    return _documents(root)


def _one(manifests: dict[str, list[dict[str, Any]]], kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in manifests.get(kind, []) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _config(manifests: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    data: dict[str, str] = _one(manifests, "ConfigMap", "era-config")["data"]
    return data


def test_kinds(manifests: dict[str, list[dict[str, Any]]]) -> None:
    counts = {kind: len(docs) for kind, docs in manifests.items()}
    assert counts["Namespace"] == 1
    assert counts["ConfigMap"] == 1
    assert counts["Deployment"] == 3
    assert counts["HorizontalPodAutoscaler"] == 2
    assert counts["ScaledObject"] == 2
    assert counts["PersistentVolumeClaim"] == 1
    for service in SERVICES:
        _one(manifests, "Service", f"era-{service}-metrics")
    namespace = manifests["Namespace"][0]["metadata"]["name"]
    for kind, docs in manifests.items():
        if kind in {"Namespace", "Kustomization"}:
            continue
        for doc in docs:
            assert doc["metadata"]["namespace"] == namespace, f"{kind} in {doc['_file']}"


def test_kustomization_applies_every_manifest_but_keda(
    root: Path, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    kustomization = manifests["Kustomization"][0]
    top_level = {
        p.name for p in (root / "deploy" / "k8s").glob("*.yaml") if p.name != "kustomization.yaml"
    }
    assert set(kustomization["resources"]) == top_level
    assert "hpa.yaml" in top_level  # KEDA replaces it; both at once would fight


def test_secrets_hold_placeholders_only(manifests: dict[str, list[dict[str, Any]]]) -> None:
    for secret in manifests["Secret"]:
        assert "data" not in secret, "base64 data hides what is committed: use stringData"
        for key, value in secret["stringData"].items():
            if "password" in key.lower():
                assert value == PLACEHOLDER, f"{secret['metadata']['name']}.{key}"
    assert "KAFKA_SASL_PASSWORD" in _one(manifests, "Secret", "era-kafka")["stringData"]
    assert not any("PASSWORD" in key for key in _config(manifests))


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers


def test_env_names_are_settings_the_code_reads(
    manifests: dict[str, list[dict[str, Any]]], known_env_names: set[str]
) -> None:
    names = set(_config(manifests)) | set(_one(manifests, "Secret", "era-kafka")["stringData"])
    for kind in ("Deployment", "Job"):
        for doc in manifests[kind]:
            for container in _containers(doc):
                names |= {env["name"] for env in container.get("env", [])}
    assert names - known_env_names == set()


@pytest.mark.parametrize("service", SERVICES)
def test_deployment(
    manifests: dict[str, list[dict[str, Any]]],
    default_metrics_ports: dict[str, int],
    service: str,
) -> None:
    deployment = _one(manifests, "Deployment", f"era-{service}")
    pod = deployment["spec"]["template"]
    assert set(deployment["spec"]["selector"]["matchLabels"].items()) <= set(
        pod["metadata"]["labels"].items()
    )
    port = default_metrics_ports[service]
    config = _config(manifests)
    assert config[f"ERA_{service.upper()}_METRICS_PORT"] == str(port)
    assert config[f"ERA_{service.upper()}_METRICS_HOST"] == "0.0.0.0"
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"

    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    (container,) = _containers(deployment)
    assert container["image"].split(":")[0] == "era-pipeline"
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": port}
    refs = [next(iter(source.values()))["name"] for source in container["envFrom"]]
    assert refs == ["era-config", "era-kafka"]

    live, ready = container["livenessProbe"], container["readinessProbe"]
    assert live["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert ready["httpGet"] == {"path": "/readyz", "port": "metrics"}
    if service in WORKERS:
        assert container["args"] == ["worker", service]
    else:
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"]["type"] == "Recreate"
        assert container["args"][:2] == ["ingest", "--watch"]
        inbox = container["args"][2]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        (claim_volume,) = [n for n, v in volumes.items() if "persistentVolumeClaim" in v]
        assert mounts[claim_volume] == inbox
        claim = volumes[claim_volume]["persistentVolumeClaim"]["claimName"]
        _one(manifests, "PersistentVolumeClaim", claim)
        assert {"livenessProbe", "readinessProbe"} <= set(container)


@pytest.mark.parametrize("service", SERVICES)
def test_metrics_service_selects_the_pods(
    manifests: dict[str, list[dict[str, Any]]], service: str
) -> None:
    svc = _one(manifests, "Service", f"era-{service}-metrics")
    labels = _one(manifests, "Deployment", f"era-{service}")["spec"]["template"]["metadata"][
        "labels"
    ]
    assert set(svc["spec"]["selector"].items()) <= set(labels.items())
    assert [p["targetPort"] for p in svc["spec"]["ports"]] == ["metrics"]


@pytest.mark.parametrize("service", WORKERS)
def test_autoscaling_stops_at_the_partition_count(
    manifests: dict[str, list[dict[str, Any]]], service: str
) -> None:
    config = _config(manifests)
    partitions = int(config["ERA_TOPIC_PARTITIONS"])
    topics = TopicNames(config["ERA_TOPIC_PREFIX"])
    source = {"classifier": topics.adjustments, "router": topics.classified}[service]

    hpa = _one(manifests, "HorizontalPodAutoscaler", f"era-{service}")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"era-{service}",
    }
    assert hpa["spec"]["maxReplicas"] == partitions
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"

    scaled = _one(manifests, "ScaledObject", f"era-{service}")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == f"era-{service}"
    assert scaled["spec"]["maxReplicaCount"] == partitions
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["consumerGroup"] == f"{topics.prefix}-{service}"  # the workers' app id
    assert meta["topic"] == source
    assert int(meta["lagThreshold"]) > 0
    assert meta["bootstrapServers"] == config["KAFKA_BOOTSTRAP_SERVERS"]
    _one(manifests, "TriggerAuthentication", trigger["authenticationRef"]["name"])


def test_topics_job_creates_the_topics(manifests: dict[str, list[dict[str, Any]]]) -> None:
    job = _one(manifests, "Job", "era-topics-create")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["topics", "create"]
    assert job["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_commands_are_era_commands(manifests: dict[str, list[dict[str, Any]]]) -> None:
    from era_cli.main import build_parser

    parser = build_parser()
    for kind in ("Deployment", "Job"):
        for doc in manifests[kind]:
            for container in _containers(doc):
                parser.parse_args(container["args"])
