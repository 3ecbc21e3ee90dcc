"""Pipeline benchmark: `era ingest` → classifier → router on a real local Kafka broker, next to a
plain consume→produce passthrough (no transactions) over the same two hops.

Run with the project's interpreter from the repository root::

    .venv/bin/python bench/pipeline_bench.py            # 200k adjustments, 60 s latency runs
    .venv/bin/python bench/pipeline_bench.py --quick    # 20k adjustments, 20 s latency runs
    .venv/bin/python bench/pipeline_bench.py --big      # plus ingest peak RSS on a 1 GB file

The script starts its own broker (``deploy/kafka/local_kafka.py``, home ``var/bench/kafka-<pid>``,
two free loopback ports; stopped and deleted at the end), creates every scenario's topics under
a fresh prefix (4 partitions, RF 1) and prints one table: each figure, its baseline and the
ratio. Generated ERA files are cached under ``var/bench/pipeline/`` by seed and size. See
bench/README.md for what each row measures and why.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from era_contract.codec import AvroCodec
from era_contract.topics import TopicNames
from era_kafka.admin import delete_topics, ensure_topics
from era_kafka.clients import admin_config, consumer_config, producer_config
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_to_end

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
CACHE = BENCH / "pipeline"
PARTITIONS = 4
READY_TIMEOUT_S = 120.0
INGEST_TIMEOUT_S = 900.0
PROBE_ADJUSTMENTS = 200
LATENCY_RATE = 2000.0  # adjustments per second offered in the latency runs
LATENCY_FILE_ADJUSTMENTS = 150  # synth target; files come out at ~150-400 adjustments
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Hop 1 of the baseline adds these constant classification fields (ClassifiedAdjustment).
CLASSIFIED_CONSTANTS: dict[str, Any] = {
    "category": "contractual",
    "action": "write_off",
    "route": "writeoff",
    "appealable": "no",
    "who_pays": "provider",
    "patient_billable": False,
    "upstream_cause": None,
    "rule_id": "baseline",
    "explanation": "baseline passthrough: constant classification",
    "carc_description": None,
    "rarc_descriptions": [],
    "flags": [],
    "expected_amount": None,
    "kb_version": "baseline",
    "rules_version": "baseline",
    "classified_at": None,
    "appeal_deadline": None,
    "follow_up_by": None,
    "routed_at": None,
}


class BenchError(RuntimeError):
    """A scenario could not run or did not finish in time; the message says which and why."""


# --------------------------------------------------------------------------------------------
# generated input, cached by seed and size


@dataclass(frozen=True, slots=True)
class InputFile:
    """One generated ERA file and the number of adjustments the generator wrote into it."""

    path: Path
    adjustments: int


def _synth(path: Path, *, seed: int, **options: Any) -> InputFile:
    """Generate ``path`` once (cached with a ``.json`` summary beside it) and return it."""
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return InputFile(path, int(json.loads(meta.read_text())["adjustments"]))
    from era_ingest.synth import generate  # noqa: PLC0415  (only when generating)

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        summary = generate(out, seed=seed, **options)
    partial.replace(path)
    meta.write_text(json.dumps({"seed": seed, "adjustments": summary.adjustments, **options}))
    return InputFile(path, summary.adjustments)


def throughput_files(adjustments: int, seed: int, parts: int = 4) -> list[InputFile]:
    """``adjustments`` split over ``parts`` files (different seeds, so distinct sets)."""
    directory = CACHE / f"throughput-{adjustments}-s{seed}"
    per_file = -(-adjustments // parts)
    return [
        _synth(directory / f"part-{i}.835", seed=seed + i, target_adjustments=per_file)
        for i in range(parts)
    ]


def latency_files(seconds: float, seed: int) -> list[InputFile]:
    """Small files (~200 adjustments each) enough to offer LATENCY_RATE for ``seconds``."""
    directory = CACHE / f"latency-s{seed}"
    files: list[InputFile] = []
    total, i = 0, 0
    while total < LATENCY_RATE * seconds:
        item = _synth(
            directory / f"small-{i:05d}.835",
            seed=seed * 100_000 + i,
            target_adjustments=LATENCY_FILE_ADJUSTMENTS,
        )
        files.append(item)
        total += item.adjustments
        i += 1
    return files


def probe_file(seed: int) -> InputFile:
    """A tiny file used to warm the path up and as the memory baseline."""
    return _synth(
        CACHE / f"probe-s{seed}.835", seed=seed + 99_999, target_adjustments=PROBE_ADJUSTMENTS
    )


# --------------------------------------------------------------------------------------------
# processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _local_kafka_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "local_kafka", ROOT / "deploy" / "kafka" / "local_kafka.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def era_command(*args: str) -> list[str]:
    """The argv that runs ``era ARGS`` with this interpreter."""
    return [sys.executable, "-m", "era_cli.main", *args]


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds used so far by ``pid`` (0 when it is gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass(slots=True)
class Finished:
    """What ``os.wait4`` reported for a process that was waited for."""

    returncode: int
    max_rss_kib: int
    cpu_s: float
    wall_s: float
    stdout: str
    hwm_kib: int = 0  # VmHWM polled from /proc while it ran (cross-check of max_rss_kib)


class Processes:
    """Every subprocess a scenario started; :meth:`stop_all` ends them (SIGTERM, then SIGKILL)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start ``argv`` with stdout and stderr to ``<logs>/<name>.log``."""
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.started.append((name, process))
        return process

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def check_alive(self) -> None:
        """Raise with the log tail of any started process that exited."""
        for name, process in self.started:
            if process.returncode is None and process.poll() is not None:
                raise BenchError(
                    f"{name} exited with code {process.returncode}:\n{self.log_tail(name)}"
                )

    def stop_all(self) -> None:
        """SIGTERM everything still running, wait up to 20 s, then SIGKILL."""
        for _, process in self.started:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        for _, process in self.started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.started.clear()


def run_measured(argv: list[str], env: dict[str, str], timeout: float, log: Path) -> Finished:
    """Run ``argv`` to completion; peak RSS and CPU come from ``os.wait4`` on it."""
    started = time.monotonic()
    with log.open("wb") as err:
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL
        )
    assert process.stdout is not None
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = started + timeout
    hwm = 0
    try:
        while True:
            hwm = max(hwm, _status_kib(process.pid, "VmHWM"))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"{' '.join(argv[3:5])} did not finish within {timeout:.0f}s")
            time.sleep(0.02)
    except BaseException:
        process.kill()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(process.pid, 0)
        raise
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(10)
    return Finished(
        returncode=process.returncode,
        max_rss_kib=usage.ru_maxrss,
        cpu_s=usage.ru_utime + usage.ru_stime,
        wall_s=wall,
        stdout=b"".join(chunks).decode(errors="replace"),
        hwm_kib=hwm,
    )


def _status_kib(pid: int, key: str) -> int:
    """A ``kB`` line of /proc/PID/status (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def published_adjustments(stdout: str) -> int:
    """Sum of the ``N adjustments`` column of ``era ingest`` output."""
    return sum(int(m) for m in re.findall(r"\t(\d+) adjustments", stdout))


# --------------------------------------------------------------------------------------------
# Kafka helpers


class RouteCounter:
    """A read_committed reader of every route topic that counts records as they become
    visible and remembers when each count was reached (no decoding)."""

    def __init__(self, kafka: KafkaSettings, names: TopicNames) -> None:
        config = consumer_config(kafka, group_id=f"bench-counter-{uuid.uuid4().hex[:8]}")
        self.consumer = Consumer(config)
        self.consumer.assign(
            [
                TopicPartition(topic, p, OFFSET_BEGINNING)
                for topic in names.routes.values()
                for p in range(PARTITIONS)
            ]
        )
        self.count = 0
        self.history: list[tuple[float, int]] = []  # (monotonic time, count after a batch)
        self.files: dict[str, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="route-counter", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                messages = self.consumer.consume(1000, timeout=0.05)
                now = time.monotonic()
                good = 0
                for message in messages:
                    error = message.error()
                    if error is None:
                        good += 1
                    elif error.code() != KafkaError._PARTITION_EOF:
                        self.error = str(error)
                if good:
                    with self._lock:
                        self.count += good
                        self.history.append((now, self.count))
        finally:
            self.consumer.close()

    def reached(self, total: int) -> float | None:
        """Monotonic time when the count first reached ``total``."""
        with self._lock:
            for moment, count in self.history:
                if count >= total:
                    return moment
        return None

    def wait_for(self, total: int, timeout: float, what: str, processes: Processes) -> float:
        """Block until ``total`` routed records are visible; returns when that happened."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            moment = self.reached(total)
            if moment is not None:
                return moment
            if self.error:
                raise BenchError(f"route reader failed: {self.error}")
            processes.check_alive()
            time.sleep(0.05)
        raise BenchError(
            f"timed out after {timeout:.0f}s waiting for {what}: {self.count} of {total}"
            " adjustments visible on the route topics"
        )

    def close(self) -> None:
        self._stop.set()
        self.thread.join(10)


def wait_groups(
    kafka: KafkaSettings, groups: dict[str, int], processes: Processes, timeout: float
) -> None:
    """Wait until each consumer group is stable with its number of members and every
    partition of its source topic assigned."""
    admin = AdminClient(admin_config(kafka))
    deadline = time.monotonic() + timeout
    pending = dict(groups)
    last = ""
    while pending:
        processes.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(
                f"consumer groups not ready within {timeout:.0f}s: {', '.join(pending)} ({last})"
            )
        for group, future in admin.describe_consumer_groups(
            list(pending), request_timeout=5
        ).items():
            try:
                described = future.result(timeout=10)
            except Exception as exc:  # not known yet
                last = f"{group}: {exc}"
                continue
            assigned = sum(
                len(m.assignment.topic_partitions) for m in described.members if m.assignment
            )
            members = len(described.members)
            last = f"{group}: {described.state.name}, {members} members, {assigned} partitions"
            if (
                described.state.name == "STABLE"
                and len(described.members) >= pending[group]
                and assigned >= PARTITIONS
            ):
                del pending[group]
        time.sleep(0.25)


def route_records(kafka: KafkaSettings, names: TopicNames) -> list[bytes]:
    """Every committed value on the route topics, read to their current end."""
    values: list[bytes] = []
    for topic in names.routes.values():
        values.extend(r.value for r in read_to_end(kafka, topic, timeout=120) if r.value)
    return values


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = min(max(1, math.ceil(fraction * len(sorted_values))), len(sorted_values))
    return sorted_values[rank - 1]


# --------------------------------------------------------------------------------------------
# the baseline passthrough (runs as `pipeline_bench.py --hop 1|2 --prefix P`)


def run_hop(hop: int, prefix: str) -> int:
    """Consume(500) → decode → constant transform → encode → produce, until SIGTERM.

    read_committed consumer with auto-committed offsets, idempotent producer, no transactions.
    """
    names = TopicNames(prefix)
    kafka = KafkaSettings()
    consumer = Consumer(
        consumer_config(
            kafka,
            group_id=f"{prefix}-baseline-hop{hop}",
            **{"enable.auto.commit": True, "auto.commit.interval.ms": 500},
        )
    )
    producer = Producer(producer_config(kafka))
    if hop == 1:
        source, decoder = names.adjustments, AvroCodec("era.events.Adjustment")
    else:
        source, decoder = names.classified, AvroCodec("era.events.ClassifiedAdjustment")
    encode = AvroCodec("era.events.ClassifiedAdjustment").encode
    decode = decoder.decode
    routes = list(names.routes.values())
    classified_topic = names.classified
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    consumer.subscribe([source])
    try:
        while not stop.is_set():
            for message in consumer.consume(500, timeout=0.1):
                error = message.error()
                if error is not None:
                    if error.fatal():
                        raise RuntimeError(str(error))
                    continue
                record = decode(message.value())
                now = time.time_ns() // 1_000_000
                if hop == 1:
                    record.update(CLASSIFIED_CONSTANTS)
                    record["classified_at"] = now
                    topic = classified_topic
                else:
                    record["routed_at"] = now
                    topic = routes[zlib.crc32(record["event_id"].encode()) % len(routes)]
                value = encode(record)
                while True:
                    try:
                        producer.produce(topic, value, message.key())
                        break
                    except BufferError:
                        producer.poll(0.05)
            producer.poll(0)
    finally:
        producer.flush(30)
        consumer.close()
    return 0


# --------------------------------------------------------------------------------------------
# scenarios


@dataclass(slots=True)
class Bench:
    """Shared state of one benchmark run."""

    bootstrap: str
    broker_pid: int | None
    logs: Path
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
            replication_factor=1,
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
        if kind == "faust":
            env["ERA_WORKER_ENGINE"] = "faust"
        if kind in ("pipeline", "faust"):
            for stage in ("classifier", "router"):
                for i in range(workers):
                    processes.start(
                        f"{names.prefix}-{stage}-{i}", era_command("worker", stage), env
                    )
            return {f"{names.prefix}-classifier": workers, f"{names.prefix}-router": workers}
        for hop in (1, 2):
            for i in range(workers):
                argv = [sys.executable, str(Path(__file__).resolve()), "--hop", str(hop)]
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


# --------------------------------------------------------------------------------------------
# report


def machine() -> str:
    pom = (ROOT / "deploy" / "kafka" / "pom.xml").read_text()
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    kafka_version = found.group(1) if found else "?"
    import confluent_kafka  # noqa: PLC0415

    return (
        f"machine: nproc {os.cpu_count()}, {platform.machine()},"
        f" Python {platform.python_version()}, Apache Kafka {kafka_version}"
        " (deploy/kafka/pom.xml, KRaft, 1 node), confluent-kafka"
        f" {confluent_kafka.version()[0]} / librdkafka {confluent_kafka.libversion()[0]}"
    )


Row = tuple[str, str, str, str]


def print_table(rows: list[Row], notes: list[str]) -> None:
    header: Row = ("measure", "figure", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for row in [header, *rows]:
        print(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )
        if row is header:
            print(line)
    print(line)
    for note in notes:
        print(note)


def cpu_note(label: str, result: Throughput) -> str:
    parts = []
    for name, seconds in sorted(result.cpu.items()):
        short = re.sub(r"^b[0-9a-f]{6}-[a-z0-9]+-", "", name)
        parts.append(f"{short} {seconds:.1f} ({seconds / result.adjustments * 1e6:.0f} µs/adj)")
    total = sum(result.cpu.values())
    parts.append(f"all {total:.1f} = {total / result.seconds:.2f} cores busy")
    return (
        f"  CPU s during the {label} run ({result.seconds:.1f} s wall, ingest process"
        f" {result.ingest_seconds:.1f} s): " + ", ".join(parts)
    )


@dataclass(slots=True)
class Results:
    """Every measurement of one run."""

    pipe1: Throughput
    base1: Throughput
    pipe2: Throughput
    faust1: Throughput
    lat_pipe: Latency
    lat_base: Latency
    rss_probe: Finished
    rss_10: Finished
    rss_big: Finished | None


def report(
    results: Results,
    *,
    files: list[InputFile],
    load: list[InputFile],
    probe: InputFile,
    ten_mb: InputFile,
    big: InputFile | None,
) -> tuple[list[Row], list[str]]:
    """The table rows and the notes under it."""
    pipe1, base1, pipe2 = results.pipe1, results.base1, results.pipe2
    lat_pipe, lat_base = results.lat_pipe, results.lat_base
    rss_probe, rss_10, rss_big = results.rss_probe, results.rss_10, results.rss_big
    rows: list[Row] = [
        (
            "2 pipeline throughput, adj/s (1+1 workers)",
            f"{pipe1.rate:,.0f}",
            f"{base1.rate:,.0f}",
            f"{pipe1.rate / base1.rate:.0%}",
        ),
        (
            "  same, faust agent engine (at least once), adj/s",
            f"{results.faust1.rate:,.0f}",
            f"{base1.rate:,.0f}",
            f"{results.faust1.rate / base1.rate:.0%}",
        ),
        (
            "  ingest process alone, adj/s (same runs)",
            f"{pipe1.adjustments / pipe1.ingest_seconds:,.0f}",
            f"{base1.adjustments / base1.ingest_seconds:,.0f}",
            f"{base1.ingest_seconds / pipe1.ingest_seconds:.0%}",
        ),
    ]
    for label, attr in (("p50", "p50"), ("p99", "p99"), ("p999", "p999")):
        a, b = getattr(lat_pipe, attr), getattr(lat_base, attr)
        rows.append(
            (
                f"3 latency {label}, ms @ {LATENCY_RATE:.0f}/s",
                f"{a:,.0f}",
                f"{b:,.0f}",
                f"{a / b:.1f}x",
            )
        )
    rows.append(
        (
            "  offered load achieved, adj/s",
            f"{lat_pipe.offered:,.0f}",
            f"{lat_base.offered:,.0f}",
            f"{lat_pipe.offered / lat_base.offered:.0%}",
        )
    )
    mib = 1024.0
    rows.append(
        (
            f"4 ingest peak RSS, MiB, 10 MB file ({ten_mb.adjustments:,} adj)",
            f"{rss_10.max_rss_kib / mib:.0f}",
            f"{rss_probe.max_rss_kib / mib:.0f}",
            f"{rss_10.max_rss_kib / rss_probe.max_rss_kib:.2f}x",
        )
    )
    if rss_big is not None and big is not None:
        rows.append(
            (
                f"4 ingest peak RSS, MiB, 1 GB file ({big.adjustments:,} adj)",
                f"{rss_big.max_rss_kib / mib:.0f}",
                f"{rss_probe.max_rss_kib / mib:.0f}",
                f"{rss_big.max_rss_kib / rss_probe.max_rss_kib:.2f}x",
            )
        )
    rows.append(
        (
            "5 pipeline throughput, adj/s, 2+2 workers",
            f"{pipe2.rate:,.0f}",
            f"{pipe1.rate:,.0f}",
            f"{pipe2.rate / pipe1.rate:.0%}",
        )
    )
    notes = [
        f"2 {pipe1.adjustments:,} adjustments in {len(files)} files, one `era ingest` process;"
        " time from its start to the last adjustment visible to a read_committed reader of the"
        " route topics (counted live, confirmed by reading them fully). Baseline: plain"
        " consume(500)→decode→encode→produce over the same two hops, read_committed consumer,"
        " idempotent producer, auto-committed offsets, NO transactions (at least once). Target"
        " ratio ≥ 50%, pipeline ≥ 8,000/s.",
        cpu_note("pipeline", pipe1),
        cpu_note("baseline", base1),
        "2 faust agent engine: ERA_WORKER_ENGINE=faust, a faust agent per worker, one event at"
        " a time, raw bytes in and out, at least once: what the transactional loop replaced.",
        cpu_note("faust engine", results.faust1),
        f"3 {lat_pipe.count:,} adjustments in {len(load)} files of ~200 dropped into an"
        " `era ingest --watch` inbox (poll 20 ms) at a fixed rate; latency = routed_at -"
        " ingested_at, so it includes each file's transaction (events are stamped while the"
        " file is parsed and become visible at its commit). Baseline: same ingest, baseline hops.",
        f"4 peak RSS (os.wait4 ru_maxrss) of `era ingest FILE`; baseline = the same command on a"
        f" {probe.adjustments}-adjustment file (interpreter, imports and client floor). Measured"
        " first: a child's ru_maxrss starts from its parent's RSS at fork, so it runs while this"
        " process is small; VmHWM polled from /proc agrees:"
        f" {rss_10.hwm_kib / 1024:.0f} / {rss_probe.hwm_kib / 1024:.0f} MiB.",
        "5 baseline = the 1+1 pipeline run above. nproc is "
        f"{os.cpu_count()}: with the broker, ingest and 4 workers sharing them this mostly shows"
        " overhead, not scaling.",
        cpu_note("2+2 pipeline", pipe2),
    ]
    return rows, notes


def run_scenarios(
    bench: Bench,
    *,
    files: list[InputFile],
    load: list[InputFile],
    probe: InputFile,
    ten_mb: InputFile,
    big: InputFile | None,
    latency_s: float,
) -> Results:
    """Every scenario, in order, on one broker."""

    def step(what: str) -> None:
        print(f"... {what}", flush=True)

    step(f"ingest memory (this process: {_status_kib(os.getpid(), 'VmRSS') / 1024:.0f} MiB)")
    rss_probe = ingest_rss(bench, probe)
    rss_10 = ingest_rss(bench, ten_mb)
    rss_big = ingest_rss(bench, big) if big is not None else None
    step(f"pipeline throughput, {sum(f.adjustments for f in files)} adjustments, 1+1 workers")
    pipe1 = throughput(bench, "pipeline", files)
    step(f"baseline throughput ({pipe1.rate:,.0f}/s pipeline)")
    base1 = throughput(bench, "baseline", files)
    step(f"pipeline throughput, faust agent engine ({base1.rate:,.0f}/s baseline)")
    faust1 = throughput(bench, "faust", files)
    step(f"pipeline throughput, 2+2 workers ({faust1.rate:,.0f}/s faust engine)")
    pipe2 = throughput(bench, "pipeline", files, workers=2)
    step(f"pipeline latency at {LATENCY_RATE:.0f}/s for {latency_s:.0f}s")
    lat_pipe = latency(bench, "pipeline", load, probe)
    step("baseline latency")
    lat_base = latency(bench, "baseline", load, probe)
    return Results(pipe1, base1, pipe2, faust1, lat_pipe, lat_base, rss_probe, rss_10, rss_big)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--adjustments", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="20k adjustments, 20 s latency")
    parser.add_argument("--big", action="store_true", help="also ingest RSS on a 1 GB file")
    parser.add_argument("--seed", type=int, default=835)
    parser.add_argument("--latency-seconds", type=float, default=None)
    parser.add_argument("--no-parse", action="store_true", help="skip the parse rows (pyx12)")
    parser.add_argument("--hop", type=int, choices=(1, 2), help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hop is not None:
        return run_hop(args.hop, args.prefix)
    adjustments = 20_000 if args.quick else args.adjustments
    latency_s = args.latency_seconds or (20.0 if args.quick else 60.0)

    print(machine(), flush=True)
    t = time.monotonic()
    files = throughput_files(adjustments, args.seed)
    load = latency_files(latency_s, args.seed)
    probe = probe_file(args.seed)
    ten_mb = _synth(CACHE / f"synth-10mb-s{args.seed}.835", seed=args.seed, target_bytes=10**7)
    big = (
        _synth(CACHE / f"synth-1gb-s{args.seed}.835", seed=args.seed, target_bytes=10**9)
        if args.big
        else None
    )
    print(f"inputs ready in {time.monotonic() - t:.1f}s (cached under {CACHE})", flush=True)
    parse_rows: list[Row] = []
    parse_notes: list[str] = []
    if not args.no_parse:
        print("... parse: era parse and pyx12 on the same generated content", flush=True)
        parse_rows, parse_notes = parse_figures(adjustments, args.seed, quick=args.quick)

    local_kafka = _local_kafka_module()
    for stale in BENCH.glob("kafka-*"):  # left behind by a killed run
        if local_kafka.LocalKafka(stale, 0, 0).pid() is None:
            shutil.rmtree(stale, ignore_errors=True)
    broker = local_kafka.LocalKafka(BENCH / f"kafka-{os.getpid()}", _free_port(), _free_port())
    logs = BENCH / f"logs-{os.getpid()}"
    try:
        broker.start(wait=120)
        bench = Bench(broker.bootstrap, broker.pid(), logs)
        results = run_scenarios(
            bench, files=files, load=load, probe=probe, ten_mb=ten_mb, big=big, latency_s=latency_s
        )
    except BaseException:
        print(f"logs kept in {logs}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(logs, ignore_errors=True)
    finally:
        with contextlib.redirect_stdout(io.StringIO()):
            broker.reset()

    rows, notes = report(results, files=files, load=load, probe=probe, ten_mb=ten_mb, big=big)
    print()
    print_table([*parse_rows, *rows], [*parse_notes, *notes])
    return 0


def parse_figures(adjustments: int, seed: int, *, quick: bool) -> tuple[list[Row], list[str]]:
    """Row 1: ``era parse`` against pyx12 (bench/parse_bench.py), as rows of this table."""
    import parse_bench  # noqa: PLC0415  (beside this script; it imports nothing of the project)

    slice_size = 5_000 if quick else 20_000
    run = parse_bench.run(adjustments=adjustments, seed=seed, pyx12_adjustments=slice_size)
    if run.failed or run.baseline is None or run.slice_row is None:
        raise BenchError("the parse benchmark failed; run bench/parse_bench.py to see why")
    pyx12 = run.baseline.rate
    whole, parse_only = run.rows[0], run.rows[1]
    rows: list[Row] = [
        (
            f"1 parse, era parse adj/s, pyx12's input ({run.slice_row.adjustments:,} adj)",
            f"{run.slice_row.rate:,.0f}",
            f"{pyx12:,.0f}",
            f"{run.slice_row.rate / pyx12:.1f}x",
        ),
        (
            f"  era parse adj/s, {whole.adjustments:,}-adjustment file",
            f"{whole.rate:,.0f}",
            f"{pyx12:,.0f}",
            f"{whole.rate / pyx12:.1f}x",
        ),
        (
            "  parse_path() alone (no JSON output), same file",
            f"{parse_only.rate:,.0f}",
            f"{pyx12:,.0f}",
            f"{parse_only.rate / pyx12:.1f}x",
        ),
    ]
    notes = [
        "1 whole processes (start-up included), wall clock; baseline: pyx12's X12ContextReader"
        f" counting 2100/CAS adjustments on the first {run.slice_row.adjustments:,} adjustments'"
        " transaction sets of the same generated file, the first row's input. Target >= 30x.",
    ]
    return rows, notes


if __name__ == "__main__":
    sys.exit(main())
