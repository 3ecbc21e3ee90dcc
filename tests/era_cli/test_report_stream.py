"""`era report --by` from the topics agrees with `era report --by` offline on the same files,
against a real broker: ingest publishes the fixtures' claims and adjustments, the report reads
them back from era.claims and era.adjustments and judges them with the same definition."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from era_contract.topics import TopicNames

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "denials"
FILES = [str(p) for p in sorted(DATA.glob("*.835"))]
MAP = str(DATA / "locations.csv")


def _era(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "era_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    "by", ["location", "location,payer,carc,upstream_cause", "payer,upstream_cause"]
)
def test_stream_and_offline_figures_agree(topic_names: TopicNames, by: str) -> None:
    ingest = _era("ingest", *FILES)
    assert ingest.returncode == 0, ingest.stderr
    common = ("report", "--by", by, "--format", "jsonl", "--locations", MAP)

    offline = _era(*common, *FILES)
    stream = _era(*common, "--idle-timeout", "2")

    assert (offline.returncode, stream.returncode) == (0, 0), stream.stderr
    offline_rows = [json.loads(line) for line in offline.stdout.splitlines()]
    stream_rows = [json.loads(line) for line in stream.stdout.splitlines()]
    assert len(offline_rows) >= 3
    assert stream_rows == offline_rows


def test_stream_report_of_empty_topics_prints_nothing(topic_names: TopicNames) -> None:
    result = _era("report", "--by", "location", "--format", "jsonl", "--idle-timeout", "1")
    assert (result.returncode, result.stdout) == (0, "")
