"""`era consume TOPIC`: decode and print a topic's committed records."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from typing import Any, TextIO

from era_cli.output import TableWriter
from era_contract import vocabulary as v
from era_contract.codec import CodecError
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import KafkaSettings, TopicSettings
from era_kafka.reader import ConsumedRecord, TopicReadError, read_topic

TABLE_COLUMNS = {
    v.ADJUSTMENT: (
        "claim_id",
        "line",
        "group_code",
        "carc",
        "amount",
        "procedure",
        "payer_id",
        "event_id",
    ),
    v.CLASSIFIED_ADJUSTMENT: (
        "claim_id",
        "line",
        "group_code",
        "carc",
        "amount",
        "action",
        "route",
        "event_id",
    ),
    v.DEAD_LETTER: ("service", "reason", "file", "segment_no", "error_message"),
    v.CLAIM: (
        "claim_id",
        "claim_status",
        "charge",
        "paid",
        "patient_responsibility",
        "payer_id",
        "trace",
        "event_id",
    ),
    v.REMITTANCE: (
        "trace",
        "payer_id",
        "payment_method",
        "payment_date",
        "total_paid",
        "claim_count",
        "claims_paid",
        "provider_adjustments",
        "event_id",
    ),
}


def register(subparsers: Any) -> None:
    """Add the ``consume`` command."""
    parser = subparsers.add_parser(
        "consume", help="decode and print a topic (read_committed), then exit when idle"
    )
    parser.add_argument("topic", help="topic name, e.g. era.adjustments")
    parser.add_argument(
        "--from-beginning", action="store_true", help="start at the earliest offset"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="exit after S seconds without a new record (default 5)",
    )
    parser.add_argument("--max-records", type=int, help="exit after this many records")
    parser.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the topic's records; undecodable ones are printed raw, never skipped."""
    names = TopicNames(TopicSettings().prefix)
    try:
        schema_name = names.schema_for(args.topic)
    except ValueError as exc:
        print(f"era consume: {exc}", file=sys.stderr)
        return 2
    codec = Codecs.from_env().for_schema(schema_name)
    out: TextIO = sys.stdout
    table = TableWriter(("partition", "offset", *TABLE_COLUMNS[schema_name]))
    try:
        for record in read_topic(
            KafkaSettings(),
            args.topic,
            from_beginning=args.from_beginning,
            idle_timeout=args.idle_timeout,
            max_records=args.max_records,
        ):
            row = _decoded(record, codec.decode)
            if args.format == "jsonl":
                out.write(json.dumps(row, default=_json_default, separators=(",", ":")) + "\n")
            else:
                table.add({"partition": record.partition, "offset": record.offset, **row})
    except TopicReadError as exc:
        print(f"era consume: {exc}", file=sys.stderr)
        return 1
    if args.format == "table":
        table.write(out)
    return 0


def _decoded(record: ConsumedRecord, decode: Any) -> dict[str, Any]:
    if record.value is None:
        return {"_tombstone": True, "_key": _text(record.key)}
    try:
        decoded: dict[str, Any] = decode(record.value)
    except CodecError as exc:
        return {
            "_undecodable": str(exc),
            "_key": _text(record.key),
            "_value_base64": base64.b64encode(record.value).decode("ascii"),
            "_headers": {name: _text(value) for name, value in record.headers},
        }
    return decoded


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


def _json_default(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
