"""Build and run the Java consumer of ``tests/interop/java-consumer`` (kafka-clients + Apache
Avro from Maven Central, no code of this project).

The build is cached in ``var/java-consumer/<digest>`` by the digest of its pom and sources, so
Maven runs once per change; the jars stay in Maven's own local repository.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "tests" / "interop" / "java-consumer"


class JavaReaderError(RuntimeError):
    """The Java consumer could not be built or failed; the message has Maven's or Java's output."""


def _digest() -> str:
    sha = hashlib.sha256()
    for path in sorted([PROJECT / "pom.xml", *(PROJECT / "src").rglob("*.java")]):
        sha.update(path.relative_to(PROJECT).as_posix().encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:12]


def build() -> Path:
    """The build directory (``classes/`` and ``lib/``), built first when missing."""
    target = ROOT / "var" / "java-consumer" / _digest()
    if (target / ".complete").exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise JavaReaderError("Maven (mvn) is not on PATH; it builds the Java consumer")
    shutil.rmtree(target, ignore_errors=True)
    command = [mvn, "-q", "-B", "-f", str(PROJECT / "pom.xml"), f"-Dera.build.dir={target}"]
    result = subprocess.run([*command, "package"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise JavaReaderError(f"mvn package failed:\n{result.stdout}{result.stderr}")
    (target / ".complete").write_text("ok\n")
    return target


@dataclass(frozen=True, slots=True)
class JavaRead:
    """What the Java consumer printed: one dict per record, and the count per topic."""

    records: list[dict[str, Any]]
    counts: dict[str, int]


def read_topics(
    bootstrap: str,
    topics: list[str],
    *,
    schemas: Path,
    schema_ids: Path | None = None,
    group: str = "era-java-reader",
    timeout: float = 120,
) -> JavaRead:
    """Run the Java consumer over ``topics`` (read_committed, to their end) and parse its
    output."""
    target = build()
    java = shutil.which("java")
    if java is None:
        raise JavaReaderError("java is not on PATH")
    classpath = ":".join([str(target / "classes"), str(target / "lib" / "*")])
    command = [java, "-cp", classpath, "org.eraflow.interop.EraTopicReader"]
    command += ["--bootstrap", bootstrap, "--topics", ",".join(topics), "--group", group]
    command += ["--schemas", str(schemas), "--timeout-seconds", str(int(timeout))]
    if schema_ids is not None:
        command += ["--schema-ids", str(schema_ids)]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=timeout + 30
    )
    if result.returncode != 0:
        raise JavaReaderError(f"the Java consumer failed:\n{result.stdout}{result.stderr}")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    *records, last = lines
    return JavaRead(records=records, counts=last["counts"])
