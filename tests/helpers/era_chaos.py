"""What the chaos tests share (the single-broker one, tests/era_streams/test_chaos_kafka.py, and
the cluster one, tests/era_streams/test_chaos_cluster_kafka.py): generated load, the routes
`era explain` predicts (and the claims and remittances the parser gives), pools of worker
processes to kill, add and remove, and the check that every event reached its topic exactly
once."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from era_contract.topics import TopicNames
from era_ingest.synth import generate
from era_ingest.x12 import ParsedTransaction, parse_path
from era_kafka.clients import Codecs, consumer_config
from era_kafka.config import KafkaSettings
from era_testing import era_command, read_records

Expected = dict[str, tuple[str, Decimal]]  # event id -> (route, amount)


def generate_files(directory: Path, parts: int, adjustments: int, seed: int) -> list[Path]:
    """``parts`` generated ERA files with about ``adjustments`` adjustments in all."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for part in range(parts):
        path = directory / f"chaos-{part}.835"
        with path.open("wb") as out:
            generate(out, seed=seed + part, target_adjustments=max(adjustments // parts, 1))
        files.append(path)
    return files


def expected_routes(paths: list[Path], env: dict[str, str]) -> Expected:
    """Event id -> (route, amount) as `era explain` decides offline."""
    result = subprocess.run(
        era_command("explain", "--format", "jsonl", *map(str, paths)),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    rows = (json.loads(line) for line in result.stdout.splitlines())
    return {row["event_id"]: (row["route"], Decimal(row["amount"])) for row in rows}


def expected_claims(paths: list[Path]) -> tuple[set[str], set[str]]:
    """Event ids of the claims and of the remittances the parser gives for ``paths``."""
    claims: set[str] = set()
    remittances: set[str] = set()
    for path in paths:
        for item in parse_path(path):
            if isinstance(item, ParsedTransaction):
                claims.update(str(c["event_id"]) for c in item.claims)
                remittance = item.remittance
                assert remittance is not None
                remittances.add(str(remittance["event_id"]))
    return claims, remittances


def lost_and_doubled(expected: set[str], seen: Counter[str]) -> tuple[int, int]:
    """How many of ``expected`` are missing from ``seen``, and how many extra copies it has."""
    return len(expected - set(seen)), sum(count - 1 for count in seen.values() if count > 1)


class Pool:
    """Live processes of one worker kind: kill -9 on demand (and restart), add, remove, and
    restart what died by itself. With ``instance_ids`` each process gets its own
    ``ERA_WORKER_INSTANCE_ID`` (``<service>-<n>``), so its transactional id is known."""

    def __init__(
        self,
        service: str,
        start: Callable[..., subprocess.Popen[bytes]],
        *,
        size: int = 1,
        instance_ids: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self._start = start
        self._instance_ids = instance_ids
        self._rng = rng or random.Random(0)
        self._started = 0
        self.members: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.kills = 0
        self.crashes = 0
        self.added = 0
        self.removed = 0
        for _ in range(size):
            self._spawn()

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The first live process (the single-broker test keeps one)."""
        return self.members[0][1]

    def instances(self) -> list[str]:
        """The instance ids of the live processes."""
        return [instance for instance, _ in self.members]

    def _spawn(self) -> None:
        self._started += 1
        instance = f"{self.service}-{self._started}"
        if self._instance_ids:
            process = self._start(self.service, {"ERA_WORKER_INSTANCE_ID": instance})
        else:
            process = self._start(self.service)
        self.members.append((instance, process))

    def kill(self) -> None:
        """SIGKILL one live process (chosen at random) and start a replacement."""
        index = self._rng.randrange(len(self.members))
        _, process = self.members.pop(index)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        self.kills += 1
        self._spawn()

    def add(self) -> None:
        """One more process joins the consumer group (a rebalance mid-flow)."""
        self.added += 1
        self._spawn()

    def remove(self) -> None:
        """The newest process leaves (SIGTERM: commits what it has, leaves the group)."""
        _, process = self.members.pop()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        self.removed += 1

    def supervise(self) -> None:
        """Restart any process that died on its own (e.g. fenced, or a fatal Kafka error)."""
        for index, (_, process) in enumerate(list(self.members)):
            if process.poll() is not None:
                self.crashes += 1
                self.members.pop(index)
                self._spawn()


@dataclass(slots=True)
class Outcome:
    """What reached the route topics, compared with what `era explain` predicted."""

    events: int
    lost: int
    doubled: int
    wrong_route: int
    dead_letters: list[dict[str, Any]]
    per_route: dict[str, Decimal] = field(default_factory=dict)
    predicted: dict[str, Decimal] = field(default_factory=dict)
    claims: tuple[int, int, int] = (0, 0, 0)  # expected, lost, doubled on era.claims
    remittances: tuple[int, int, int] = (0, 0, 0)  # the same on era.remittances
    unexpected: int = 0  # claims or remittances nobody expected
    doubled_where: list[str] = field(default_factory=list)  # where each doubled event's copies are

    def summary(self) -> str:
        """``events= lost= duplicated= ...`` for the summary line."""
        return (
            f"events={self.events} lost={self.lost} duplicated={self.doubled}"
            f" wrong_route={self.wrong_route} dead_letters={len(self.dead_letters)}"
            f" claims={self.claims[0]} claims_lost={self.claims[1]}"
            f" claims_duplicated={self.claims[2]} remittances={self.remittances[0]}"
            f" remittances_lost={self.remittances[1]}"
            f" remittances_duplicated={self.remittances[2]}"
            + "".join(f"\n  doubled: {where}" for where in self.doubled_where)
        )

    def assert_exactly_once(self) -> None:
        """0 lost, 0 doubled, each on its predicted route, dollars per route as predicted;
        every claim and remittance once."""
        assert self.lost == 0, self.summary()
        assert self.doubled == 0, self.summary()
        assert self.wrong_route == 0, self.summary()
        assert self.dead_letters == [], self.summary()
        assert self.per_route == self.predicted
        assert self.claims[1:] == (0, 0), self.summary()
        assert self.remittances[1:] == (0, 0), self.summary()
        assert self.unexpected == 0, self.summary()


def _read_raw(
    kafka: KafkaSettings, topic: str, isolation: str
) -> list[tuple[int, int, int, list[tuple[str, bytes | None]], bytes | None]]:
    """(partition, offset, timestamp, headers, value) of every record of ``topic`` up to its end,
    as a ``read_committed`` or a ``read_uncommitted`` reader sees it."""
    consumer = Consumer(
        consumer_config(
            kafka,
            group_id=f"era-locate-{uuid.uuid4().hex[:8]}",
            **{"isolation.level": isolation, "enable.partition.eof": True},
        )
    )
    rows = []
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        pending, deadline = set(partitions), time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            for message in consumer.consume(500, timeout=0.5):
                error = message.error()
                if error is None:
                    rows.append(
                        (
                            message.partition(),
                            message.offset(),
                            message.timestamp()[1],
                            list(message.headers() or []),
                            message.value(),
                        )
                    )
                elif error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition())
    finally:
        consumer.close()
    return rows


def locate(kafka: KafkaSettings, names: TopicNames, event_ids: set[str]) -> list[str]:
    """For each of ``event_ids`` (at most 5): every copy on era.adjustments, the classified
    topic, the lookup topic and the route topics, as ``topic[partition]@offset (timestamp)``
    with its header names and whether it is committed or in an aborted transaction (read
    uncommitted, compared with read committed). The first stage with two *committed* copies is
    the one that doubled it; aborted copies beside them show the abort/redo it went through."""
    found: dict[str, list[str]] = {event: [] for event in sorted(event_ids)[:5]}
    topics = [names.adjustments, names.classified, names.classifier_lookup, *names.routes.values()]
    codecs = Codecs()
    for topic in topics:
        codec = codecs.for_schema(names.schema_for(topic))
        committed = {(r[0], r[1]) for r in _read_raw(kafka, topic, "read_committed")}
        for partition, offset, stamp, headers, value in _read_raw(kafka, topic, "read_uncommitted"):
            if value is None or value[:1] == b"{":  # tombstones, the lookup's index entries
                continue
            event = codec.decode(value).get("event_id")
            if event in found:
                state = "committed" if (partition, offset) in committed else "aborted"
                header_names = ",".join(name for name, _ in headers)
                found[event].append(
                    f"{topic}[{partition}]@{offset} ({stamp}) {state}"
                    + (f" headers={header_names}" if header_names else "")
                )
    return [f"{event}: {', '.join(copies)}" for event, copies in found.items()]


def routed_count(kafka: KafkaSettings, names: TopicNames) -> int:
    """Distinct event ids on the route topics now (read_committed, read to the end)."""
    return len(
        {r["event_id"] for topic in names.routes.values() for r in read_records(kafka, topic, 1.0)}
    )


def collect(
    kafka: KafkaSettings,
    names: TopicNames,
    expected: Expected,
    deadline: float,
    supervise: Callable[[], None] = lambda: None,
    claims: tuple[set[str], set[str]] | None = None,
) -> Outcome:
    """Read the route topics until every expected event is there or ``deadline`` (monotonic)
    passed, calling ``supervise`` between reads; then compare with ``expected`` (and the
    claims and remittances topics with ``claims``: the ids of :func:`expected_claims`)."""
    records: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    while True:
        supervise()
        records = [r for topic in names.routes.values() for r in read_records(kafka, topic, 1.0)]
        seen = Counter(r["event_id"] for r in records)
        if len(seen) >= len(expected) or time.monotonic() >= deadline:
            break
        time.sleep(3)
    routes = {r["event_id"]: r["route"] for r in records}
    per_route: dict[str, Decimal] = {}
    for record in records:
        route = record["route"]
        per_route[route] = per_route.get(route, Decimal(0)) + Decimal(record["amount"])
    predicted: dict[str, Decimal] = {}
    for route, amount in expected.values():
        predicted[route] = predicted.get(route, Decimal(0)) + amount
    claim_counts, check_counts, unexpected = (0, 0, 0), (0, 0, 0), 0
    if claims is not None:
        want_claims, want_checks = claims
        seen_claims = Counter(c["event_id"] for c in read_records(kafka, names.claims))
        seen_checks = Counter(r["event_id"] for r in read_records(kafka, names.remittances))
        claim_counts = (len(want_claims), *lost_and_doubled(want_claims, seen_claims))
        check_counts = (len(want_checks), *lost_and_doubled(want_checks, seen_checks))
        unexpected = len(set(seen_claims) - want_claims) + len(set(seen_checks) - want_checks)
    doubled_ids = {event for event, count in seen.items() if count > 1}
    return Outcome(
        doubled_where=locate(kafka, names, doubled_ids) if doubled_ids else [],
        claims=claim_counts,
        remittances=check_counts,
        unexpected=unexpected,
        events=len(expected),
        lost=len(set(expected) - set(seen)),
        doubled=sum(count - 1 for count in seen.values() if count > 1),
        wrong_route=sum(
            1 for event, (route, _) in expected.items() if routes.get(event, route) != route
        )
        + len(set(seen) - set(expected)),
        dead_letters=read_records(kafka, names.deadletter, idle=1.0),
        per_route=per_route,
        predicted=predicted,
    )
