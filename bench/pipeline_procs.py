"""Processes and Kafka helpers of the pipeline benchmark (bench/pipeline_bench.py): starting,
measuring (``os.wait4``, /proc) and stopping the subprocesses a scenario runs, the argv of
``era``, free ports and the ``deploy/kafka/local_kafka.py`` loader for the bench's own broker,
and the Kafka side of a run: the live read_committed counter of the route topics, the wait for
stable consumer groups and reading the route topics back to their end.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient
from pipeline_inputs import ROOT

from era_contract.topics import TopicNames
from era_kafka.clients import admin_config, consumer_config
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_to_end

KAFKA_DIR = ROOT / "deploy" / "kafka"
PARTITIONS = 4
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A scenario could not run or did not finish in time; the message says which and why."""


# --------------------------------------------------------------------------------------------
# processes


def local_kafka_module() -> Any:
    """deploy/kafka/local_kafka.py, the project's broker runner (a script beside its pom)."""
    if str(KAFKA_DIR) not in sys.path:
        sys.path.insert(0, str(KAFKA_DIR))
    import local_kafka  # noqa: PLC0415  (found only once KAFKA_DIR is on the path)

    return local_kafka


def free_port() -> int:
    """A free loopback port."""
    port: int = local_kafka_module().free_loopback_port()
    return port


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
            hwm = max(hwm, status_kib(process.pid, "VmHWM"))
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


def status_kib(pid: int, key: str) -> int:
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
        if "," in kafka.bootstrap_servers:  # a cluster (--cluster)
            # DescribeConsumerGroups against a 3-broker cluster aborts the process in librdkafka
            # 2.16 (rd_kafka_enq_once_del_source_return assertion); ListConsumerGroups is no
            # coordinator request. STABLE there means the members joined and got assignments.
            listed = admin.list_consumer_groups(request_timeout=10).result(timeout=20)
            states = {g.group_id: g.state.name for g in listed.valid}
            last = f"states {states}"
            for group in [g for g in pending if states.get(g) == "STABLE"]:
                del pending[group]
            time.sleep(0.25)
            continue
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
