"""Shared fixtures of the deployment tests: the repository root, the environment variable names
the settings classes read, the default metrics ports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy_tools import documents, kustomize_build

ROOT = Path(__file__).resolve().parents[2]

# Each way of deploying to Kubernetes (deploy/k8s/README.md) -> its kustomization.
K8S_VARIANTS = {
    "annotations": "deploy/k8s",
    "prometheus-operator": "deploy/k8s/overlays/prometheus-operator",
    "keda": "deploy/k8s/overlays/keda",
}


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def known_env_names() -> set[str]:
    """Every environment variable a service reads by name: each settings class's prefix plus
    its field names, and the schemas directory override."""
    from era_classifier.settings import ClassifierSettings
    from era_contract.schemas import SCHEMAS_ENV
    from era_ingest.settings import IngestSettings
    from era_kafka.config import KafkaSettings, SchemaRegistrySettings, TopicSettings
    from era_router.settings import RouterSettings
    from era_streams.settings import WorkerSettings

    names = {SCHEMAS_ENV}
    for settings in (
        KafkaSettings,
        TopicSettings,
        SchemaRegistrySettings,
        WorkerSettings,
        IngestSettings,
        ClassifierSettings,
        RouterSettings,
    ):
        prefix = settings.model_config.get("env_prefix", "")
        for field_name, field in settings.model_fields.items():
            if field.exclude:  # e.g. KafkaSettings.passthrough: not a variable of its own
                continue
            names.add(f"{prefix}{field_name}".upper())
    return names


@pytest.fixture(scope="session")
def default_metrics_ports() -> dict[str, int]:
    """Each service's default metrics port, from its settings class."""
    from era_classifier.settings import ClassifierSettings
    from era_ingest.settings import IngestSettings
    from era_router.settings import RouterSettings

    return {
        "ingest": IngestSettings.model_fields["metrics_port"].default,
        "classifier": ClassifierSettings.model_fields["metrics_port"].default,
        "router": RouterSettings.model_fields["metrics_port"].default,
    }


@pytest.fixture(scope="session")
def k8s_rendered() -> dict[str, str]:
    """Each Kubernetes variant rendered by kustomize (YAML text)."""
    return {name: kustomize_build(ROOT / path) for name, path in K8S_VARIANTS.items()}


@pytest.fixture(scope="session")
def k8s_variants(k8s_rendered: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each Kubernetes variant rendered by kustomize, as its list of objects."""
    return {name: documents(text) for name, text in k8s_rendered.items()}
