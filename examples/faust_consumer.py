"""A downstream faust app that consumes the era route topics natively.

It reads every route topic ``read_committed`` (faust's ``exactly_once`` guarantee) with the
contract package's faust codec and models, and prints one JSON line per work item: what a
posting system would pick up. Run it against the pipeline's cluster::

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python examples/faust_consumer.py worker -l warn

``ERA_TOPIC_PREFIX`` (default ``era``) names the topics, ``ERA_EXAMPLE_APP_ID`` (default
``era-posting-example``) the faust app and its consumer group. Only PLAINTEXT is wired here;
a real app passes its TLS/SASL credentials to ``faust.App``
(``era_streams.faust_kafka.credentials`` builds them from the ``KAFKA_*`` settings).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import faust

from era_contract.faust_codec import models
from era_contract.topics import ROUTES, TopicNames

prefix = os.environ.get("ERA_TOPIC_PREFIX", "era")
bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
names = TopicNames(prefix)

app = faust.App(
    os.environ.get("ERA_EXAMPLE_APP_ID", "era-posting-example"),
    broker=[f"kafka://{server}" for server in bootstrap.split(",")],
    processing_guarantee="exactly_once",  # consumers read read_committed
    consumer_auto_offset_reset="earliest",
    topic_allow_declare=False,  # the pipeline owns its topics
    store="memory://",
    web_enabled=False,
)
ClassifiedAdjustment = models().ClassifiedAdjustment
work = app.topic(
    *(names.route(route) for route in ROUTES),
    key_type=str,
    value_type=ClassifiedAdjustment,
)


@app.agent(work)
async def pick_up(events: Any) -> None:
    """One line per routed adjustment: the fields a posting system needs."""
    async for event in events:
        line = {
            "event_id": event.event_id,
            "route": event.route,
            "action": event.action,
            "claim_id": event.claim_id,
            "amount": event.amount,
            "appeal_deadline": event.appeal_deadline,
        }
        # the process's real stdout: faust's worker turns print() into log lines
        out = sys.__stdout__
        assert out is not None
        out.write(json.dumps(line) + "\n")
        out.flush()


if __name__ == "__main__":
    app.main()
