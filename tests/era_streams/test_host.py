"""The one host (faust): web views, readiness from the job, clean stop on SIGTERM, a crashing
job ends the process with an error; JSON logging and the bind address defaults."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from local_kafka import free_loopback_port

from era_classifier.settings import ClassifierSettings
from era_ingest.settings import IngestSettings
from era_router.settings import RouterSettings
from era_streams.logs import JsonFormatter
from era_testing import wait_for

pytestmark = pytest.mark.unit

# A toy service on the host: ready once `ready` exists, stops when asked (writing `stopped`),
# raises when `crash` exists, returns on its own after `rounds` polls if given.
TOY = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from prometheus_client import CollectorRegistry, Counter
    from era_streams.host import add_health_pages, host_job, make_app, run_app

    work, port, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

    class Toy:
        name = "toy"
        def __init__(self):
            self.stopping = threading.Event()
        def run(self):
            for _ in range(rounds or 10**9):
                if (work / "crash").exists():
                    raise RuntimeError("toy failure")
                if self.stopping.wait(0.05):
                    (work / "stopped").write_text("yes")
                    return
        def stop(self):
            self.stopping.set()

    registry = CollectorRegistry()
    Counter("era_toy_things_total", "things", registry=registry).inc(3)
    app = make_app("toy-" + work.name, web_host="127.0.0.1", web_port=port)
    host_job(app, Toy(), stop_when_done=rounds > 0)
    add_health_pages(app, registry, ready=lambda: (work / "ready").exists())
    sys.exit(run_app(app))
    """
)


def _status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def _start(tmp_path: Path, port: int, rounds: int = 0) -> subprocess.Popen[bytes]:
    script = tmp_path / "toy.py"
    script.write_text(TOY)
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path), str(port), str(rounds)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "toy.log").open("wb"),
    )


def test_views_readiness_and_a_clean_stop_on_sigterm(tmp_path: Path) -> None:
    port = free_loopback_port()
    process = _start(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _status(f"{base}/healthz")[0] == 200, 60, "/healthz")
        assert _status(f"{base}/readyz")[0] == 503
        (tmp_path / "ready").write_text("")
        assert _status(f"{base}/readyz") == (200, b'{"status":"ready"}')
        status, body = _status(f"{base}/metrics")
        assert status == 200 and b"era_toy_things_total 3.0" in body
        assert _status(f"{base}/other")[0] == 404
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert (tmp_path / "stopped").read_text() == "yes", "the job was asked to stop"
        assert not list(tmp_path.glob("*-data")), "faust's data directory is not in the cwd"
    finally:
        if process.poll() is None:
            process.kill()


def test_a_job_that_fails_ends_the_process_with_an_error(tmp_path: Path) -> None:
    (tmp_path / "crash").write_text("")
    process = _start(tmp_path, 0)
    try:
        assert process.wait(60) != 0
    finally:
        if process.poll() is None:
            process.kill()
    assert "toy failure" in (tmp_path / "toy.log").read_text()


def test_a_bounded_job_stops_the_host_when_done(tmp_path: Path) -> None:
    process = _start(tmp_path, 0, rounds=20)
    try:
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()


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
            exc_info=sys.exc_info(),
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "error" and entry["message"] == "failed x"
    assert "ValueError: boom" in entry["exception"]
