"""The classifier stage without a broker: bytes in, classified bytes out, errors raised."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from prometheus_client import CollectorRegistry

from era_classifier.classification import ClaimContext, Classifier
from era_classifier.kb import load_knowledge_base
from era_classifier.metrics import ClassifierMetrics
from era_classifier.stage import ClassifierStage
from era_contract.codec import AvroCodec, CodecError
from era_contract.models import ClassifiedAdjustment
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT, load_catalog, schemas_dir
from era_contract.validation import SchemaViolationError
from era_ingest.synth.generator import generate
from era_ingest.x12 import ParsedTransaction, parse_path, parse_stream
from era_testing import metric_samples

pytestmark = pytest.mark.unit


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def stage(registry: CollectorRegistry) -> ClassifierStage:
    return ClassifierStage(
        Classifier(load_knowledge_base()),
        decoder=AvroCodec(ADJUSTMENT),
        encoder=AvroCodec(CLASSIFIED_ADJUSTMENT),
        output_topic="x.classified",
        metrics=ClassifierMetrics(registry),
        clock_ms=lambda: 42,
    )


def test_a_contractual_adjustment_is_classified_and_kept_whole(
    stage: ClassifierStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    adjustment = make_adjustment(group_code="CO", carc="45", amount="50.00")
    [(topic, value)] = stage(b"k", AvroCodec(ADJUSTMENT).encode(adjustment))
    assert topic == "x.classified"
    record = AvroCodec(CLASSIFIED_ADJUSTMENT).decode(value)
    ClassifiedAdjustment.model_validate(record)
    assert {k: record[k] for k in adjustment} == adjustment
    assert (record["route"], record["action"], record["classified_at"]) == (
        "writeoff",
        "writeoff",
        42,
    )
    assert record["patient_billable"] is False
    count = registry.get_sample_value(
        "era_classifier_events_classified_total", {"category": "contractual", "action": "writeoff"}
    )
    assert count == 1


def test_unknown_codes_are_counted_and_sent_to_review(
    stage: ClassifierStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    value = AvroCodec(ADJUSTMENT).encode(make_adjustment(group_code="CO", carc="Z99"))
    record = AvroCodec(CLASSIFIED_ADJUSTMENT).decode(stage(None, value)[0][1])
    assert record["route"] == "review" and "unknown_code" in record["flags"]
    assert registry.get_sample_value("era_classifier_unknown_codes_total", {"group": "CO"}) == 1


def test_garbage_raises_a_codec_error(stage: ClassifierStage) -> None:
    with pytest.raises(CodecError):
        stage(b"k", b"\x00\x01garbage")


def test_a_tombstone_is_a_schema_violation(stage: ClassifierStage) -> None:
    with pytest.raises(SchemaViolationError, match="tombstone"):
        stage(b"k", None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "12,50", "amount"),
        ("level", "galaxy", "level"),
        ("carc", "", "carc"),
        ("amount", "NaN", "finite"),
    ],
)
def test_schema_violations_name_the_field(
    stage: ClassifierStage, make_adjustment: Any, field: str, value: str, message: str
) -> None:
    encoded = AvroCodec(ADJUSTMENT).encode(make_adjustment(**{field: value}))
    with pytest.raises(SchemaViolationError, match=message):
        stage(b"k", encoded)


# -- the splice: Adjustment bytes reused as they are ---------------------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "era-samples"


def sample_adjustments() -> list[dict[str, Any]]:
    """Every adjustment of the public sample files and of a small synthetic file."""
    synthetic = io.BytesIO()
    generate(synthetic, seed=11, target_adjustments=600, unknown_codes=True)
    synthetic.seek(0)
    items = [item for path in sorted(SAMPLES.iterdir()) for item in parse_path(path)]
    items.extend(parse_stream(synthetic, "synthetic.835"))
    found = [a for item in items if isinstance(item, ParsedTransaction) for a in item.adjustments]
    for n, adjustment in enumerate(found):
        adjustment["ingested_at"] = 1_795_000_000_000 + n
    return found


ADJUSTMENTS = sample_adjustments()


def _stage(
    registry: CollectorRegistry, *, splice: bool, schema_registry: Any = None
) -> ClassifierStage:
    return ClassifierStage(
        Classifier(load_knowledge_base()),
        decoder=AvroCodec(ADJUSTMENT, registry=schema_registry),
        encoder=AvroCodec(CLASSIFIED_ADJUSTMENT, registry=schema_registry),
        output_topic="x.classified",
        metrics=ClassifierMetrics(registry),
        clock_ms=lambda: 42,
        splice=splice,
    )


@pytest.mark.parametrize("framing", ["single-object", "confluent"])
def test_the_spliced_output_is_byte_identical_to_the_full_path(framing: str) -> None:
    schema_registry = (
        SchemaRegistryClient.new_client({"url": "mock://era-classifier-splice"})
        if framing == "confluent"
        else None
    )
    fast_metrics, full_metrics = CollectorRegistry(), CollectorRegistry()
    fast = _stage(fast_metrics, splice=True, schema_registry=schema_registry)
    full = _stage(full_metrics, splice=False, schema_registry=schema_registry)
    assert fast.splice is not None and full.splice is None
    encode = AvroCodec(ADJUSTMENT, registry=schema_registry, topics=["x.adjustments"]).encode
    assert len(ADJUSTMENTS) > 600
    for adjustment in ADJUSTMENTS:
        value = encode(adjustment)
        assert fast(b"k", value) == full(b"k", value), adjustment["event_id"]
    assert metric_samples(fast_metrics) == metric_samples(full_metrics)


class _RewritingClassifier(Classifier):
    """A classifier that also rewrites an Adjustment field (the normalised reason code)."""

    def classify(
        self, adjustment: Mapping[str, object], claim_context: ClaimContext | None = None
    ) -> dict[str, object]:
        return {**super().classify(adjustment, claim_context), "carc": "REWRITTEN"}


def test_a_classification_that_changes_an_adjustment_field_is_encoded_whole() -> None:
    fast, full = (
        ClassifierStage(
            _RewritingClassifier(load_knowledge_base()),
            decoder=AvroCodec(ADJUSTMENT),
            encoder=AvroCodec(CLASSIFIED_ADJUSTMENT),
            output_topic="x.classified",
            clock_ms=lambda: 42,
            splice=splice,
        )
        for splice in (True, False)
    )
    assert fast.splice is not None
    for adjustment in ADJUSTMENTS[:50]:
        value = AvroCodec(ADJUSTMENT).encode(adjustment)
        [(_, out)] = fast(None, value)
        assert [(_, out)] == full(None, value)
        assert AvroCodec(CLASSIFIED_ADJUSTMENT).decode(out)["carc"] == "REWRITTEN"


def test_an_older_writer_schema_takes_the_full_path(tmp_path: Path) -> None:
    root = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), root)
    older = json.loads((root / "adjustment.avsc").read_text(encoding="utf-8"))
    older["fields"] = [f for f in older["fields"] if f["name"] != "ingested_at"]
    (root / "releases" / "0.0.1").mkdir(parents=True)
    (root / "releases" / "0.0.1" / "adjustment.avsc").write_text(json.dumps(older), "utf-8")
    catalog = load_catalog(root)
    old_schema = catalog.releases["0.0.1"][ADJUSTMENT]
    stages = [
        ClassifierStage(
            Classifier(load_knowledge_base()),
            decoder=AvroCodec(ADJUSTMENT, catalog=catalog),
            encoder=AvroCodec(CLASSIFIED_ADJUSTMENT, catalog=catalog),
            output_topic="x.classified",
            clock_ms=lambda: 42,
            splice=splice,
        )
        for splice in (True, False)
    ]
    for adjustment in ADJUSTMENTS[:50]:
        buffer = io.BytesIO()
        buffer.write(b"\xc3\x01" + old_schema.fingerprint_bytes)
        fastavro.schemaless_writer(buffer, old_schema.parsed, adjustment)
        fast, full = (stage(None, buffer.getvalue()) for stage in stages)
        assert fast == full
        assert AvroCodec(CLASSIFIED_ADJUSTMENT).decode(fast[0][1])["ingested_at"] is None


def test_counts_add_up_over_repeated_label_values(
    stage: ClassifierStage, make_adjustment: Any, registry: CollectorRegistry
) -> None:
    for carc in ("45", "Z99", "45", "Z99", "45"):
        stage(None, AvroCodec(ADJUSTMENT).encode(make_adjustment(group_code="CO", carc=carc)))
    sample = registry.get_sample_value
    assert (
        sample(
            "era_classifier_events_classified_total",
            {"category": "contractual", "action": "writeoff"},
        )
        == 3
    )
    assert sample("era_classifier_unknown_codes_total", {"group": "CO"}) == 2
    labels = {"payer": "94-1234567", "group": "CO", "carc": "45", "category": "contractual"}
    assert sample("era_classifier_adjustments_total", labels) == 3
