"""Ingest's denial metrics on the hand-made fixtures (tests/data/denials): adjudicated and
denied claims per location and payer, denied dollars and causes, the last remittance per payer
— counted from a committed tally only, with the location label bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from era_analytics.definition import judge_all
from era_analytics.locations import LocationLabels, LocationMap
from era_ingest.metrics import IngestMetrics
from era_ingest.records import Tally
from era_ingest.x12 import ParsedTransaction, parse_path

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[1] / "data" / "denials"


def _tally(cap: int = 50) -> Tally:
    labels = LocationLabels(LocationMap.load(DATA / "locations.csv"), cap)
    tally = Tally()
    for path in sorted(DATA.glob("*.835")):
        for txn in parse_path(path):
            assert isinstance(txn, ParsedTransaction)
            tally.add_verdicts(judge_all(txn.claims, txn.adjustments), labels)
            tally.remittance_payers.add(txn.payer_id or "unknown")
    return tally


def _samples(registry: CollectorRegistry, name: str) -> dict[tuple[str, ...], float]:
    found: dict[tuple[str, ...], float] = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sample.labels.values())] = sample.value
    return found


def test_the_fixtures_counts_per_location_payer_and_cause() -> None:
    registry = CollectorRegistry()
    IngestMetrics(registry).record_committed(_tally(), now=1_700_000_000.0)
    assert _samples(registry, "era_ingest_claims_adjudicated_total") == {
        ("North Office", "DENT1"): 4,
        ("South Office", "DENT1"): 4,
        ("North Office", "MED2"): 3,
        ("3333333333", "MED2"): 13,
    }
    assert _samples(registry, "era_ingest_claims_denied_total") == {
        ("North Office", "DENT1", "credentialing"): 1,
        ("North Office", "DENT1", "coding"): 1,
        ("South Office", "DENT1", "verification"): 1,
        ("North Office", "MED2", "verification"): 2,
        ("3333333333", "MED2", "coding"): 1,
    }
    dollars = _samples(registry, "era_ingest_denied_dollars_total")
    assert dollars[("North Office", "MED2", "verification")] == 1000.0
    assert sum(dollars.values()) == 1200 + 1200 + 250 + 1000 + 500
    assert _samples(registry, "era_ingest_last_remittance_timestamp_seconds") == {
        ("DENT1",): 1_700_000_000.0,
        ("MED2",): 1_700_000_000.0,
    }


def test_unmapped_npis_beyond_the_cap_are_counted_as_other() -> None:
    registry = CollectorRegistry()
    IngestMetrics(registry).record_committed(_tally(cap=0))
    adjudicated = _samples(registry, "era_ingest_claims_adjudicated_total")
    assert adjudicated[("other", "MED2")] == 13
    assert {location for location, _ in adjudicated} == {"North Office", "South Office", "other"}


def test_nothing_is_counted_before_the_commit() -> None:
    registry = CollectorRegistry()
    IngestMetrics(registry)
    _tally()  # a tally that never commits (an aborted transaction)
    assert _samples(registry, "era_ingest_claims_adjudicated_total") == {}
    assert _samples(registry, "era_ingest_last_remittance_timestamp_seconds") == {}


def test_a_bad_mapping_file_stops_ingest_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from era_ingest.service import publish_files

    mapping = tmp_path / "locations.csv"
    mapping.write_text("npi,name\n1111111111,North\n12345,South\n", encoding="utf-8")
    monkeypatch.setenv("ERA_INGEST_LOCATIONS", str(mapping))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # never reached
    assert publish_files([DATA / "dental-north-south.835"]) == 2
    assert f"{mapping}:3: column npi: expected 10 digits" in capsys.readouterr().err
