"""A local Apache Kafka cluster of N KRaft nodes (default 3) on loopback ports, for the chaos
tests, the bench and trying the pipeline against replication.

Each node is a :class:`local_kafka.LocalKafka` in **combined** mode (``process.roles=broker,
controller``), with its own broker and controller port, data directory and a small heap
(``-Xmx384m``), so three fit on a laptop. Combined nodes keep the process count at N (separate
controllers would double the JVMs); the price is that a killed node is a lost broker *and* a lost
controller, so two of three down also loses the controller quorum, which is exactly "the cluster
cannot accept writes". The quorum is static (``controller.quorum.voters``), every node formatted
with one cluster id.

Replication: internal topics (``__consumer_offsets``, ``__transaction_state``) and new topics
default to replication factor ``min(3, N)`` and ``min.insync.replicas`` 2
(``transaction.state.log.min.isr`` 2), unclean leader election off. So one node down keeps
every partition writable with ``acks=all``; two down stops writes, never loses a committed one.

The layout (ports, cluster id) is kept in ``<home>/cluster.json``, so a node restarted alone
comes back on the same ports and the cluster survives ``stop``/``start``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from local_kafka import LocalKafka, LocalKafkaError, free_loopback_port, new_cluster_id

NODE_HEAP = "384m"


class LocalCluster:
    """N combined broker+controller nodes under ``home`` (``node-1``, ``node-2``, ...)."""

    def __init__(self, home: Path, brokers: int = 3, base_port: int | None = None) -> None:
        self.home = home.resolve()
        layout_file = self.home / "cluster.json"
        if layout_file.exists():
            layout = json.loads(layout_file.read_text())
        else:
            ports = [
                (base_port + 2 * i, base_port + 2 * i + 1)
                if base_port
                else (free_loopback_port(), free_loopback_port())
                for i in range(brokers)
            ]
            layout = {
                "cluster_id": new_cluster_id(),
                "nodes": [
                    {"id": i + 1, "port": port, "controller_port": controller}
                    for i, (port, controller) in enumerate(ports)
                ],
            }
            self.home.mkdir(parents=True, exist_ok=True)
            layout_file.write_text(json.dumps(layout, indent=2) + "\n")
        nodes = layout["nodes"]
        voters = ",".join(f"{n['id']}@127.0.0.1:{n['controller_port']}" for n in nodes)
        self.nodes: dict[int, LocalKafka] = {
            n["id"]: LocalKafka(
                self.home / f"node-{n['id']}",
                n["port"],
                n["controller_port"],
                node_id=n["id"],
                voters=voters,
                cluster_id=layout["cluster_id"],
                replication=min(3, len(nodes)),
                heap=NODE_HEAP,
            )
            for n in nodes
        }

    @property
    def bootstrap(self) -> str:
        """Every node's address, comma-separated (``KAFKA_BOOTSTRAP_SERVERS``)."""
        return ",".join(node.bootstrap for node in self.nodes.values())

    @property
    def replication(self) -> int:
        """The replication factor topics get here."""
        return min(3, len(self.nodes))

    def start(self, wait: float = 120.0) -> None:
        """Start every node that is not running, then wait until all are in the cluster."""
        for node in self.nodes.values():
            if node.pid() is None:
                node.launch()
        try:
            self.wait_ready(wait)
        except LocalKafkaError:
            self.stop()
            raise
        print(f"local-kafka: cluster of {len(self.nodes)} ready at {self.bootstrap}")

    def start_node(self, node_id: int, wait: float = 120.0) -> None:
        """Start one node (after :meth:`kill_node`) and wait until it is back in the cluster."""
        node = self.nodes[node_id]
        if node.pid() is None:
            node.launch()
        self.wait_ready(wait)

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node: its broker and its controller die at once, no controlled shutdown."""
        self.nodes[node_id].kill()

    def running(self) -> list[int]:
        """Ids of the nodes whose process is alive."""
        return [node_id for node_id, node in self.nodes.items() if node.pid() is not None]

    def wait_ready(self, wait: float) -> None:
        """Block until every running node is a registered broker in the cluster's metadata."""
        deadline = time.monotonic() + wait
        want = set(self.running())
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                brokers = set(self._metadata(timeout=3).brokers)
                if want <= brokers:
                    return
                last = f"brokers {sorted(brokers)} of {sorted(want)}"
            except Exception as exc:  # any client error means: not ready yet
                last = str(exc)
            time.sleep(0.5)
        tails = "\n".join(node.log_tail(15) for node in self.nodes.values())
        raise LocalKafkaError(f"cluster not ready within {wait:.0f}s ({last}):\n{tails}")

    def wait_in_sync(self, wait: float, topics: list[str] | None = None) -> None:
        """Block until every partition (of ``topics``, default all, internal ones included) has
        a leader and all its replicas in sync: the cluster can lose another node."""
        deadline = time.monotonic() + wait
        lagging: list[str] = []
        while time.monotonic() < deadline:
            try:
                metadata = self._metadata(timeout=5)
            except Exception:  # not answering yet
                time.sleep(0.5)
                continue
            lagging = [
                f"{name}[{pid}]"
                for name, topic in metadata.topics.items()
                if topics is None or name in topics
                for pid, part in topic.partitions.items()
                if part.leader < 0 or set(part.isrs) != set(part.replicas)
            ]
            if not lagging:
                return
            time.sleep(0.5)
        raise LocalKafkaError(f"partitions not in sync after {wait:.0f}s: {lagging[:10]}")

    def leader_of(self, topic: str, partition: int) -> int:
        """The node id leading ``topic[partition]`` now (-1: none)."""
        part = self._metadata(timeout=10).topics[topic].partitions[partition]
        leader: int = part.leader
        return leader

    def transaction_coordinator(self, transactional_id: str) -> int:
        """The node id coordinating ``transactional_id``: the leader of its
        ``__transaction_state`` partition (Kafka's ``abs(id.hashCode()) % partitions``)."""
        count = len(self._metadata(timeout=10).topics["__transaction_state"].partitions)
        partition = transaction_state_partition(transactional_id, count)
        return self.leader_of("__transaction_state", partition)

    def stop(self) -> None:
        """Stop every node (SIGTERM, controlled shutdown where a quorum is left)."""
        for node in reversed(list(self.nodes.values())):
            node.stop(timeout=20)

    def reset(self) -> None:
        """Stop every node and delete the cluster's data."""
        self.stop()
        for node in self.nodes.values():
            node.reset()
        (self.home / "cluster.json").unlink(missing_ok=True)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of every node's logs."""
        return "\n".join(node.log_tail(lines) for node in self.nodes.values())

    def _metadata(self, timeout: float) -> Any:
        from confluent_kafka.admin import AdminClient  # noqa: PLC0415  (only needed here)

        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        return admin.list_topics(timeout=timeout)


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode()`` (over UTF-16 code units, 32-bit signed)."""
    units = text.encode("utf-16-be")
    value = 0
    for i in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def transaction_state_partition(transactional_id: str, partitions: int) -> int:
    """The ``__transaction_state`` partition of ``transactional_id`` (Kafka's
    ``Utils.abs(transactionalId.hashCode) % transactionTopicPartitionCount``)."""
    value = java_string_hash(transactional_id)
    return (0 if value == -(1 << 31) else abs(value)) % partitions
