"""The HTTP side: the page's files and data by GET, nothing else, under a strict policy."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from era_dashboard.server import make_server

pytestmark = pytest.mark.unit


@pytest.fixture
def base_url() -> Iterator[str]:
    calls: list[int] = []

    def data() -> dict[str, object]:
        calls.append(1)
        return {"routes": [{"route": "review", "events": len(calls), "dollars": 1.5}]}

    server = make_server("127.0.0.1", 0, data)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, data=b"x" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_page_script_style_and_data(base_url: str) -> None:
    status, headers, body = fetch(base_url + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'src="/static/dashboard.js"' in body and b"http" not in body  # nothing from elsewhere
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for path in ("/static/dashboard.js", "/static/dashboard.css"):
        status, _, body = fetch(base_url + path)
        assert status == 200 and len(body) > 500
        assert b"https://" not in body and b"//cdn" not in body
    status, headers, body = fetch(base_url + "/api/data")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert json.loads(body)["routes"][0]["route"] == "review"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_nothing_but_reading(base_url: str, method: str) -> None:
    status, headers, _ = fetch(base_url + "/api/data", method)
    assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_unknown_paths_and_no_directory_walk(base_url: str) -> None:
    for path in ("/static/../settings.py", "/static/", "/metrics", "/static/settings.py"):
        assert fetch(base_url + path)[0] == 404, path
