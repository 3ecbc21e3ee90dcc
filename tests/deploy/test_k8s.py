"""deploy/k8s, as kustomize renders each variant: kinds, probes, non-root, resources, scraping
(each pod once), autoscaling bounds, disruption budgets, network policies, no Secret, and the
environment variable names agree with the code."""

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


Manifests = dict[str, list[dict[str, Any]]]


def _by_kind(objects: list[dict[str, Any]]) -> Manifests:
    docs: Manifests = {}
    for doc in objects:
        docs.setdefault(doc["kind"], []).append(doc)
    return docs


@pytest.fixture(scope="module")
def manifests(k8s_variants: dict[str, list[dict[str, Any]]]) -> Manifests:
    """The default variant (`kubectl apply -k deploy/k8s`), by kind."""
    return _by_kind(k8s_variants["annotations"])


def _one(manifests: Manifests, kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in manifests.get(kind, []) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _config(manifests: Manifests) -> dict[str, str]:
    data: dict[str, str] = _one(manifests, "ConfigMap", "era-config")["data"]
    return data


def _example_secret(root: Path) -> dict[str, Any]:
    path = root / "deploy" / "k8s" / "examples" / "kafka-secret.example.yaml"
    secret: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return secret


def test_kinds(manifests: Manifests, k8s_variants: dict[str, list[dict[str, Any]]]) -> None:
    counts = {kind: len(docs) for kind, docs in manifests.items()}
    assert counts == {
        "Namespace": 1,
        "ConfigMap": 1,
        "Service": 3,
        "PersistentVolumeClaim": 1,
        "Deployment": 3,
        "Job": 1,
        "HorizontalPodAutoscaler": 2,
        "PodDisruptionBudget": 3,
        "NetworkPolicy": 4,
    }
    for service in SERVICES:
        _one(manifests, "Service", f"era-{service}-metrics")
    for variant, objects in k8s_variants.items():
        for doc in objects:
            if doc["kind"] != "Namespace":
                assert doc["metadata"]["namespace"] == "era", f"{variant}: {doc['kind']}"
    operator = _by_kind(k8s_variants["prometheus-operator"])
    assert len(operator["PodMonitor"]) == 1
    keda = _by_kind(k8s_variants["keda"])
    assert "HorizontalPodAutoscaler" not in keda, "KEDA owns its own HPAs: two would fight"
    assert len(keda["ScaledObject"]) == 2
    assert len(keda["TriggerAuthentication"]) == 1


def test_no_variant_applies_a_secret(
    root: Path, k8s_variants: dict[str, list[dict[str, Any]]]
) -> None:
    """`kubectl apply -k` must never overwrite the real Secret with a placeholder: the Secrets
    are example files outside every kustomization, holding placeholders only."""
    for variant, objects in k8s_variants.items():
        assert not [doc for doc in objects if doc["kind"] == "Secret"], variant
    examples = sorted((root / "deploy" / "k8s" / "examples").glob("*.example.yaml"))
    assert {p.name for p in examples} == {
        "kafka-secret.example.yaml",
        "keda-kafka-secret.example.yaml",
    }
    for path in examples:
        secret = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert secret["kind"] == "Secret"
        assert "data" not in secret, "base64 data hides what is committed: use stringData"
        for key, value in secret["stringData"].items():
            if "password" in key.lower():
                assert value == PLACEHOLDER, f"{path.name}: {key}"
    assert "KAFKA_SASL_PASSWORD" in _example_secret(root)["stringData"]
    for objects in k8s_variants.values():
        for doc in objects:
            if doc["kind"] == "ConfigMap":
                assert not any("PASSWORD" in key for key in doc["data"])


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers


def test_env_names_are_settings_the_code_reads(
    root: Path, manifests: Manifests, known_env_names: set[str]
) -> None:
    names = set(_config(manifests)) | set(_example_secret(root)["stringData"])
    for kind in ("Deployment", "Job"):
        for doc in manifests[kind]:
            for container in _containers(doc):
                names |= {env["name"] for env in container.get("env", [])}
    assert names - known_env_names == set()


@pytest.mark.parametrize("service", SERVICES)
def test_deployment(
    manifests: Manifests,
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
    assert deployment["metadata"]["labels"]["app.kubernetes.io/name"] == f"era-{service}"

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
        assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
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
def test_metrics_service_selects_the_pods(manifests: Manifests, service: str) -> None:
    svc = _one(manifests, "Service", f"era-{service}-metrics")
    labels = _one(manifests, "Deployment", f"era-{service}")["spec"]["template"]["metadata"][
        "labels"
    ]
    assert set(svc["spec"]["selector"].items()) <= set(labels.items())
    assert [p["targetPort"] for p in svc["spec"]["ports"]] == ["metrics"]


@pytest.mark.parametrize("service", WORKERS)
def test_autoscaling_stops_at_the_partition_count(
    manifests: Manifests, k8s_variants: dict[str, list[dict[str, Any]]], service: str
) -> None:
    keda = _by_kind(k8s_variants["keda"])
    assert "replicas" not in _one(keda, "Deployment", f"era-{service}")["spec"]
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

    scaled = _one(keda, "ScaledObject", f"era-{service}")
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
    _one(keda, "TriggerAuthentication", trigger["authenticationRef"]["name"])


def test_topics_job_creates_the_topics(manifests: Manifests) -> None:
    job = _one(manifests, "Job", "era-topics-create")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["topics", "create"]
    assert job["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_commands_are_era_commands(manifests: Manifests) -> None:
    from era_cli.main import build_parser

    parser = build_parser()
    for kind in ("Deployment", "Job"):
        for doc in manifests[kind]:
            for container in _containers(doc):
                parser.parse_args(container["args"])


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and In/NotIn/Exists matchExpressions)."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def _pod_templates(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployment or Job name -> its pod template."""
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]
        for doc in objects
        if doc["kind"] in {"Deployment", "Job"}
    }


