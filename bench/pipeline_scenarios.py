"""Scenarios of the pipeline benchmark (bench/pipeline_bench.py): the shared state of one run on
the bench's broker (fresh topics per scenario, the workers or the baseline hops), and the
measurements themselves: throughput (first `era ingest` start → last adjustment visible on a
route topic), fixed-load latency through the drop-folder ingest service (routed_at -
ingested_at percentiles) and the peak RSS of one `era ingest FILE`.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline_inputs import LATENCY_RATE, InputFile
from pipeline_procs import (
    PARTITIONS,
    BenchError,
    Finished,
    Processes,
    RouteCounter,
    cpu_seconds,
    era_command,
    published_adjustments,
    route_records,
    run_measured,
    wait_groups,
)

from era_contract.codec import AvroCodec
from era_contract.topics import TopicNames
from era_kafka.admin import delete_topics, ensure_topics
from era_kafka.clients import admin_config
from era_kafka.config import KafkaSettings

READY_TIMEOUT_S = 120.0
INGEST_TIMEOUT_S = 900.0
SCRIPT = Path(__file__).resolve().with_name("pipeline_bench.py")  # runs the baseline hops
FAUST_AGENT = SCRIPT.with_name("faust_agent.py")  # the faust-agent baseline engine


@dataclass(slots=True)
class Bench:
    """Shared state of one benchmark run."""

    bootstrap: str
    broker_pid: int | None
    logs: Path
    replication: int = 1  # 3 on a cluster (--cluster): topics get min.insync.replicas 2
    more_broker_pids: tuple[int, ...] = ()  # the other nodes of a cluster, for the CPU note
    kafka: KafkaSettings = field(init=False)

    def __post_init__(self) -> None:
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
        self.logs.mkdir(parents=True, exist_ok=True)
        self.kafka = KafkaSettings()

    def env(self, prefix: str, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "ERA_TOPIC_PREFIX": prefix,
                "ERA_CLASSIFIER_METRICS_PORT": "0",
                "ERA_ROUTER_METRICS_PORT": "0",
                "ERA_INGEST_METRICS_PORT": "0",
                "ERA_LOG_LEVEL": "WARNING",
                **extra,
            }
        )
        return env

    def topics(self, label: str) -> TopicNames:
        names = TopicNames(f"b{uuid.uuid4().hex[:6]}-{label}")
        ensure_topics(
            admin_config(self.kafka),
            names.all(),
            partitions=PARTITIONS,
            replication_factor=self.replication,
            configs=names.configs(),
        )
        return names

    def drop_topics(self, names: TopicNames) -> None:
        with contextlib.suppress(Exception):
            delete_topics(admin_config(self.kafka), names.all())

    def start_stages(
        self, kind: str, names: TopicNames, workers: int, processes: Processes
    ) -> dict[str, int]:
        """Start the two hops; returns consumer group → expected members."""
        env = self.env(names.prefix)
        if kind in ("pipeline", "faust"):
            for stage in ("classifier", "router"):
                argv = era_command("worker", stage)
                if kind == "faust":  # the faust-agent baseline, kept in bench/ (not the product)
                    argv = [sys.executable, str(FAUST_AGENT), stage]
                for i in range(workers):
                    processes.start(f"{names.prefix}-{stage}-{i}", argv, env)
            return {f"{names.prefix}-classifier": workers, f"{names.prefix}-router": workers}
        for hop in (1, 2):
            for i in range(workers):
                argv = [sys.executable, str(SCRIPT), "--hop", str(hop)]
                processes.start(
                    f"{names.prefix}-hop{hop}-{i}", [*argv, "--prefix", names.prefix], env
                )
        return {f"{names.prefix}-baseline-hop{hop}": workers for hop in (1, 2)}


@dataclass(slots=True)
class Throughput:
    """One throughput run."""

    adjustments: int
    seconds: float
    ingest_seconds: float
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.adjustments / self.seconds


def throughput(bench: Bench, kind: str, files: list[InputFile], workers: int = 1) -> Throughput:
    """First `era ingest` start → last adjustment visible (read_committed) on a route topic."""
    names = bench.topics(f"{kind[:4]}{workers}")
    processes = Processes(bench.logs)
    counter: RouteCounter | None = None
    try:
        groups = bench.start_stages(kind, names, workers, processes)
        wait_groups(bench.kafka, groups, processes, READY_TIMEOUT_S)
        counter = RouteCounter(bench.kafka, names)
        pids = {name: p.pid for name, p in processes.started}
        pids["broker"] = bench.broker_pid or 0
        for index, pid in enumerate(bench.more_broker_pids, start=2):
            pids[f"broker{index}"] = pid
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        started = time.monotonic()
        ingest = run_measured(
            era_command("ingest", *(str(f.path) for f in files)),
            bench.env(names.prefix),
            INGEST_TIMEOUT_S,
            bench.logs / f"{names.prefix}-ingest.log",
        )
        if ingest.returncode != 0:
            raise BenchError(f"era ingest failed ({ingest.returncode}): {ingest.stdout[-500:]}")
        total = published_adjustments(ingest.stdout)
        expected = sum(f.adjustments for f in files)
        if total != expected:
            raise BenchError(
                f"era ingest published {total} adjustments, generator wrote {expected}"
            )
        done = counter.wait_for(total, max(120.0, total / 1000), f"{kind} to route", processes)
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        cpu["ingest"] = ingest.cpu_s
        counter.close()
        counter = None
        confirmed = len(route_records(bench.kafka, names))
        if confirmed != total:
            raise BenchError(f"{kind}: {confirmed} records on the route topics, expected {total}")
        return Throughput(total, done - started, ingest.wall_s, cpu)
    finally:
        if counter is not None:
            counter.close()
        processes.stop_all()
        bench.drop_topics(names)


@dataclass(slots=True)
class Latency:
    """One fixed-load latency run."""

    p50: float
    p99: float
    p999: float
    offered: float
    count: int


def latency(bench: Bench, kind: str, files: list[InputFile], probe: InputFile) -> Latency:
    """Offer LATENCY_RATE adjustments/s through the drop-folder ingest service and measure
    routed_at - ingested_at of every routed event."""
    names = bench.topics(f"lat{kind[:4]}")
    processes = Processes(bench.logs)
    inbox = bench.logs / f"{names.prefix}-inbox"
    inbox.mkdir()
    counter: RouteCounter | None = None
    try:
        groups = bench.start_stages(kind, names, 1, processes)
        processes.start(
            f"{names.prefix}-ingest-watch",
            era_command("ingest", "--watch", str(inbox)),
            bench.env(names.prefix, ERA_INGEST_POLL_SECONDS="0.02", ERA_INGEST_STABLE_SECONDS="0"),
        )
        wait_groups(bench.kafka, groups, processes, READY_TIMEOUT_S)
        counter = RouteCounter(bench.kafka, names)
        _drop(probe.path, inbox / "probe.835")
        counter.wait_for(probe.adjustments, READY_TIMEOUT_S, "the probe file", processes)
        total = probe.adjustments + sum(f.adjustments for f in files)
        sent, started = 0, time.monotonic()
        for i, item in enumerate(files):
            due = started + sent / LATENCY_RATE
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            _drop(item.path, inbox / f"load-{i:05d}.835")
            sent += item.adjustments
        counter.wait_for(total, 120, f"{kind} latency load to route", processes)
        counter.close()
        counter = None
        codec = AvroCodec("era.events.ClassifiedAdjustment")
        delays: list[float] = []
        ingested: list[int] = []
        for value in route_records(bench.kafka, names):
            record = codec.decode(value)
            if record["file"] == "probe.835":
                continue
            delays.append(float(record["routed_at"] - record["ingested_at"]))
            ingested.append(record["ingested_at"])
        if len(delays) != total - probe.adjustments:
            raise BenchError(f"{kind}: {len(delays)} load records routed, expected {total}")
        delays.sort()
        span = (max(ingested) - min(ingested)) / 1000 or 1.0
        return Latency(
            percentile(delays, 0.50),
            percentile(delays, 0.99),
            percentile(delays, 0.999),
            len(delays) / span,
            len(delays),
        )
    finally:
        if counter is not None:
            counter.close()
        processes.stop_all()
        bench.drop_topics(names)


def _drop(source: Path, target: Path) -> None:
    """Put a complete file into the inbox at once (hard link, else copy and rename)."""
    try:
        os.link(source, target)
    except OSError:
        partial = target.with_name("." + target.name)
        shutil.copyfile(source, partial)
        partial.replace(target)


def ingest_rss(bench: Bench, item: InputFile) -> Finished:
    """Peak RSS of one `era ingest FILE` into fresh topics."""
    names = bench.topics("mem")
    try:
        finished = run_measured(
            era_command("ingest", str(item.path)),
            bench.env(names.prefix),
            INGEST_TIMEOUT_S * 4,
            bench.logs / f"{names.prefix}-ingest.log",
        )
        if finished.returncode != 0:
            raise BenchError(f"era ingest {item.path.name} failed: {finished.stdout[-500:]}")
        return finished
    finally:
        bench.drop_topics(names)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = min(max(1, math.ceil(fraction * len(sorted_values))), len(sorted_values))
    return sorted_values[rank - 1]
