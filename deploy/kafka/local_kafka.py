#!/usr/bin/env python3
"""A real Apache Kafka (KRaft) for development and tests: one node (broker + controller), or a
cluster of N such nodes (``--brokers N``, see ``local_cluster.py``).

The official Apache Kafka jars are resolved from Maven Central with ``mvn`` (``pom.xml`` beside
this file) and cached under ``var/kafka-lib/<hash of pom.xml>``, so only the first start downloads.
Listeners bind to 127.0.0.1 only. Storage is formatted on the first start and survives
``stop``/``start``; ``reset`` stops the broker and deletes its data.

    local_kafka.py start  [--home var/kafka] [--port 9092]   # background, waits until ready
    local_kafka.py run    [...]                             # foreground (Ctrl-C stops it)
    local_kafka.py stop | status | reset | jars
    local_kafka.py start --brokers 3 [--home var/kafka-cluster] [--port 9192]   # a cluster

Readiness means the broker answered a metadata request (confluent-kafka's AdminClient). When it
does not within ``--wait`` seconds the tail of the broker log is printed and the exit code is 1.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
POM = HERE / "pom.xml"

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id={node_id}
{quorum}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data}
num.partitions=4
auto.create.topics.enable=false
default.replication.factor={replication}
min.insync.replicas={min_isr}
offsets.topic.replication.factor={replication}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor={replication}
transaction.state.log.min.isr={min_isr}
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor={replication}
share.coordinator.state.topic.min.isr={min_isr}
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
{extra}"""

# A node of a multi-node cluster: fewer threads (three JVMs share a small machine) and a faster
# failure detection, so a killed broker's partitions get a new leader within seconds.
CLUSTER_EXTRA = """\
num.network.threads=2
num.io.threads=4
background.threads=4
log.cleaner.threads=1
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
"""

LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {logs}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


class LocalKafkaError(RuntimeError):
    """The local broker could not be prepared, started or stopped."""


