"""deploy/compose.yaml and the Dockerfile, read as data (no Docker engine here): services,
images (pinned), commands, ports (loopback only), no default password, volumes, start order,
and the image's pinned base, user, entry point and settings; hadolint lints the Dockerfile."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy_tools import run

pytestmark = pytest.mark.unit

ERA_SERVICES = ("topics", "ingest", "classifier", "router")


@pytest.fixture(scope="module")
def compose(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / "deploy" / "compose.yaml").read_text())
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_services_and_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    others = {"kafka", "schema-registry", "prometheus", "alertmanager", "grafana"}
    assert {*ERA_SERVICES, *others} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["alertmanager"]["image"].startswith("prom/alertmanager:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    for name, service in services.items():
        if name in ERA_SERVICES:
            continue
        # a version (or a digest), never a floating tag
        assert re.search(r":v?\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$", service["image"]), name
    images = {services[name]["image"] for name in ERA_SERVICES}
    assert len(images) == 1, "one image for every service"
    for name in ERA_SERVICES:
        assert services[name]["build"]["dockerfile"] == "Dockerfile"


def test_build_context_is_the_repository(root: Path, compose: dict[str, Any]) -> None:
    context = (root / "deploy" / compose["services"]["ingest"]["build"]["context"]).resolve()
    assert context == root
    assert (context / "Dockerfile").is_file()


def test_kafka_runs_kraft_with_single_replica_internal_topics(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = _env(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any("ZOOKEEPER" in key for key in env)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])
    # transactions (ingest and the workers) need the transaction state log to be writable
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert "healthcheck" in kafka
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    for name in ERA_SERVICES:
        bootstrap = _env(compose["services"][name])["KAFKA_BOOTSTRAP_SERVERS"]
        assert f"PLAINTEXT://{bootstrap}" in advertised


def test_start_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["topics"]["restart"] == "no"
    for name in ("ingest", "classifier", "router"):
        condition = services[name]["depends_on"]["topics"]["condition"]
        assert condition == "service_completed_successfully"
    assert {"ingest", "classifier", "router", "alertmanager"} <= set(
        services["prometheus"]["depends_on"]
    )
    assert set(services["grafana"]["depends_on"]) == {"prometheus"}


def test_commands_ports_and_inbox(
    compose: dict[str, Any], default_metrics_ports: dict[str, int]
) -> None:
    from era_cli.main import build_parser

    services = compose["services"]
    parser = build_parser()
    for name in ERA_SERVICES:
        parser.parse_args(services[name]["command"])  # a valid `era` command line
    assert services["topics"]["command"] == ["topics", "create"]
    assert services["classifier"]["command"] == ["worker", "classifier"]
    assert services["router"]["command"] == ["worker", "router"]
    for name, port in default_metrics_ports.items():
        assert f"127.0.0.1:{port}:{port}" in services[name]["ports"]
    ingest = services["ingest"]
    assert ingest["command"][:2] == ["ingest", "--watch"]
    inbox = ingest["command"][2]
    volume, target = ingest["volumes"][0].split(":")[:2]
    assert target == inbox
    assert volume in compose["volumes"]
    assert "127.0.0.1:9090:9090" in services["prometheus"]["ports"]
    assert "127.0.0.1:9093:9093" in services["alertmanager"]["ports"]
    assert "127.0.0.1:3000:3000" in services["grafana"]["ports"]


def test_every_port_is_published_on_loopback_only(compose: dict[str, Any]) -> None:
    """Nothing of the stack is reachable from other machines: each published port names
    127.0.0.1 as its host address (a bare "3000:3000" listens on every interface)."""
    published = 0
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            published += 1
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            else:
                assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"
    assert published >= 7


def test_no_default_passwords(root: Path, compose: dict[str, Any]) -> None:
    """Grafana's admin password comes from the environment, with no fallback: an unset
    GRAFANA_ADMIN_PASSWORD stops `docker compose up` (``${VAR:?message}``), never admin/admin."""
    grafana = _env(compose["services"]["grafana"])
    password = grafana["GF_SECURITY_ADMIN_PASSWORD"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", password), password
    assert grafana.get("GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer") == "Viewer"
    text = (root / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    assert ":-admin" not in text
    for name, service in compose["services"].items():
        for key, value in _env(service).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN")):
                assert value.startswith("${") and ":?" in value, f"{name}: {key} has a default"


def test_env_names_are_settings_the_code_reads(
    compose: dict[str, Any], known_env_names: set[str]
) -> None:
    for name in ERA_SERVICES:
        assert set(_env(compose["services"][name])) - known_env_names == set()


def test_mounted_files_exist(root: Path, compose: dict[str, Any]) -> None:
    for name in ("prometheus", "alertmanager", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (root / "deploy" / source).exists(), f"{name}: {source}"
            else:
                assert source in compose["volumes"], f"{name}: {source}"
    prometheus = yaml.safe_load((root / "deploy/prometheus/prometheus.compose.yml").read_text())
    targets = {
        target.split(":")[0]
        for job in prometheus["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    assert targets <= set(compose["services"])
    grafana_env = _env(compose["services"]["grafana"])
    assert grafana_env["PROMETHEUS_URL"] == "http://prometheus:9090"


def test_grafana_provisioning(root: Path) -> None:
    provisioning = root / "deploy" / "grafana" / "provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())
    (datasource,) = datasources["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["uid"] == "era-prometheus"
    providers = yaml.safe_load((provisioning / "dashboards" / "era.yaml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert provider["allowUiUpdates"] is False  # with "editable": false in the JSON


def _dockerfile(root: Path) -> list[tuple[str, str]]:
    text = (root / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile(root: Path, known_env_names: set[str]) -> None:
    instructions = _dockerfile(root)
    args = dict(rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG")
    (base,) = [rest for keyword, rest in instructions if keyword == "FROM"]
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    # one Python release on one Debian release (or a digest), never a floating 3.11-slim
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert ("ENTRYPOINT", '["era"]') in instructions
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert "era" in scripts
    env = dict(
        pair.split("=", 1)
        for keyword, rest in instructions
        if keyword == "ENV"
        for pair in rest.split()
        if "=" in pair
    )
    for service in ("INGEST", "CLASSIFIER", "ROUTER"):
        assert env[f"ERA_{service}_METRICS_HOST"] == "0.0.0.0"  # reachable from outside
    # the schemas are package data (era_contract/schemas links to schemas/, which the build
    # needs beside lib/): the image needs no ERA_SCHEMAS_DIR
    copied = {rest.split()[-1].rstrip("/") for keyword, rest in instructions if keyword == "COPY"}
    assert {"lib", "cli", "services", "schemas"} <= copied
    assert "ERA_SCHEMAS_DIR" not in env
    assert {name for name in env if name.startswith(("ERA_", "KAFKA_"))} <= known_env_names
    ignored = (root / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)


def test_the_schema_registry_serves_the_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    registry = services["schema-registry"]
    image, _, tag = registry["image"].partition(":")
    assert image == "confluentinc/cp-schema-registry"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), "a pinned version"
    assert registry["ports"] == ["127.0.0.1:8081:8081"]  # loopback only, no password to leak
    env = _env(registry)
    assert env["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"] == "PLAINTEXT://kafka:9092"
    assert registry["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" in registry
    port = env["SCHEMA_REGISTRY_LISTENERS"].rsplit(":", 1)[1]
    for name in ("ingest", "classifier", "router"):
        era = _env(services[name])
        assert era["SCHEMA_REGISTRY_URL"] == f"http://schema-registry:{port}"
        assert era["SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY"] == "topic"
        assert services[name]["depends_on"]["schema-registry"]["condition"] == "service_healthy"


def test_hadolint_finds_nothing(root: Path) -> None:
    result = run("hadolint", "--no-color", "Dockerfile", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_floating_base(tmp_path: Path, root: Path) -> None:
    """The linter is live: the same Dockerfile on an untagged base fails (DL3006)."""
    text = (root / "Dockerfile").read_text(encoding="utf-8")
    floating = re.sub(r"(?m)^FROM .*$", "FROM python", text)
    (tmp_path / "Dockerfile").write_text(floating)
    result = run("hadolint", "--no-color", "Dockerfile", cwd=tmp_path)
    assert result.returncode != 0
    assert "DL3006" in result.stdout
