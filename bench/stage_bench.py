"""Stage benchmark: CPU per record of the classifier and router stages, without Kafka.

Run with the project's interpreter from the repository root::

    .venv/bin/python bench/stage_bench.py                  # 20k adjustments, best of 5 runs
    .venv/bin/python bench/stage_bench.py -n 50000 --repeat 7 --registry

Adjustments come from an `era synth` file (generated in memory) read by the ingest parser and
are encoded as the ingest service encodes them (``ingested_at`` set, Adjustment codec). Each
stage runs over all of them in one thread, with its Prometheus metrics, once with the splice
(Adjustment bytes reused, the default) and once on the full decode/encode path
(``splice=False``); the router reads what the classifier wrote. ``--registry`` uses the
Confluent framing against an in-memory mock Schema Registry instead of single-object framing.
Figures are process CPU time (not wall time: the machine may be busy with other work), the
best of ``--repeat`` runs; nothing is asserted about them.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from prometheus_client import CollectorRegistry

from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_classifier.metrics import ClassifierMetrics
from era_classifier.stage import ClassifierStage
from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT
from era_contract.topics import TopicNames
from era_ingest.synth.generator import generate
from era_ingest.x12 import ParsedTransaction, parse_stream
from era_router.metrics import RouterMetrics
from era_router.routing import Router
from era_router.stage import RouterStage

Stage = Callable[[bytes | None, bytes | None], list[tuple[str, bytes]]]


def adjustments(count: int, seed: int) -> list[dict[str, Any]]:
    """About ``count`` adjustments of a synthetic 835 file, as the ingest parser reads them."""
    content = io.BytesIO()
    generate(content, seed=seed, target_adjustments=count, unknown_codes=True)
    content.seek(0)
    found: list[dict[str, Any]] = []
    for item in parse_stream(content, "bench.835"):
        if isinstance(item, ParsedTransaction):
            found.extend(item.adjustments)
    for n, adjustment in enumerate(found):
        adjustment["ingested_at"] = 1_795_000_000_000 + n
    return found


def best_seconds(stage: Stage, values: Sequence[bytes], repeat: int) -> float:
    """The least CPU time of ``repeat`` passes of ``stage`` over ``values``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for value in values:
            stage(None, value)
        best = min(best, time.process_time() - start)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--adjustments", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--registry", action="store_true", help="Confluent framing (mock)")
    args = parser.parse_args(argv)

    registry = (
        SchemaRegistryClient.new_client({"url": "mock://stage-bench"}) if args.registry else None
    )
    adjustment_codec = AvroCodec(ADJUSTMENT, registry=registry, topics=["bench.adjustments"])
    classified_codec = AvroCodec(CLASSIFIED_ADJUSTMENT, registry=registry)
    records = adjustments(args.adjustments, args.seed)
    inputs = [adjustment_codec.encode(adjustment) for adjustment in records]
    classifier = Classifier(load_knowledge_base())
    router = Router()

    rows: list[tuple[str, str, float]] = []
    classified: list[bytes] = []
    for splice in (False, True):
        classifier_stage = ClassifierStage(
            classifier,
            decoder=adjustment_codec,
            encoder=classified_codec,
            output_topic="bench.classified",
            metrics=ClassifierMetrics(CollectorRegistry()),
            splice=splice,
        )
        classified = [classifier_stage(None, value)[0][1] for value in inputs]
        router_stage = RouterStage(
            router,
            codec=classified_codec,
            topics=TopicNames("bench"),
            metrics=RouterMetrics(CollectorRegistry()),
            splice=splice,
        )
        path = "splice" if splice else "full"
        rows.append(("classifier", path, best_seconds(classifier_stage, inputs, args.repeat)))
        rows.append(("router", path, best_seconds(router_stage, classified, args.repeat)))

    framing = "Confluent (mock registry)" if args.registry else "single-object"
    print(f"{len(inputs)} adjustments, {framing} framing, CPU time, best of {args.repeat} runs")
    print(f"{'stage':<11} {'path':<7} {'µs/record':>10} {'records/s':>11} {'vs full':>8}")
    full = {stage: seconds for stage, path, seconds in rows if path == "full"}
    for stage, path, seconds in sorted(rows, key=lambda row: row[0]):
        per_record = seconds / len(inputs) * 1e6
        rate = len(inputs) / seconds
        ratio = full[stage] / seconds
        print(f"{stage:<11} {path:<7} {per_record:>10.1f} {rate:>11,.0f} {ratio:>7.2f}x")


if __name__ == "__main__":
    main()
