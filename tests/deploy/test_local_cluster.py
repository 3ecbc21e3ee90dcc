"""The local cluster's layout and its transaction-coordinator arithmetic (no broker; the
integration tests in tests/era_streams/test_cluster_kafka.py run the real cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import local_cluster
import pytest

pytestmark = pytest.mark.unit


def test_java_string_hash_matches_java() -> None:
    # values printed by String.hashCode() on this machine's JDK
    assert local_cluster.java_string_hash("") == 0
    assert local_cluster.java_string_hash("hello") == 99162322
    assert local_cluster.java_string_hash("era-classifier-host-1") == 253568575
    assert local_cluster.java_string_hash("polygenelubricants") == -(2**31)
    assert local_cluster.java_string_hash("é€𝄞") == 16751501  # over UTF-16 code units


def test_transaction_state_partition_is_kafkas_utils_abs_modulo() -> None:
    assert local_cluster.transaction_state_partition("hello", 50) == 99162322 % 50
    assert local_cluster.transaction_state_partition("era-classifier-host-1", 10) == 5
    assert local_cluster.transaction_state_partition("polygenelubricants", 10) == 0


def test_layout_is_kept_so_a_node_restarts_on_its_ports(tmp_path: Path) -> None:
    cluster = local_cluster.LocalCluster(tmp_path / "c", brokers=3, base_port=30100)
    assert cluster.bootstrap == "127.0.0.1:30100,127.0.0.1:30102,127.0.0.1:30104"
    node = cluster.nodes[2]
    assert (node.port, node.controller_port, node.node_id) == (30102, 30103, 2)
    assert node.voters == "1@127.0.0.1:30101,2@127.0.0.1:30103,3@127.0.0.1:30105"
    assert node.replication == 3
    again = local_cluster.LocalCluster(tmp_path / "c", brokers=3)  # ports from cluster.json
    assert again.bootstrap == cluster.bootstrap
    layout = json.loads((tmp_path / "c" / "cluster.json").read_text())
    assert {n.cluster_id for n in again.nodes.values()} == {layout["cluster_id"]}
    assert local_cluster.LocalCluster(tmp_path / "two", brokers=2, base_port=30200).replication == 2
