"""The layers run one way (docs/architecture.md): ``lib/`` imports only ``lib/``; a service
imports ``lib/`` and its own package, never another service or the CLI; the CLI (``cli/``) sits
on top. Read from the source with ``ast``, so an import inside a function counts as well."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Package:
    """One top-level package of the project and the layer it belongs to."""

    name: str
    layer: str  # "lib", "service" or "cli"
    path: Path
    owner: str  # the folder that holds it: lib, services/<svc> or cli


def project_packages(root: Path) -> dict[str, Package]:
    """Every package of ``root``'s three layers, by import name."""
    found: dict[str, Package] = {}
    places = [("lib", root / "lib"), ("cli", root / "cli")]
    places += [("service", svc) for svc in sorted((root / "services").glob("*")) if svc.is_dir()]
    for layer, folder in places:
        for init in sorted(folder.glob("*/__init__.py")):
            name = init.parent.name
            assert name not in found, f"package {name} exists twice: {found[name].path}, {init}"
            owner = str(folder.relative_to(root))
            found[name] = Package(name, layer, init.parent, owner)
    return found


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``; relative imports stay inside
    their package and are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def allowed(importer: Package, imported: Package) -> bool:
    """The rule: lib → lib; service → lib or its own folder; cli → anything."""
    if importer.layer == "cli":
        return True
    if imported.layer == "lib":
        return True
    return importer.layer == "service" and imported.owner == importer.owner


def violations(root: Path) -> list[str]:
    """Every import of ``root`` that runs the wrong way, as ``file:line: a imports b``."""
    packages = project_packages(root)
    problems: list[str] = []
    for package in packages.values():
        for source in sorted(package.path.rglob("*.py")):
            for line, module in imported_modules(source):
                target = packages.get(module.split(".", 1)[0])
                if target is not None and not allowed(package, target):
                    where = source.relative_to(root)
                    problems.append(
                        f"{where}:{line}: {package.layer} {package.name} imports"
                        f" {target.layer} {module}"
                    )
    return problems


def test_the_project_imports_run_one_way() -> None:
    assert violations(ROOT) == []


def test_the_layers_hold_the_expected_packages() -> None:
    packages = project_packages(ROOT)
    layers = {name: package.layer for name, package in packages.items()}
    assert layers["era_cli"] == "cli", "the era command sits on top, in cli/"
    for name in ("era_contract", "era_kafka", "era_streams"):
        assert layers[name] == "lib"
    for name in ("era_ingest", "era_classifier", "era_router"):
        assert layers[name] == "service"


def test_each_service_owns_its_wiring_in_service_py() -> None:
    services = [p for p in project_packages(ROOT).values() if p.layer == "service"]
    assert len(services) >= 3
    for package in services:
        wiring = package.path / "service.py"
        assert wiring.is_file(), f"{package.name} has no service.py"
        tree = ast.parse(wiring.read_text(encoding="utf-8"))
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "main" in functions, f"{wiring.relative_to(ROOT)} has no main()"


def test_no_module_is_called_app() -> None:
    """ "app" meant three things (a faust host, a service's wiring, the ingest publisher)."""
    named_app = [
        str(path.relative_to(ROOT))
        for package in project_packages(ROOT).values()
        for path in package.path.rglob("app.py")
    ]
    assert named_app == []


def _write(root: Path, relative: str, text: str = "") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_wrong_way_import_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "lib/era_base/__init__.py", "import json\n")
    _write(tmp_path, "lib/era_base/bad.py", "def f():\n    from era_one.logic import x\n")
    _write(tmp_path, "services/one/era_one/__init__.py", "from era_base import y\n")
    _write(tmp_path, "services/one/era_one/logic.py", "from . import z\nimport era_one.more\n")
    _write(tmp_path, "services/two/era_two/__init__.py", "import era_one.logic\n")
    _write(tmp_path, "services/two/era_two/cmd.py", "from era_cli.main import main\n")
    _write(tmp_path, "cli/era_cli/__init__.py", "import era_one, era_two, era_base\n")
    _write(tmp_path, "cli/era_cli/main.py", "")

    assert violations(tmp_path) == [
        "lib/era_base/bad.py:2: lib era_base imports service era_one.logic",
        "services/two/era_two/__init__.py:1: service era_two imports service era_one.logic",
        "services/two/era_two/cmd.py:1: service era_two imports cli era_cli.main",
    ]
