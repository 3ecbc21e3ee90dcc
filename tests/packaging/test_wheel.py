"""The built wheel stands alone: installed into a fresh virtualenv outside the checkout, its
``era explain`` finds the Avro schemas and the code lists as package data and explains a sample
exactly as the checkout does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from era_testing import run_era

pytestmark = pytest.mark.integration  # builds and installs (dependencies from PyPI or pip's cache)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "era-samples" / "badx12_X221-multiple-claims-single-check.edi"
SOURCES = ("pyproject.toml", "setup.py", "README.md", "lib", "cli", "services", "schemas")


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{argv[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_installed_wheel_explains_a_sample_outside_the_checkout(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERA_", "PYTHON", "VIRTUAL"))}
    source = tmp_path / "source"  # built from a copy: the checkout stays clean
    source.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.so")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=skip)
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        tmp_path, env, 300,
    )  # fmt: skip
    (wheel,) = dist.glob("era_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "era_contract/schemas/adjustment.avsc" in names
    assert any(n.startswith("era_contract/schemas/releases/0.1.0/") for n in names)
    assert "era_cli/main.py" in names
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler:  # the parser's compiled helpers are built into the wheel
        assert any(n.startswith("era_ingest/x12/_speedups.") for n in names), sorted(names)[:5]

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env, 120)
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], tmp_path, env, 600)
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import era_contract; print(era_contract.__file__)"],
        tmp_path, env, 60,
    )  # fmt: skip
    assert where.startswith(str(venv)), f"era_contract came from {where}, not the new venv"
    probe = "from era_ingest.x12 import speedups; print(speedups.COMPILED)"
    compiled = _run([str(venv / "bin" / "python"), "-c", probe], tmp_path, env, 60)
    assert compiled.strip() == str(bool(compiler)), "the installed parser runs its compiled helpers"

    work = tmp_path / "elsewhere"
    work.mkdir()
    sample = work / SAMPLE.name
    sample.write_bytes(SAMPLE.read_bytes())
    installed = _run(
        [str(venv / "bin" / "era"), "explain", "--format", "jsonl", sample.name], work, env, 120
    )
    assert installed.strip(), "no adjustments explained"
    checkout = run_era("explain", "--format", "jsonl", str(sample))
    assert checkout.returncode == 0
    assert installed.splitlines() == checkout.stdout.replace(str(sample), sample.name).splitlines()
