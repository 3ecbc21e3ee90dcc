"""`era report`: how many adjustments and dollars reached each route topic, read from Kafka."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import Any

from era_contract.codec import CodecError
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import KafkaSettings, TopicSettings
from era_kafka.reader import TopicReadError, read_topic


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report", help="count the adjustments and dollars on every route topic (read_committed)"
    )
    parser.add_argument("--idle-timeout", type=float, default=2.0, metavar="S")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per route topic and one for the dead letters."""
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
    except TopicReadError as exc:
        print(f"era report: {exc}", file=sys.stderr)
        return 1
    print(f"{'all routes':<20} {'':<34} {total_count:>11} {total_dollars:>14}")
    print(f"{'dead letters':<20} {names.deadletter:<34} {dead:>11}")
    return 0
