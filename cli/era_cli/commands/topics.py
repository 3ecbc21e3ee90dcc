"""`era topics create`: create every pipeline topic (idempotent)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from confluent_kafka import KafkaException

from era_contract.topics import TopicNames
from era_kafka.admin import TopicAdminError, ensure_topics
from era_kafka.clients import admin_config
from era_kafka.config import KafkaSettings, TopicSettings


def register(subparsers: Any) -> None:
    """Add the ``topics`` command."""
    parser = subparsers.add_parser("topics", help="manage the pipeline's topics")
    actions = parser.add_subparsers(dest="topics_command", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create every topic with the configured partitions and replication (idempotent)",
    )
    create.add_argument("--partitions", type=int, help="override ERA_TOPIC_PARTITIONS")
    create.add_argument(
        "--replication-factor", type=int, help="override ERA_TOPIC_REPLICATION_FACTOR"
    )
    create.set_defaults(func=run_create)
    listing = actions.add_parser("list", help="print the topic names for the configured prefix")
    listing.set_defaults(func=run_list)


def run_create(args: argparse.Namespace) -> int:
    """Create the topics and print one line per topic."""
    settings = TopicSettings()
    names = TopicNames(settings.prefix)
    try:
        statuses = ensure_topics(
            admin_config(KafkaSettings()),
            names.all(),
            partitions=args.partitions or settings.partitions,
            replication_factor=args.replication_factor or settings.replication_factor,
            configs=names.configs(settings.state_retention_days),
        )
    except (TopicAdminError, KafkaException) as exc:
        print(f"era topics create: {exc}", file=sys.stderr)
        return 1
    for status in statuses:
        state = "created" if status.created else "exists"
        print(f"{status.name}\t{state}\t{status.partitions} partitions")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the topic names."""
    for name in TopicNames(TopicSettings().prefix).all():
        print(name)
    return 0
