"""`era report --by DIMENSIONS`: denial analytics by location, payer, CARC and upstream cause.

Offline from 835 files (parsed as `era parse` does), or, without files, from the topics
``era.claims`` and ``era.adjustments`` (read_committed, until idle): the same Claim and
Adjustment records either way, judged by :mod:`era_analytics.definition`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path

from era_analytics.definition import ClaimVerdict, Record, judge_all
from era_analytics.locations import LocationFileError, LocationMap
from era_analytics.report import DenialReport, parse_dimensions
from era_analytics.settings import DenialSettings
from era_cli.commands.parse import ParsedInputs
from era_cli.output import TableWriter
from era_ingest.x12.startup import TextIO

FORMATS = ("table", "jsonl", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The denial-report options of `era report`."""
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="835 files to report on offline (no broker); without any, read era.claims and"
        " era.adjustments",
    )
    parser.add_argument(
        "--by",
        metavar="DIMENSIONS",
        help="denial report grouped by some of location,payer,carc,upstream_cause (default"
        " location when FILEs are given); without --by and FILEs: the route summary",
    )
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument(
        "--since", metavar="DATE", help="only claims remitted on or after DATE (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--locations",
        type=Path,
        metavar="CSV",
        help="NPI → office mapping (npi,name[,tin]); default ERA_INGEST_LOCATIONS",
    )


def wanted(args: argparse.Namespace) -> bool:
    """Whether the arguments ask for the denial report (else the route summary)."""
    return bool(args.by or args.files or args.since or args.format != "table")


def run(args: argparse.Namespace) -> int:
    """Print the denial report; 2 on a usage or configuration error or an unreadable input."""
    try:
        by = parse_dimensions(args.by or "location")
        since = date.fromisoformat(args.since).isoformat() if args.since else None
        locations = LocationMap.load(args.locations or _default_locations())
        threshold = DenialSettings().rate_threshold
    except (ValueError, LocationFileError) as exc:
        print(f"era report: {exc}", file=sys.stderr)
        return 2
    report = DenialReport(by, locations, since)
    status = 0
    if args.files:
        inputs = ParsedInputs(args.files, sys.stderr)
        report.add_all(_offline(inputs))
        status = inputs.exit_status()
    else:
        from era_kafka.reader import TopicReadError  # noqa: PLC0415 - offline needs no Kafka

        try:
            report.add_all(stream_verdicts(args.idle_timeout))
        except TopicReadError as exc:
            print(f"era report: {exc}", file=sys.stderr)
            return 2
    write(report, threshold, args.format, sys.stdout)
    return status


def _default_locations() -> Path | None:
    from era_ingest.settings import IngestSettings  # noqa: PLC0415

    return IngestSettings().locations


def _offline(inputs: ParsedInputs) -> Iterator[ClaimVerdict]:
    for txn in inputs:
        yield from judge_all(txn.claims, txn.adjustments)


def stream_verdicts(idle_timeout: float) -> list[ClaimVerdict]:
    """Judge every claim on ``era.claims`` with its adjustments from ``era.adjustments``."""
    from era_contract.codec import CodecError  # noqa: PLC0415
    from era_contract.topics import TopicNames  # noqa: PLC0415
    from era_kafka.clients import Codecs  # noqa: PLC0415
    from era_kafka.config import KafkaSettings, TopicSettings  # noqa: PLC0415
    from era_kafka.reader import read_topic  # noqa: PLC0415

    kafka, names, codecs = KafkaSettings(), TopicNames(TopicSettings().prefix), Codecs.from_env()

    def decoded(topic: str, decode: Callable[[bytes], Record]) -> list[Record]:
        out: list[Record] = []
        for record in read_topic(kafka, topic, idle_timeout=idle_timeout):
            try:
                out.append(decode(record.value or b""))
            except CodecError:
                continue
        return out

    claims = decoded(names.claims, codecs.claim.decode)
    adjustments = decoded(names.adjustments, codecs.adjustment.decode)
    return judge_all(claims, adjustments)


def write(report: DenialReport, threshold: float, fmt: str, out: TextIO) -> None:
    """Write the report's rows as a table, JSON lines or CSV."""
    rows = report.rows(threshold)
    columns = report.columns()
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, separators=(",", ":")) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_csv_rows(rows))
    else:
        table = TableWriter(columns)
        for row in rows:
            table.add({**row, "denial_rate": f"{row['denial_rate']:.4f}"})
        table.write(out)


def _csv_rows(rows: Sequence[dict[str, object]]) -> Iterable[dict[str, object]]:
    for row in rows:
        yield {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in row.items()}
