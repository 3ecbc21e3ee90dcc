"""Every service logs JSON lines and no patient name or member id, even at DEBUG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from era_contract.topics import TopicNames
from era_ingest.x12 import ParsedTransaction, parse_path
from era_kafka.config import KafkaSettings
from era_testing import committed_count, run_era, wait_for

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "era-samples"


def _phi(paths: list[Path]) -> set[str]:
    """Patient names, their parts and member ids found in ``paths``."""
    values: set[str] = set()
    for path in paths:
        for item in parse_path(path):
            if not isinstance(item, ParsedTransaction):
                continue
            for adjustment in item.adjustments:
                for field in ("patient_name", "member_id"):
                    value = adjustment[field]
                    if value:
                        values.add(str(value))
                        values.update(part for part in str(value).split(", ") if len(part) >= 4)
    return values


def test_logs_are_json_lines_without_phi(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    tmp_path: Path,
) -> None:
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix != ".md")
    phi = _phi(samples)
    assert {"JONES, SAM", "666666666A"} <= phi  # lfh_demo.835 (a real test of the grep)
    era_env["ERA_LOG_LEVEL"] = "DEBUG"
    start_worker("classifier")
    start_worker("router")
    ingest = run_era("ingest", *map(str, samples), env=era_env, timeout=180)
    assert "adjustments" in ingest.stdout
    wait_for(
        lambda: committed_count(kafka_settings, list(topic_names.routes.values())) > 150,
        120,
        "the samples to be routed",
    )

    logs = {"ingest": ingest.stderr.splitlines()}
    for log in tmp_path.glob("*.log"):
        logs[log.name] = log.read_text().splitlines()
    assert len(logs) == 3
    for name, lines in logs.items():
        assert lines, f"{name} logged nothing"
        for line in lines:
            if not line.strip():
                continue
            if name == "ingest" and not line.startswith("{"):
                # era ingest's own report lines on stderr: FILE:SEGMENT: problem (no PHI either)
                assert ":" in line, line
            else:
                entry = json.loads(line)
                assert {"ts", "level", "logger", "message"} <= set(entry), line
            leaked = [value for value in phi if value in line]
            assert not leaked, f"{name} logged PHI {leaked}: {line[:200]}"
