"""Ingest on a real broker: the whole remittance on era.remittances, era.claims and
era.adjustments, each check reproducible from the topics alone."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from era_contract.topics import TopicNames
from era_ingest.x12 import ParsedTransaction, parse_path
from era_kafka.config import KafkaSettings
from era_testing import read_records, run_era

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "era-samples"


def _expected(paths: list[Path]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Remittances and claims the parser gives for ``paths``, by event id (a set repeated in
    another file has the same ids and is published once)."""
    remittances: dict[str, dict[str, Any]] = {}
    claims: dict[str, dict[str, Any]] = {}
    for path in paths:
        for item in parse_path(path):
            if isinstance(item, ParsedTransaction):
                remittance = item.remittance
                assert remittance is not None
                remittances.setdefault(str(remittance["event_id"]), remittance)
                for claim in item.claims:
                    claims.setdefault(str(claim["event_id"]), claim)
    return remittances, claims


def _amount(values: list[Any]) -> Decimal:
    return sum((Decimal(str(v)) for v in values), Decimal(0))


def test_every_check_claim_and_line_once_and_the_totals_from_the_topics_alone(
    kafka_settings: KafkaSettings, topic_names: TopicNames, era_env: dict[str, str]
) -> None:
    samples = sorted(p for p in SAMPLES.iterdir() if p.suffix != ".md" and p.is_file())
    expected_remittances, expected_claims = _expected(samples)
    run_era("ingest", *map(str, samples), env=era_env, timeout=180)

    remittances = read_records(kafka_settings, topic_names.remittances)
    claims = read_records(kafka_settings, topic_names.claims)
    adjustments = read_records(kafka_settings, topic_names.adjustments)

    # every accepted set and every CLP exactly once
    assert Counter(r["event_id"] for r in remittances) == Counter(set(expected_remittances))
    assert Counter(c["event_id"] for c in claims) == Counter(set(expected_claims))
    # every SVC of every claim exactly once, paid in full or not, as parsed
    for claim in claims:
        parsed = expected_claims[claim["event_id"]]
        assert claim["lines"] == parsed["lines"], claim["claim_id"]
        assert {**claim, "ingested_at": None} == parsed
    lines = [line for claim in claims for line in claim["lines"]]
    paid_in_full = [line for line in lines if not line["adjustment_event_ids"]]
    assert len(claims) > 50 and len(lines) > 50 and paid_in_full  # paid-in-full lines too

    by_id = {a["event_id"]: a for a in adjustments}
    assert len(by_id) == len(adjustments)
    claims_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim in claims:
        claims_of[claim["remittance_event_id"]].append(claim)
    provider_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    adjustments_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for adjustment in adjustments:
        assert adjustment["remittance_event_id"] in expected_remittances
        if adjustment["level"] == "provider":
            provider_of[adjustment["remittance_event_id"]].append(adjustment)
        else:
            adjustments_of[adjustment["claim_event_id"]].append(adjustment)

    balanced = 0
    for remittance in remittances:
        # claims are spread over partitions by key: file order is their segment order
        its_claims = sorted(claims_of[remittance["event_id"]], key=lambda c: c["segment_no"])
        assert [c["event_id"] for c in its_claims] == remittance["claim_event_ids"]
        assert remittance["claim_count"] == len(its_claims)
        paid = _amount([c["paid"] for c in its_claims])
        provider = _amount([a["amount"] for a in provider_of[remittance["event_id"]]])
        assert Decimal(remittance["claims_paid"]) == paid
        assert Decimal(remittance["provider_adjustments"]) == provider
        if remittance["balance_error"] is None:
            balanced += 1
            assert Decimal(remittance["total_paid"]) == paid - provider  # the check, rebuilt
        else:  # an unbalanced set: every event of it says so, nothing is guessed
            assert all(c["balance_error"] for c in its_claims)
    assert balanced > 10

    for claim in claims:
        own = adjustments_of[claim["event_id"]]
        named = list(claim["adjustment_event_ids"])
        for line in claim["lines"]:
            line_adjustments = [by_id[i] for i in line["adjustment_event_ids"]]
            assert all(a["line"] == line["line"] for a in line_adjustments)
            if line["balance_error"] is None:
                line_cas = _amount([a["amount"] for a in line_adjustments])
                assert Decimal(line["charge"]) - Decimal(line["paid"]) == line_cas
            named += line["adjustment_event_ids"]
        assert sorted(named) == sorted(a["event_id"] for a in own)
        if claim["balance_error"] is None:
            cas = _amount([a["amount"] for a in own])
            assert Decimal(claim["charge"]) - Decimal(claim["paid"]) == cas

    dental = [c for c in claims if c["claim_id"] == "217308827"]
    assert [line["line_control_number"] for line in dental[0]["lines"]] == [
        "P345631",
        "P345632",
        "P345633",
    ]
    posted = [a for a in adjustments if a["file"] == "opendental_JustinSmithERA.txt"]
    assert {a["line_control_number"] for a in posted} >= {"P345631", "P345632"}
    print(  # the figures of the closing note (pytest -s)
        f"\nsets {len(remittances)} (balanced {balanced}), claims {len(claims)}, lines "
        f"{len(lines)} (paid in full {len(paid_in_full)}), adjustments {len(adjustments)}"
    )


def test_claims_are_keyed_like_their_adjustments_and_checks_by_payer_and_trace(
    kafka_settings: KafkaSettings, topic_names: TopicNames, era_env: dict[str, str]
) -> None:
    from era_kafka.reader import read_topic

    sample = SAMPLES / "opendental_JustinSmithERA.txt"
    result = run_era("ingest", str(sample), env=era_env, timeout=120)
    assert "accepted" in result.stdout and "3 claims, 1 remittances" in result.stdout
    claim_keys = {r.key for r in read_topic(kafka_settings, topic_names.claims, idle_timeout=2)}
    adjustment_keys = {
        r.key for r in read_topic(kafka_settings, topic_names.adjustments, idle_timeout=2)
    }
    assert claim_keys == {b"|217308827", b"|217180995", b"|217439125"}
    assert adjustment_keys <= claim_keys
    (check,) = read_topic(kafka_settings, topic_names.remittances, idle_timeout=2)
    assert check.key == b"|0045284538"
