from __future__ import annotations

import pytest

from era_contract.topics import TopicNames

pytestmark = pytest.mark.unit


def test_default_topic_names_are_the_documented_ones() -> None:
    assert TopicNames().all() == [
        "era.remittances",
        "era.claims",
        "era.adjustments",
        "era.adjustments.classified",
        "era.route.writeoff",
        "era.route.appeals",
        "era.route.patient-statements",
        "era.route.cob-rebill",
        "era.route.review",
        "era.route.predeterminations",
        "era.deadletter",
        "era.ingest.files",
        "era.classifier.claim-index-changelog",
        "era.classifier.claim-lookup",
    ]
    eighteen_months = str(548 * 24 * 3600 * 1000)
    assert TopicNames().configs() == {
        "era.ingest.files": {"cleanup.policy": "compact"},
        "era.classifier.claim-index-changelog": {
            "cleanup.policy": "compact,delete",
            "retention.ms": eighteen_months,
        },
    }
    assert TopicNames().configs(30)["era.classifier.claim-index-changelog"]["retention.ms"] == str(
        30 * 86_400_000
    )


def test_claims_and_remittances_carry_their_schemas() -> None:
    names = TopicNames()
    assert names.schema_for(names.claims) == "era.events.Claim"
    assert names.schema_for(names.remittances) == "era.events.Remittance"


def test_prefix_applies_to_every_topic() -> None:
    assert all(name.startswith("acme.") for name in TopicNames("acme").all())


def test_unknown_route_and_topic_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown route"):
        TopicNames().route("trash")
    with pytest.raises(ValueError, match="not one of the pipeline's topics"):
        TopicNames().schema_for("other.topic")