def jar_dir() -> Path:
    """Resolve (once) and return the directory holding the broker's jars."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    target = Path(os.environ.get("ERA_KAFKA_LIB", ROOT / "var" / "kafka-lib")) / digest
    if (target / ".complete").exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalKafkaError("Maven (mvn) is not on PATH; it resolves the Kafka jars")
    print(f"local-kafka: resolving Apache Kafka jars from Maven Central into {target}", flush=True)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={partial}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalKafkaError(f"mvn failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    (target / ".complete").write_text("ok\n")
    return target


class LocalKafka:
    """One broker instance rooted at ``home`` (config, data, logs, pid file)."""

    def __init__(
        self,
        home: Path,
        port: int,
        controller_port: int,
        *,
        node_id: int = 1,
        voters: str | None = None,
        cluster_id: str | None = None,
        replication: int = 1,
        heap: str = "1g",
    ) -> None:
        """One node at ``home``. Alone (the default) it is a standalone KRaft quorum with
        replication factor 1; as a member of a :class:`local_cluster.LocalCluster` it gets its
        ``node_id``, the static quorum ``voters`` (``1@host:port,...``), the shared
        ``cluster_id`` and the cluster's ``replication`` factor."""
        self.home = home.resolve()
        self.port = port
        self.controller_port = controller_port
        self.node_id = node_id
        self.voters = voters
        self.cluster_id = cluster_id
        self.replication = replication
        self.heap = heap
        self.data = self.home / "data"
        self.logs = self.home / "logs"
        self.pid_file = self.home / "kafka.pid"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use."""
        return f"127.0.0.1:{self.port}"

    def _prepare(self) -> list[str]:
        lib = jar_dir()
        self.logs.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        properties = self.home / "server.properties"
        if self.voters:
            quorum = f"controller.quorum.voters={self.voters}"
        else:
            quorum = f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}"
        properties.write_text(
            SERVER_PROPERTIES.format(
                node_id=self.node_id,
                quorum=quorum,
                port=self.port,
                controller_port=self.controller_port,
                data=self.data,
                replication=self.replication,
                min_isr=min(2, self.replication),
                extra=CLUSTER_EXTRA if self.voters else "",
            )
        )
        (self.home / "log4j2.properties").write_text(LOG4J2.format(logs=self.logs))
        java = [
            "java",
            f"-Xms{'128m' if self.voters else '256m'}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            *(["-XX:ParallelGCThreads=1", "-XX:ConcGCThreads=1"] if self.voters else []),
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.logs}",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{lib}/*",
        ]
        if not (self.data / "meta.properties").exists():
            cluster_id = self.cluster_id or new_cluster_id()
            format_cmd = [
                *java,
                "kafka.tools.StorageTool",
                "format",
                *([] if self.voters else ["--standalone"]),  # a static quorum needs no seed
                "-t",
                cluster_id,
                "-c",
                str(properties),
            ]
            result = subprocess.run(format_cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise LocalKafkaError(f"storage format failed:\n{result.stdout}{result.stderr}")
        return [*java, "kafka.Kafka", str(properties)]

    def pid(self) -> int | None:
        """The broker's pid when it is running, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def start(self, wait: float) -> None:
        """Start in the background and wait until the broker answers metadata requests."""
        if self.pid() is not None:
            self.wait_ready(wait)
            print(f"local-kafka: already running at {self.bootstrap} (pid {self.pid()})")
            return
        process = self.launch()
        try:
            self.wait_ready(wait, process)
        except LocalKafkaError:
            self.stop()
            raise
        print(f"local-kafka: ready at {self.bootstrap} (pid {process.pid}, data {self.data})")

    def launch(self) -> subprocess.Popen[bytes]:
        """Start the JVM in the background and return at once (the members of a cluster are
        launched together: none is ready before a quorum of controllers runs)."""
        command = self._prepare()
        with (self.logs / "stdout.log").open("ab") as out:
            process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        self._process = process
        return process

    def kill(self) -> None:
        """SIGKILL the broker (no controlled shutdown: a crash) and wait until it is gone."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            _reap(pid)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    def run(self) -> int:
        """Run in the foreground until interrupted."""
        command = self._prepare()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        self.pid_file.write_text(f"{process.pid}\n")
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGTERM)
            return process.wait()
        finally:
            self.pid_file.unlink(missing_ok=True)

    def wait_ready(self, wait: float, process: subprocess.Popen[bytes] | None = None) -> None:
        """Block until a metadata request succeeds, or raise with the broker log's tail."""
        from confluent_kafka.admin import AdminClient  # noqa: PLC0415  (only needed here)

        deadline = time.monotonic() + wait
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        last_error = "no answer"
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                last_error = f"broker process exited with code {process.returncode}"
                break
            try:
                metadata = admin.list_topics(timeout=2)
                if metadata.brokers:
                    return
            except Exception as exc:  # any client error means: not ready yet
                last_error = str(exc)
            time.sleep(0.5)
        raise LocalKafkaError(
            f"broker at {self.bootstrap} did not answer a metadata request within {wait:.0f}s"
            f" ({last_error}). Broker log tail:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the broker's logs."""
        chunks = []
        for name in ("server.log", "stdout.log"):
            path = self.logs / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                chunks.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(chunks) or "(no log written)"

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``)."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            _reap(pid)
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        print(f"local-kafka: stopped (pid {pid})")

    def reset(self) -> None:
        """Stop and delete every byte of data and logs."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
        print(f"local-kafka: deleted {self.home}")


def new_cluster_id() -> str:
    """A random KRaft cluster id (base64 of a UUID, never with a leading '-')."""
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return "A" + cluster_id[1:]


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for throwaway brokers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("start", "run", "stop", "status", "reset", "jars"))
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ERA_KAFKA_PORT", "9092")))
    parser.add_argument("--controller-port", type=int)
    parser.add_argument(
        "--brokers",
        type=int,
        default=int(os.environ.get("ERA_KAFKA_BROKERS", "1")),
        help="nodes: 1 (default) is the single broker; N > 1 a cluster (local_cluster.py) whose"
        " node i listens on PORT+2(i-1) and its controller on the next port",
    )
    parser.add_argument("--wait", type=float, default=90.0, help="seconds to wait for readiness")
    args = parser.parse_args(argv)
    if args.brokers > 1:
        return _cluster_main(args)
    home = args.home or Path(os.environ.get("ERA_KAFKA_HOME", ROOT / "var" / "kafka"))
    kafka = LocalKafka(home, args.port, args.controller_port or args.port + 1)
    try:
        if args.command == "start":
            kafka.start(args.wait)
        elif args.command == "run":
            return kafka.run()
        elif args.command == "stop":
            kafka.stop()
        elif args.command == "reset":
            kafka.reset()
        elif args.command == "jars":
            print(jar_dir())
        else:
            pid = kafka.pid()
            print(f"running at {kafka.bootstrap} (pid {pid})" if pid else "not running")
            return 0 if pid else 3
    except LocalKafkaError as exc:
        print(f"local-kafka: {exc}", file=sys.stderr)
        return 1
    return 0


def _cluster_main(args: argparse.Namespace) -> int:
    from local_cluster import LocalCluster  # noqa: PLC0415  (imports this module)

    home = args.home or Path(os.environ.get("ERA_KAFKA_HOME", ROOT / "var" / "kafka-cluster"))
    cluster = LocalCluster(home, args.brokers, base_port=args.port)
    try:
        if args.command == "start":
            cluster.start(args.wait)
        elif args.command == "run":
            cluster.start(args.wait)
            try:
                while cluster.running():
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
            cluster.stop()
        elif args.command == "stop":
            cluster.stop()
        elif args.command == "reset":
            cluster.reset()
        elif args.command == "jars":
            print(jar_dir())
        else:
            up = cluster.running()
            print(f"{len(up)} of {len(cluster.nodes)} nodes running at {cluster.bootstrap}")
            return 0 if len(up) == len(cluster.nodes) else 3
    except LocalKafkaError as exc:
        print(f"local-kafka: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
