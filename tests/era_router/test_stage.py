"""The router stage without a broker: one output on the route's topic, counted."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from prometheus_client import CollectorRegistry

from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT, load_catalog, schemas_dir
from era_contract.topics import TopicNames
from era_ingest.synth.generator import generate
from era_ingest.x12 import ParsedTransaction, parse_path, parse_stream
from era_router.metrics import RouterMetrics
from era_router.routing import Router
from era_router.stage import RouterStage
from era_testing import metric_samples

pytestmark = pytest.mark.unit

CODEC = AvroCodec(CLASSIFIED_ADJUSTMENT)
CLASSIFIER = Classifier(load_knowledge_base())


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def stage(registry: CollectorRegistry) -> RouterStage:
    return RouterStage(
        Router(),
        codec=CODEC,
        topics=TopicNames("x"),
        metrics=RouterMetrics(registry),
        clock_ms=lambda: 1_795_000_000_500,
    )


def classified(make_adjustment: Any, **overrides: Any) -> dict[str, Any]:
    adjustment = make_adjustment(ingested_at=1_795_000_000_000, **overrides)
    return {
        **adjustment,
        **CLASSIFIER.classify(adjustment),
        "classified_at": 1,
        "appeal_deadline": None,
        "follow_up_by": None,
        "routed_at": None,
    }


@pytest.mark.parametrize(
    ("group", "carc", "topic"),
    [
        ("CO", "45", "x.route.writeoff"),
        ("PR", "1", "x.route.patient-statements"),
        ("CO", "22", "x.route.cob-rebill"),
        ("CO", "29", "x.route.appeals"),
        ("OA", "209", "x.route.cob-rebill"),
        ("CO", "18", "x.route.review"),
    ],
)
def test_each_adjustment_goes_to_its_route_topic(
    stage: RouterStage, make_adjustment: Any, group: str, carc: str, topic: str
) -> None:
    record = classified(make_adjustment, group_code=group, carc=carc)
    [(out_topic, value)] = stage(b"k", CODEC.encode(record))
    routed = CODEC.decode(value)
    assert out_topic == topic
    assert routed["routed_at"] == 1_795_000_000_500
    assert topic.endswith(routed["route"].replace("_", "-"))


def test_appeals_carry_a_deadline_and_metrics_count_route_dollars_and_latency(
    stage: RouterStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    record = classified(
        make_adjustment,
        group_code="CO",
        carc="29",
        amount="-80.25",
        remit_date="2026-11-02",
        reversal=True,
        claim_status="22",
    )
    routed = CODEC.decode(stage(b"k", CODEC.encode(record))[0][1])
    assert routed["appeal_deadline"] == "2027-01-31"
    sample = registry.get_sample_value
    assert sample("era_router_events_routed_total", {"route": "appeals"}) == 1
    assert (
        sample("era_router_dollars_routed_total", {"route": "appeals", "sign": "negative"}) == 80.25
    )
    assert sample("era_pipeline_latency_seconds_count") == 1
    assert sample("era_pipeline_latency_seconds_sum") == pytest.approx(0.5)


def test_a_co_amount_sent_to_the_patient_is_blocked_and_counted(
    stage: RouterStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    record = classified(make_adjustment, group_code="CO", carc="45")
    record.update(route="patient_statements", patient_billable=True)  # a buggy upstream
    [(topic, value)] = stage(b"k", CODEC.encode(record))
    assert topic == "x.route.review"
    assert "co_patient_blocked" in CODEC.decode(value)["flags"]
    assert registry.get_sample_value("era_router_co_patient_blocks_total") == 1


@pytest.mark.parametrize("route", ["writeoff", "appeals", "patient_statements", "cob_rebill"])
def test_a_predetermination_sent_to_a_forbidden_route_is_blocked_and_counted(
    stage: RouterStage, make_adjustment: Any, registry: CollectorRegistry, route: str
) -> None:
    record = classified(make_adjustment, group_code="PR", carc="2", claim_status="25")
    assert record["route"] == "predeterminations"
    [(topic, value)] = stage(b"k", CODEC.encode(record))
    assert topic == "x.route.predeterminations"
    assert registry.get_sample_value("era_router_predetermination_blocks_total") == 0
    record.update(route=route)  # a buggy upstream
    [(topic, value)] = stage(b"k", CODEC.encode(record))
    assert topic == "x.route.review"
    assert "predetermination_blocked" in CODEC.decode(value)["flags"]
    assert registry.get_sample_value("era_router_predetermination_blocks_total") == 1
    sample = registry.get_sample_value
    assert sample("era_router_events_routed_total", {"route": "predeterminations"}) == 1


# -- the splice: the Adjustment fields' bytes reused as they are ----------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "era-samples"


def sample_classified() -> list[dict[str, Any]]:
    """Every adjustment of the public sample files and of a small synthetic file, classified."""
    synthetic = io.BytesIO()
    generate(synthetic, seed=13, target_adjustments=600, unknown_codes=True)
    synthetic.seek(0)
    items = [item for path in sorted(SAMPLES.iterdir()) for item in parse_path(path)]
    items.extend(parse_stream(synthetic, "synthetic.835"))
    found = [a for item in items if isinstance(item, ParsedTransaction) for a in item.adjustments]
    records = []
    for n, adjustment in enumerate(found):
        adjustment["ingested_at"] = 1_795_000_000_000 + n
        fields = CLASSIFIER.classify(adjustment)
        records.append({**adjustment, **fields, "classified_at": 1_795_000_000_100 + n})
    return records


CLASSIFIED = sample_classified()


def _stage(registry: CollectorRegistry, *, splice: bool, codec: AvroCodec = CODEC) -> RouterStage:
    return RouterStage(
        Router(),
        codec=codec,
        topics=TopicNames("x"),
        metrics=RouterMetrics(registry),
        clock_ms=lambda: 1_795_000_000_500,
        splice=splice,
    )


@pytest.mark.parametrize("framing", ["single-object", "confluent"])
def test_the_spliced_output_is_byte_identical_to_the_full_path(framing: str) -> None:
    schema_registry = (
        SchemaRegistryClient.new_client({"url": "mock://era-router-splice"})
        if framing == "confluent"
        else None
    )
    codec = AvroCodec(CLASSIFIED_ADJUSTMENT, registry=schema_registry, topics=["x.classified"])
    fast_metrics, full_metrics = CollectorRegistry(), CollectorRegistry()
    fast = _stage(fast_metrics, splice=True, codec=codec)
    full = _stage(full_metrics, splice=False, codec=codec)
    assert fast.splice is not None and full.splice is None
    assert len(CLASSIFIED) > 600
    for record in CLASSIFIED:
        value = codec.encode(record)
        assert value[:1] == (b"\x00" if schema_registry else b"\xc3")
        assert fast(b"k", value) == full(b"k", value), record["event_id"]
    assert metric_samples(fast_metrics) == metric_samples(full_metrics)


def test_an_older_writer_schema_takes_the_full_path(tmp_path: Path) -> None:
    root = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), root)
    older = json.loads((root / "classified_adjustment.avsc").read_text(encoding="utf-8"))
    older["fields"] = [f for f in older["fields"] if f["name"] != "routed_at"]
    (root / "releases" / "0.0.1").mkdir(parents=True)
    path = root / "releases" / "0.0.1" / "classified_adjustment.avsc"
    path.write_text(json.dumps(older), "utf-8")
    catalog = load_catalog(root)
    old_schema = catalog.releases["0.0.1"][CLASSIFIED_ADJUSTMENT]
    codec = AvroCodec(CLASSIFIED_ADJUSTMENT, catalog=catalog)
    fast = _stage(CollectorRegistry(), splice=True, codec=codec)
    full = _stage(CollectorRegistry(), splice=False, codec=codec)
    assert fast.splice is not None
    for record in CLASSIFIED[:50]:
        buffer = io.BytesIO()
        buffer.write(b"\xc3\x01" + old_schema.fingerprint_bytes)
        fastavro.schemaless_writer(buffer, old_schema.parsed, record)
        outputs = fast(None, buffer.getvalue())
        assert outputs == full(None, buffer.getvalue())
        assert CODEC.decode(outputs[0][1])["routed_at"] == 1_795_000_000_500


def test_a_routed_record_keeps_its_adjustment_fields_exactly() -> None:
    stage = _stage(CollectorRegistry(), splice=True)
    for record in CLASSIFIED[:100]:
        [(_, value)] = stage(None, CODEC.encode(record))
        routed = CODEC.decode(value)
        assert {k: routed[k] for k in AvroCodec(ADJUSTMENT).schema.field_names} == {
            k: record[k] for k in AvroCodec(ADJUSTMENT).schema.field_names
        }


def test_route_counts_and_dollars_add_up_over_repeated_label_values(
    stage: RouterStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    for amount in ("10.00", "-2.50", "5.25", "-1.00"):
        record = classified(make_adjustment, group_code="CO", carc="45", amount=amount)
        stage(None, CODEC.encode(record))
    sample = registry.get_sample_value
    assert sample("era_router_events_routed_total", {"route": "writeoff"}) == 4
    dollars = "era_router_dollars_routed_total"
    assert sample(dollars, {"route": "writeoff", "sign": "positive"}) == 15.25
    assert sample(dollars, {"route": "writeoff", "sign": "negative"}) == 3.5
