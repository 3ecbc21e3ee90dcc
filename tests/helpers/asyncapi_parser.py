"""Run the official AsyncAPI parser (``@asyncapi/parser`` with ``@asyncapi/avro-schema-parser``,
from the npm registry) on a document, with node.

The packages pinned in ``tests/deploy/asyncapi-parser/package-lock.json`` are installed with
``npm ci`` into ``var/asyncapi-parser/<digest>`` once per change of the lock or the script.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "deploy" / "asyncapi-parser"
FILES = ("package.json", "package-lock.json", "validate.cjs")


class AsyncApiParserError(RuntimeError):
    """node or npm is missing, the install failed, or the parser crashed."""


def install() -> Path:
    """The directory holding ``validate.cjs`` and its ``node_modules``, installed when missing."""
    sha = hashlib.sha256()
    for name in FILES:
        sha.update(name.encode() + b"\0" + (SOURCE / name).read_bytes())
    target = ROOT / "var" / "asyncapi-parser" / sha.hexdigest()[:12]
    if (target / ".complete").exists():
        return target
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise AsyncApiParserError("node and npm are needed for the AsyncAPI parser check")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(SOURCE / name, target / name)
    command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    result = subprocess.run(command, cwd=target, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AsyncApiParserError(f"npm ci failed:\n{result.stdout}{result.stderr}")
    (target / ".complete").write_text("ok\n")
    return target


def parse(document: Path) -> dict[str, Any]:
    """The parser's verdict on ``document``: ``diagnostics`` (severity 0 = error, 1 = warning,
    2 = information, 3 = hint) and, when it parsed, the document's channels, operations and
    servers as the parser's model reads them."""
    directory = install()
    result = subprocess.run(
        ["node", str(directory / "validate.cjs"), str(document)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        raise AsyncApiParserError(f"the AsyncAPI parser failed:\n{result.stderr}")
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed
