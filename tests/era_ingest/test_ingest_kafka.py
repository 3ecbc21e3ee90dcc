"""The ingest service on a real broker: exactly the parsed events, once, even across kill -9."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT, DEAD_LETTER
from era_contract.topics import TopicNames
from era_ingest.synth import generate
from era_ingest.synth.summary import SynthSummary
from era_ingest.x12 import ParsedTransaction, Problem, parse_path
from era_kafka.config import KafkaSettings
from era_kafka.reader import end_offsets, read_topic
from era_testing import era_command, read_records, run_era

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "era-samples"


def _expected(paths: list[Path]) -> tuple[Counter[str], int]:
    """Event ids the parser gives for ``paths``, and how many dead-letter records ingest
    should write for them (rejected sets and unreadable files)."""
    ids: Counter[str] = Counter()
    dead = 0
    for path in paths:
        for item in parse_path(path):
            if isinstance(item, ParsedTransaction):
                ids.update(a["event_id"] for a in item.adjustments)
            elif isinstance(item, Problem) and (
                item.rejected or (item.segment_no == 0 and item.severity == "error")
            ):
                dead += 1
    return ids, dead


def _expected_claims(path: Path) -> tuple[set[str], set[str]]:
    """Event ids of the claims and the remittances the parser gives for ``path``."""
    sets = [item for item in parse_path(path) if isinstance(item, ParsedTransaction)]
    claims = {str(c["event_id"]) for txn in sets for c in txn.claims}
    return claims, {str(txn.remittance["event_id"]) for txn in sets if txn.remittance}


def _published(kafka: KafkaSettings, topic: str, idle: float = 3.0) -> list[dict[str, Any]]:
    codec = AvroCodec(ADJUSTMENT)
    return [codec.decode(r.value) for r in read_topic(kafka, topic, idle_timeout=idle) if r.value]


def test_ingest_publishes_exactly_the_parsed_adjustments_of_every_sample(
    kafka_settings: KafkaSettings, topic_names: TopicNames, era_env: dict[str, str]
) -> None:
    samples = sorted(p for p in SAMPLES.iterdir() if p.name != "PROVENANCE.md" and p.is_file())
    expected_ids, expected_dead = _expected(samples)
    assert sum(expected_ids.values()) > 150

    result = run_era("ingest", *map(str, samples), env=era_env, timeout=120)
    assert result.returncode == 1, "some samples are rejected, so the exit code must say so"
    published = _published(kafka_settings, topic_names.adjustments)
    # Some samples carry the same interchange in other layouts (same sender, control numbers
    # and adjustments): it is published once, from the first file.
    assert max(expected_ids.values()) > 1
    assert Counter(e["event_id"] for e in published) == Counter(set(expected_ids))
    assert "was already published from" in result.stderr
    assert all(e["ingested_at"] and e["ingested_at"] > 1_700_000_000_000 for e in published)
    dead = [
        AvroCodec(DEAD_LETTER).decode(r.value)
        for r in read_topic(kafka_settings, topic_names.deadletter, idle_timeout=2)
        if r.value
    ]
    assert len(dead) == expected_dead > 0
    assert {d["reason"] for d in dead} <= {"rejected_transaction", "unreadable_file"}

    again = run_era("ingest", *map(str, samples), env=era_env, timeout=120)
    assert "already published" in again.stdout
    assert len(_published(kafka_settings, topic_names.adjustments)) == len(published)


def _watch(inbox: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        era_command("ingest", "--watch", str(inbox)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _inbox_with_big_file(
    tmp_path: Path, *, seed: int, adjustments: int
) -> tuple[Path, SynthSummary, Counter[str]]:
    """An inbox holding one generated ``big.835`` (moved in whole), its summary and event ids."""
    staging = tmp_path / "big.835"
    with staging.open("wb") as out:
        summary = generate(out, seed=seed, target_adjustments=adjustments)
    expected_ids, _ = _expected([staging])
    assert len(expected_ids) == summary.adjustments
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.move(staging, inbox / "big.835")
    return inbox, summary, expected_ids


def test_kill_9_mid_file_then_restart_publishes_each_event_exactly_once(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    tmp_path: Path,
) -> None:
    inbox, _, expected_ids = _inbox_with_big_file(tmp_path, seed=11, adjustments=40_000)

    first = _watch(inbox, era_env)
    try:
        _wait(
            lambda: (
                sum(end_offsets(kafka_settings, topic_names.adjustments, committed=False).values())
                > 2000
            ),
            60,
            "the first records of the open transaction",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    assert (inbox / "big.835").exists(), "the file must stay in the inbox until committed"
    assert _published(kafka_settings, topic_names.adjustments, idle=2) == [], (
        "nothing of a killed transaction may be visible to read_committed consumers"
    )

    second = _watch(inbox, era_env)
    try:
        _wait((inbox / "done" / "big.835").exists, 90, "the file to be done")
    finally:
        _stop(second)
    published = Counter(e["event_id"] for e in _published(kafka_settings, topic_names.adjustments))
    assert published == expected_ids
    assert max(published.values()) == 1


def test_a_big_file_commits_at_set_boundaries_and_resumes_after_kill_9(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    tmp_path: Path,
) -> None:
    inbox, summary, expected_ids = _inbox_with_big_file(tmp_path, seed=12, adjustments=30_000)
    env = {**era_env, "ERA_INGEST_TRANSACTION_MAX_ADJUSTMENTS": "3000"}

    def committed() -> int:
        return sum(end_offsets(kafka_settings, topic_names.adjustments, committed=True).values())

    first = _watch(inbox, env)
    try:
        _wait(lambda: committed() > 3000, 60, "a first transaction of the file to commit")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    assert (inbox / "big.835").exists(), "the file must stay in the inbox until all committed"
    visible = Counter(e["event_id"] for e in _published(kafka_settings, topic_names.adjustments))
    assert 3000 <= sum(visible.values()) < summary.adjustments, "killed before the file's end"
    assert set(visible) <= set(expected_ids)

    second = _watch(inbox, env)
    try:
        _wait((inbox / "done" / "big.835").exists, 90, "the file to be done")
    finally:
        _stop(second)
    published = Counter(e["event_id"] for e in _published(kafka_settings, topic_names.adjustments))
    assert published == expected_ids, "resumed after the last committed set: none lost, none twice"
    claims, remittances = _expected_claims(inbox / "done" / "big.835")
    on_claims = Counter(c["event_id"] for c in read_records(kafka_settings, topic_names.claims))
    assert on_claims == Counter(claims), "claims commit with their set's adjustments"
    checks = Counter(r["event_id"] for r in read_records(kafka_settings, topic_names.remittances))
    assert checks == Counter(remittances)
    report = json.loads((inbox / "done" / "big.835.report.json").read_text())
    assert report["outcome"] == "accepted"
    assert report["adjustments"] == summary.adjustments
    assert (report["claims"], report["remittances"]) == (len(claims), len(remittances))
    assert report["transactions_accepted"] == summary.transactions


def test_kill_9_during_a_batch_loses_and_doubles_no_file(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = []
    for seed in range(4):
        staging = tmp_path / f"batch-{seed}.835"
        with staging.open("wb") as out:
            generate(out, seed=100 + seed, target_adjustments=8_000)
        files.append(staging)
    expected_ids, _ = _expected(files)
    for path in files:
        shutil.move(path, inbox / path.name)

    first = _watch(inbox, era_env)
    try:
        _wait(lambda: len(list((inbox / "done").glob("*.835"))) >= 1, 90, "a first file done")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    done_before = len(list((inbox / "done").glob("*.835")))
    assert done_before < 4, "the kill must land inside the batch"

    second = _watch(inbox, era_env)
    try:
        _wait(lambda: len(list((inbox / "done").glob("*.835"))) == 4, 120, "all files done")
    finally:
        _stop(second)
    published = Counter(e["event_id"] for e in _published(kafka_settings, topic_names.adjustments))
    assert published == expected_ids
    assert max(published.values()) == 1
    assert not list((inbox / "rejected").iterdir())


def test_phi_mode_tokenize_publishes_no_names_or_member_ids(
    kafka_settings: KafkaSettings, topic_names: TopicNames, era_env: dict[str, str]
) -> None:
    sample = SAMPLES / "lfh_demo.835"
    env = {**era_env, "ERA_PHI_MODE": "tokenize", "ERA_PHI_TOKEN_KEY": "k" * 32}
    result = run_era("ingest", str(sample), env=env, timeout=120)
    assert "accepted" in result.stdout, result.stderr
    published = _published(kafka_settings, topic_names.adjustments)
    assert len(published) == 3
    claims = [e for e in published if e["level"] != "provider"]
    assert len(claims) == 2
    assert all(e["patient_name"].startswith("tok:") for e in claims)
    assert all(e["member_id"].startswith("tok:") for e in claims)
    assert not any("JONES" in str(e) or "666666666A" in str(e) for e in published)
    claim_events = read_records(kafka_settings, topic_names.claims)
    assert len(claim_events) == 2
    assert all(c["patient_name"].startswith("tok:") for c in claim_events)
    assert all(c["member_id"].startswith("tok:") for c in claim_events)
    assert not any("JONES" in str(c) or "666666666A" in str(c) for c in claim_events)
    tokens = {(e["claim_id"], e["patient_name"], e["member_id"]) for e in claims}
    assert tokens == {(c["claim_id"], c["patient_name"], c["member_id"]) for c in claim_events}

    bad = run_era("ingest", str(sample), env={**env, "ERA_PHI_TOKEN_KEY": "short"}, timeout=60)
    assert bad.returncode == 2
    assert "ERA_PHI_TOKEN_KEY of at least 16 characters" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_file_over_the_size_limit_is_rejected_and_dead_lettered(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "lfh_demo.835", inbox / "big.835")
    watcher = _watch(inbox, {**era_env, "ERA_INGEST_MAX_FILE_BYTES": "100"})
    try:
        _wait((inbox / "rejected" / "big.835").exists, 60, "the file to be rejected")
    finally:
        _stop(watcher)
    report = json.loads((inbox / "rejected" / "big.835.report.json").read_text())
    assert report["outcome"] == "rejected"
    assert "over the limit of 100" in report["problems"][0]
    assert _published(kafka_settings, topic_names.adjustments, idle=1) == []
    dead = [
        AvroCodec(DEAD_LETTER).decode(r.value)
        for r in read_topic(kafka_settings, topic_names.deadletter, idle_timeout=2)
        if r.value
    ]
    assert [(d["reason"], d["file"]) for d in dead] == [("file_too_large", "big.835")]


QUIRKS = SAMPLES.parent / "era-quirks"


def test_quirky_files_are_published_whole_with_their_warnings_and_exit_zero(
    kafka_settings: KafkaSettings, topic_names: TopicNames, era_env: dict[str, str]
) -> None:
    # every quirk fixture holds the clean file's set, its control-delimiter twin (other PLB
    # composite, other ids) or the second interchange: 18 adjustments, each published once
    quirks = sorted(QUIRKS.glob("*.835"))
    expected_ids, expected_dead = _expected(quirks)
    assert expected_dead == 0 and len(expected_ids) == 18
    result = run_era("ingest", *map(str, quirks), env=era_env, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    published = _published(kafka_settings, topic_names.adjustments)
    assert Counter(e["event_id"] for e in published) == Counter(set(expected_ids))
    wrapped = QUIRKS / "wrapped-80-crlf.835"
    assert f"{wrapped}:1: WARNING line breaks inside the ISA header dropped" in result.stderr
    header = QUIRKS / "header-text.835"
    assert f"{header}:1: WARNING skipped 54 characters of text before the first ISA" in (
        result.stderr
    )


def test_a_wrong_se01_is_published_with_a_warning_and_exits_zero(
    kafka_settings: KafkaSettings, topic_names: TopicNames, era_env: dict[str, str]
) -> None:
    path = QUIRKS / "se01-off-by-one.835"
    result = run_era("ingest", str(path), env=era_env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{path}\taccepted\t6 adjustments" in result.stdout
    assert f"{path}:32: WARNING SE01: expected 30 (segments from ST to SE), got 31" in (
        result.stderr
    )
    assert len(_published(kafka_settings, topic_names.adjustments)) == 6


def test_strict_ingest_rejects_a_wrong_se01_and_exits_one(
    kafka_settings: KafkaSettings, topic_names: TopicNames, era_env: dict[str, str]
) -> None:
    path = QUIRKS / "se01-off-by-one.835"
    result = run_era("ingest", "--strict", str(path), env=era_env, timeout=120)
    assert result.returncode == 1, result.stderr
    assert f"{path}\trejected\t0 adjustments" in result.stdout
    assert f"{path}:32: SE01: expected 30 (segments from ST to SE), got 31" in result.stderr
    dead = [
        AvroCodec(DEAD_LETTER).decode(r.value)
        for r in read_topic(kafka_settings, topic_names.deadletter, idle_timeout=2)
        if r.value
    ]
    assert [d["reason"] for d in dead] == ["rejected_transaction"]
    assert _published(kafka_settings, topic_names.adjustments, idle=1.0) == []
