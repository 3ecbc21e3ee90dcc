"""The HTTP endpoint ingest serves, JSON logging, and the bind address defaults."""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter

from era_classifier.settings import ClassifierSettings
from era_cli.observability import JsonFormatter, serve_metrics
from era_ingest.settings import IngestSettings
from era_router.settings import RouterSettings

pytestmark = pytest.mark.unit


def _status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_metrics_health_and_readiness_on_loopback() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    registry = CollectorRegistry()
    Counter("era_test_things_total", "things", registry=registry).inc(3)
    ready = {"value": False}
    server = serve_metrics(registry, "127.0.0.1", port, lambda: ready["value"])
    assert server is not None
    try:
        base = f"http://127.0.0.1:{port}"
        assert _status(f"{base}/healthz")[0] == 200
        assert _status(f"{base}/readyz")[0] == 503
        ready["value"] = True
        assert _status(f"{base}/readyz")[0] == 200
        status, body = _status(f"{base}/metrics")
        assert status == 200 and b"era_test_things_total 3.0" in body
        assert _status(f"{base}/other")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_port_zero_serves_nothing() -> None:
    assert serve_metrics(CollectorRegistry(), "127.0.0.1", 0, lambda: True) is None


def test_every_service_binds_to_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ERA_INGEST_METRICS_HOST",
        "ERA_CLASSIFIER_METRICS_HOST",
        "ERA_ROUTER_METRICS_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    assert IngestSettings().metrics_host == "127.0.0.1"
    assert ClassifierSettings().metrics_host == "127.0.0.1"
    assert RouterSettings().metrics_host == "127.0.0.1"
    monkeypatch.setenv("ERA_ROUTER_METRICS_HOST", "0.0.0.0")
    assert RouterSettings().metrics_host == "0.0.0.0"


def test_log_lines_are_json_with_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "era.x",
            logging.ERROR,
            __file__,
            1,
            "failed %s",
            ("x",),
            exc_info=__import__("sys").exc_info(),
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "error" and entry["message"] == "failed x"
    assert "ValueError: boom" in entry["exception"]
