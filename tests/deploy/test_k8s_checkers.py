"""deploy/k8s checked by the Kubernetes ecosystem's own tools, on what kustomize renders:
kubeconform against the real Kubernetes JSON schemas (strict: no unknown field), kube-score
with warnings counted as failures. Each check is also shown to reject a broken manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_tools import KUBERNETES_VERSION, kubernetes_schemas, run

pytestmark = pytest.mark.unit

VARIANTS = ("annotations", "prometheus-operator", "keda")
# Custom resources: not in the Kubernetes schemas. The PodMonitor is decoded strictly into the
# Prometheus Operator's Go API types by deploy/k8s/crdcheck; KEDA's two kinds are checked field
# by field in test_k8s.py (KEDA's API types come only with all of KEDA).
CUSTOM_KINDS = ("PodMonitor", "ScaledObject", "TriggerAuthentication")


@pytest.fixture(scope="module")
def schema_location(tmp_path_factory: pytest.TempPathFactory) -> str:
    return kubernetes_schemas(tmp_path_factory.mktemp("k8s-schemas"))


def _kubeconform(schema_location: str, manifest: Path) -> tuple[int, str]:
    result = run(
        "kubeconform",
        "-strict",
        "-summary",
        "-output",
        "text",
        "-kubernetes-version",
        KUBERNETES_VERSION,
        "-schema-location",
        schema_location,
        "-skip",
        ",".join(CUSTOM_KINDS),
        str(manifest),
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_kubeconform_accepts_every_rendered_object(
    k8s_rendered: dict[str, str], schema_location: str, tmp_path: Path, variant: str
) -> None:
    manifest = tmp_path / f"{variant}.yaml"
    manifest.write_text(k8s_rendered[variant])
    code, output = _kubeconform(schema_location, manifest)
    assert code == 0, output
    objects = k8s_rendered[variant].count("\nkind: ") + k8s_rendered[variant].startswith("kind:")
    custom = sum(k8s_rendered[variant].count(f"\nkind: {kind}\n") for kind in CUSTOM_KINDS)
    assert f"Valid: {objects - custom}, Invalid: 0, Errors: 0, Skipped: {custom}" in output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      containers:\n", "      containerz: []\n      containers:\n", "containerz"),
        ("containerPort: 8002\n", "containerPort: metrics\n", "containerPort"),
        ("apiVersion: autoscaling/v2\n", "apiVersion: autoscaling/v3\n", "could not find schema"),
    ],
)
def test_kubeconform_rejects_a_broken_manifest(
    k8s_rendered: dict[str, str],
    schema_location: str,
    tmp_path: Path,
    old: str,
    new: str,
    message: str,
) -> None:
    text = k8s_rendered["annotations"]
    assert old in text
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(text.replace(old, new, 1))
    code, output = _kubeconform(schema_location, manifest)
    assert code != 0
    assert message in output


def _kube_score(manifest: Path) -> tuple[int, str]:
    result = run(
        "kube-score", "score", "--exit-one-on-warning", "--output-format", "ci", str(manifest)
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_kube_score_finds_nothing(
    k8s_rendered: dict[str, str], tmp_path: Path, variant: str
) -> None:
    manifest = tmp_path / f"{variant}.yaml"
    manifest.write_text(k8s_rendered[variant])
    code, output = _kube_score(manifest)
    problems = [line for line in output.splitlines() if not line.startswith(("[OK]", "[SKIPPED]"))]
    assert code == 0 and not problems, "\n".join(problems)
    assert output.count("[OK]") > 50


def test_kube_score_rejects_a_weaker_manifest(k8s_rendered: dict[str, str], tmp_path: Path) -> None:
    text = k8s_rendered["annotations"]
    weaker = text.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
    assert weaker != text
    manifest = tmp_path / "weaker.yaml"
    manifest.write_text(weaker)
    code, output = _kube_score(manifest)
    assert code != 0
    assert "[CRITICAL]" in output and "writable root filesystem" in output


def test_crdcheck_accepts_the_pod_monitor(k8s_rendered: dict[str, str], tmp_path: Path) -> None:
    manifest = tmp_path / "prometheus-operator.yaml"
    manifest.write_text(k8s_rendered["prometheus-operator"])
    result = run("crdcheck", str(manifest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PodMonitor era-pipeline is valid" in result.stdout
    assert "Summary: 1 Prometheus Operator resources, 0 invalid" in result.stdout


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  jobLabel: app.kubernetes.io/name\n", "  jobLable: app.kubernetes.io/name\n"),
        ("    path: /metrics\n", "    path: [/metrics]\n"),
    ],
)
def test_crdcheck_rejects_a_broken_pod_monitor(
    k8s_rendered: dict[str, str], tmp_path: Path, old: str, new: str
) -> None:
    text = k8s_rendered["prometheus-operator"]
    assert old in text
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(text.replace(old, new, 1))
    result = run("crdcheck", str(manifest))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PodMonitor era-pipeline is invalid" in result.stdout