def _scrapes(objects: list[dict[str, Any]], pod: dict[str, Any]) -> list[str]:
    """Every way the variant makes Prometheus scrape this pod: its own annotations, an
    annotated Service selecting it, a PodMonitor selecting it, a ServiceMonitor selecting a
    Service that selects it."""
    labels = pod["metadata"]["labels"]
    ways = []
    if pod["metadata"].get("annotations", {}).get("prometheus.io/scrape") == "true":
        ways.append("pod annotations")
    services = [
        doc
        for doc in objects
        if doc["kind"] == "Service" and _selects({"matchLabels": doc["spec"]["selector"]}, labels)
    ]
    for service in services:
        if service["metadata"].get("annotations", {}).get("prometheus.io/scrape") == "true":
            ways.append(f"annotated Service {service['metadata']['name']}")
    for doc in objects:
        if doc["kind"] == "PodMonitor" and _selects(doc["spec"]["selector"], labels):
            ways.append(f"PodMonitor {doc['metadata']['name']}")
        if doc["kind"] == "ServiceMonitor":
            for service in services:
                if _selects(doc["spec"]["selector"], service["metadata"]["labels"]):
                    ways.append(f"ServiceMonitor {doc['metadata']['name']}")
    return ways


@pytest.mark.parametrize("variant", ["annotations", "prometheus-operator", "keda"])
def test_each_pod_is_scraped_exactly_once(
    k8s_variants: dict[str, list[dict[str, Any]]], variant: str
) -> None:
    objects = k8s_variants[variant]
    pods = _pod_templates(objects)
    for service in SERVICES:
        ways = _scrapes(objects, pods[f"era-{service}"])
        assert len(ways) == 1, f"{variant}: era-{service} is scraped {len(ways)} times: {ways}"
    assert _scrapes(objects, pods["era-topics-create"]) == []


def test_the_pod_monitor_names_the_jobs_as_the_alerts_expect(
    k8s_variants: dict[str, list[dict[str, Any]]], default_metrics_ports: dict[str, int]
) -> None:
    """The operator names a PodMonitor's job after the pod label ``jobLabel`` names (else
    "<namespace>/<podmonitor>"): that label's value is era-<service> on every pod, the job
    names of the static configs and of alerts.yml."""
    objects = k8s_variants["prometheus-operator"]
    (monitor,) = [doc for doc in objects if doc["kind"] == "PodMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    job_label = monitor["spec"]["jobLabel"]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["path"] == "/metrics"
    pods = _pod_templates(objects)
    for service in SERVICES:
        pod = pods[f"era-{service}"]
        assert pod["metadata"]["labels"][job_label] == f"era-{service}"
        (container,) = pod["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports[endpoint["port"]] == default_metrics_ports[service]


@pytest.mark.parametrize("variant", ["annotations", "prometheus-operator", "keda"])
def test_one_disruption_budget_per_service(
    k8s_variants: dict[str, list[dict[str, Any]]], variant: str
) -> None:
    objects = k8s_variants[variant]
    budgets = [doc for doc in objects if doc["kind"] == "PodDisruptionBudget"]
    for service in SERVICES:
        labels = _pod_templates(objects)[f"era-{service}"]["metadata"]["labels"]
        matching = [pdb for pdb in budgets if _selects(pdb["spec"]["selector"], labels)]
        assert len(matching) == 1, f"era-{service}: {len(matching)} budgets"
        # never minAvailable: a drain must not block when the HPA runs one replica
        assert matching[0]["spec"] == {**matching[0]["spec"], "maxUnavailable": 1}
        assert "minAvailable" not in matching[0]["spec"]


def test_one_network_policy_per_pod(manifests: Manifests) -> None:
    """Each pod (the services and the topics Job) is isolated by exactly one NetworkPolicy:
    ingress only to the metrics port, egress only to DNS and the Kafka namespace."""
    objects = [doc for docs in manifests.values() for doc in docs]
    policies = manifests["NetworkPolicy"]
    for name, pod in _pod_templates(objects).items():
        matching = [
            policy
            for policy in policies
            if _selects(policy["spec"]["podSelector"], pod["metadata"]["labels"])
        ]
        assert len(matching) == 1, f"{name}: {len(matching)} network policies"
        spec = matching[0]["spec"]
        assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
        ports = [port for rule in spec["ingress"] for port in rule["ports"]]
        if name == "era-topics-create":
            assert spec["ingress"] == []
        else:
            assert ports == [{"protocol": "TCP", "port": "metrics"}], name
        egress_ports = {
            (port["protocol"], port["port"]) for rule in spec["egress"] for port in rule["ports"]
        }
        assert {("UDP", 53), ("TCP", 53), ("TCP", 9092)} <= egress_ports
        bootstrap = _config(manifests)["KAFKA_BOOTSTRAP_SERVERS"]
        namespace = bootstrap.split(".")[1]  # kafka-bootstrap.<namespace>.svc:port
        kafka_rules = [
            rule
            for rule in spec["egress"]
            if any(
                peer.get("namespaceSelector", {}).get("matchLabels")
                == {"kubernetes.io/metadata.name": namespace}
                for peer in rule["to"]
            )
        ]
        port = int(bootstrap.rsplit(":", 1)[1])
        assert any(
            p["port"] <= port <= p.get("endPort", p["port"])
            for rule in kafka_rules
            for p in rule["ports"]
        ), f"{name}: no egress to the bootstrap port {port} in namespace {namespace}"
