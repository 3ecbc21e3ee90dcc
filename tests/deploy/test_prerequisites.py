"""deploy/local/prerequisites.sh, the set-up step of `make run` and `make test`, on a machine that
lacks the tools: a PATH holding only bash and stand-ins (an ``apt-get`` that records its
arguments, an ``id`` that says root or not, and whichever tools the case has), so the
missing-tool path runs for real without removing anything from this machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "prerequisites.sh"
RUN_PACKAGES = ["openjdk-17-jre-headless", "maven"]
TEST_PACKAGES = [*RUN_PACKAGES, "prometheus", "prometheus-alertmanager", "nodejs", "npm"]
ALL_TOOLS = (
    *("java", "mvn", "prometheus", "promtool", "prometheus-alertmanager", "amtool"),
    *("node", "npm", "go", "cc"),
)


def _stand_in(bin_dir: Path, name: str, body: str = "exit 0") -> None:
    path = bin_dir / name
    path.write_text(f"#!{shutil.which('bash')}\n{body}\n")
    path.chmod(0o755)


def _run(
    tmp_path: Path,
    mode: str,
    *,
    present: tuple[str, ...] = (),
    uid: int = 0,
    python: str = sys.executable,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the script with only ``present`` tools on PATH; returns the process and the
    apt-get calls (one line of arguments each)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt-get.log"
    _stand_in(bin_dir, "apt-get", f'echo "$*" >> {log}')
    _stand_in(bin_dir, "id", f"echo {uid}")
    for name in present:
        _stand_in(bin_dir, name)
    result = subprocess.run(
        [str(shutil.which("bash")), str(SCRIPT), mode],
        env={"PATH": str(bin_dir), "PYTHON": python},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def test_as_root_run_installs_java_and_maven(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, "run")
    assert result.returncode == 0, result.stderr
    assert calls == [
        "update -q",
        f"install -y -q --no-install-recommends {' '.join(RUN_PACKAGES)}",
    ]


def test_as_root_test_installs_prometheus_and_alertmanager_too(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, "test", present=("go",))
    assert result.returncode == 0, result.stderr
    assert calls == [
        "update -q",
        f"install -y -q --no-install-recommends {' '.join(TEST_PACKAGES)}",
    ]
    assert "missing: java mvn prometheus promtool" in result.stderr


def test_only_the_missing_packages_are_installed(tmp_path: Path) -> None:
    present = tuple(name for name in ALL_TOOLS if name not in {"promtool", "amtool"})
    result, calls = _run(tmp_path, "test", present=present)
    assert result.returncode == 0, result.stderr
    assert calls[-1] == "install -y -q --no-install-recommends prometheus prometheus-alertmanager"


def test_nothing_is_installed_when_nothing_is_missing(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, "test", present=ALL_TOOLS)
    assert result.returncode == 0, result.stderr
    assert calls == []
    assert result.stderr == ""


def test_no_c_compiler_is_a_note_not_a_failure(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, "test", present=tuple(t for t in ALL_TOOLS if t != "cc"))
    assert result.returncode == 0, result.stderr
    assert calls == []
    assert "no C compiler" in result.stderr


def test_not_root_names_what_to_install_and_fails(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, "test", present=("go",), uid=1000)
    assert result.returncode == 1
    assert calls == []
    for command, package in [
        ("java", "openjdk-17-jre-headless"),
        ("mvn", "maven"),
        ("prometheus", "prometheus"),
        ("promtool", "prometheus"),
        ("amtool", "prometheus-alertmanager"),
    ]:
        assert any(
            line.split()[:1] == [command] and line.endswith(f"package {package}")
            for line in result.stderr.splitlines()
        ), f"{command}: {result.stderr}"
    assert f"sudo apt-get install {' '.join(TEST_PACKAGES)}" in result.stderr


def test_a_python_without_venv_is_named(tmp_path: Path) -> None:
    no_venv = tmp_path / "python-without-venv"
    no_venv.write_text(f"#!{shutil.which('bash')}\nexit 1\n")
    no_venv.chmod(0o755)
    result, _ = _run(tmp_path, "run", present=("java", "mvn"), uid=1000, python=str(no_venv))
    assert result.returncode == 1
    assert "python3-venv" in result.stderr


def test_missing_go_is_named_never_installed_from_debian(tmp_path: Path) -> None:
    present = tuple(name for name in ALL_TOOLS if name != "go")
    result, calls = _run(tmp_path, "test", present=present)
    assert result.returncode == 1
    assert calls == []  # Debian's Go is too old for the checkers
    assert "Go is missing" in result.stderr
    assert "kubeconform" in result.stderr


def test_setup_needs_only_python(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, "python", uid=1000)
    assert result.returncode == 0, result.stderr
    assert calls == []


def test_run_needs_neither_prometheus_nor_go(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, "run", present=("java", "mvn"), uid=1000)
    assert result.returncode == 0, result.stderr
    assert calls == []


@pytest.mark.parametrize(
    ("target", "mode"), [("run", "run"), ("test", "test"), ("test-unit", "test")]
)
def test_make_runs_the_set_up_first(target: str, mode: str) -> None:
    """`make run` / `make test` (dry run, -n) start with the prerequisites and, for the tests,
    the Go-built checkers; the tests then find var/tools/bin on PATH."""
    root = SCRIPT.parents[2]
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", target],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = result.stdout.splitlines()
    assert f"deploy/local/prerequisites.sh {mode}" in lines[0]
    if mode == "test":
        assert any("tools" in line for line in lines[1:3])
        (pytest_line,) = [line for line in lines if line.endswith(("pytest", "pytest -m unit"))]
        assert pytest_line.startswith(f'PATH="{root}/var/tools/bin:')
    else:
        assert lines[-1].endswith("deploy/local/pipeline.sh run")
