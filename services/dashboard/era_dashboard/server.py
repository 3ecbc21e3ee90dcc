"""The read-only HTTP side: the page, its script and style, and its data as JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any

log = logging.getLogger("era.dashboard")

#: Path → (package file, content type): the only files served.
STATIC: dict[str, tuple[str, str]] = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/static/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/static/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}
# Everything comes from this server; scripts from files only (no inline script, no eval).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self';"
    " connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def load_static() -> dict[str, tuple[bytes, str]]:
    """The page's files from the package data."""
    folder = files("era_dashboard") / "static"
    return {
        path: ((folder / name).read_bytes(), content_type)
        for path, (name, content_type) in STATIC.items()
    }


def make_server(
    host: str, port: int, page_data: Callable[[], dict[str, Any]]
) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) for the page; ``page_data()`` gives ``/api/data``.

    Only GET and HEAD are answered: nothing on the page can change the pipeline.
    """
    static = load_static()

    class Handler(BaseHTTPRequestHandler):
        server_version = "era-dashboard"

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, *, send_body: bool) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/api/data":
                body = json.dumps(page_data(), separators=(",", ":")).encode()
                self._reply(200, body, "application/json", send_body=send_body)
            elif path == "/healthz":
                self._reply(200, b'{"status":"ok"}', "application/json", send_body=send_body)
            elif path in static:
                body, content_type = static[path]
                self._reply(200, body, content_type, send_body=send_body)
            else:
                self._reply(404, b"not found", "text/plain", send_body=send_body)

        def _refuse(self) -> None:
            self.send_response(405)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            self._refuse()

        def do_PUT(self) -> None:
            self._refuse()

        def do_DELETE(self) -> None:
            self._refuse()

        def do_PATCH(self) -> None:
            self._refuse()

        def _reply(self, status: int, body: bytes, content_type: str, *, send_body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Page refreshes are not worth a log line each."""

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
