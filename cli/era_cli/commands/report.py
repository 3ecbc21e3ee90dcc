"""`era report`: how many adjustments and dollars reached each route topic, and the check totals
(remittances and claims) ingest published, read from Kafka; with ``--by`` (or files), the denial
report instead (:mod:`era_cli.commands.denials`)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import Any

from era_cli.commands import denials
from era_contract.codec import CodecError
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import KafkaSettings, TopicSettings
from era_kafka.reader import TopicReadError, read_topic


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report",
        help="count the adjustments and dollars on every route topic (read_committed); with"
        " --by, denial rates by location, payer, CARC and upstream cause",
    )
    parser.add_argument("--idle-timeout", type=float, default=2.0, metavar="S")
    denials.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per route topic and one for the dead letters (or the denial report)."""
    if denials.wanted(args):
        return denials.run(args)
    kafka = KafkaSettings()
    names = TopicNames(TopicSettings().prefix)
    decode = Codecs.from_env().classified.decode
    print(f"{'route':<20} {'topic':<34} {'adjustments':>11} {'dollars':>14}")
    total_count, total_dollars = 0, Decimal(0)
    try:
        for route, topic in names.routes.items():
            count, dollars, undecodable = 0, Decimal(0), 0
            for record in read_topic(kafka, topic, idle_timeout=args.idle_timeout):
                try:
                    event = decode(record.value or b"")
                except CodecError:
                    undecodable += 1
                    continue
                count += 1
                dollars += Decimal(event["amount"])
            total_count += count
            total_dollars += dollars
            note = f"  ({undecodable} undecodable)" if undecodable else ""
            print(f"{route:<20} {topic:<34} {count:>11} {dollars:>14}{note}")
        dead = sum(1 for _ in read_topic(kafka, names.deadletter, idle_timeout=args.idle_timeout))
        checks = _checks(kafka, names, args.idle_timeout)
    except TopicReadError as exc:
        print(f"era report: {exc}", file=sys.stderr)
        return 1
    print(f"{'all routes':<20} {'':<34} {total_count:>11} {total_dollars:>14}")
    print(f"{'dead letters':<20} {names.deadletter:<34} {dead:>11}")
    print()
    print(f"{'checks':<20} {'topic':<34} {'count':>11} {'dollars':>14}")
    for line in checks:
        print(line)
    return 0


def _checks(kafka: KafkaSettings, names: TopicNames, idle_timeout: float) -> list[str]:
    """The check totals: transaction sets (BPR02) and claims (CLP04) ingest published."""
    codecs = Codecs.from_env()
    sets = balanced = 0
    total_paid = provider = Decimal(0)
    for record in read_topic(kafka, names.remittances, idle_timeout=idle_timeout):
        try:
            remittance = codecs.remittance.decode(record.value or b"")
        except CodecError:
            continue
        sets += 1
        balanced += remittance["balance_error"] is None
        total_paid += Decimal(remittance["total_paid"])
        provider += Decimal(remittance["provider_adjustments"])
    claims = lines = paid_in_full = 0
    claims_paid = Decimal(0)
    for record in read_topic(kafka, names.claims, idle_timeout=idle_timeout):
        try:
            claim = codecs.claim.decode(record.value or b"")
        except CodecError:
            continue
        claims += 1
        claims_paid += Decimal(claim["paid"])
        lines += len(claim["lines"])
        paid_in_full += sum(1 for line in claim["lines"] if not line["adjustment_event_ids"])
    return [
        f"{'remittances':<20} {names.remittances:<34} {sets:>11} {total_paid:>14}"
        f"  (BPR02; {balanced} of {sets} balance)",
        f"{'claims':<20} {names.claims:<34} {claims:>11} {claims_paid:>14}"
        f"  (CLP04; {lines} service lines, {paid_in_full} without adjustments)",
        f"{'provider level':<20} {'':<34} {'':>11} {provider:>14}  (PLB)",
    ]
