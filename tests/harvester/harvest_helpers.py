"""Real HTTP servers on 127.0.0.1 (port 0) and helpers to run the harvester.

A module of its own rather than conftest.py: tests/conftest.py already
takes that module name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLATFORMS = os.path.join(ROOT, "examples", "platforms")
DEPARTMENT = {"uscc": "11510000MB0000002W", "name": {"zh-Hans": "巴中市自然资源和规划局", "en": "Bazhong NR"}}


class Server:
    """Serves `routes[path]`: a (status, headers, body) tuple or a callable
    taking the request handler and returning one; a body that is an iterator
    of byte chunks is streamed without a length.  Requests are logged."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path, _, query = self.path.partition("?")
                server.requests.append((path, query, dict(self.headers)))
                route = server.routes.get(path)
                if route is None:
                    status, headers, body = 404, {}, b"not found"
                else:
                    status, headers, body = route(self) if callable(route) else route
                if isinstance(body, str):
                    body = body.encode("utf-8")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if not isinstance(body, bytes):  # an iterator of chunks: streamed, no length
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self._stream(body)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self, chunks):
                self.close_connection = True
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    pass  # the client hung up, as it should on a hostile body

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def write_config(tmp_path, sources, **top) -> str:
    for source in sources:
        source.setdefault("department", DEPARTMENT)
        source.setdefault("retries", 1)
    path = tmp_path / "harvest.yaml"
    path.write_text(yaml.safe_dump({"sources": sources, **top}, allow_unicode=True), encoding="utf-8")
    return str(path)


def sdm_harvest(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    """The real console entry point, in a child process (no TTY)."""
    return subprocess.run(
        [sys.executable, "-m", "sdm_harvester.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        **kwargs,
    )


def run_report(tmp_path, config_path, *extra, env=None) -> tuple[int, dict]:
    report_path = tmp_path / f"report-{time.monotonic_ns()}.json"
    result = sdm_harvest(
        "run",
        "--config",
        config_path,
        "--data-dir",
        str(tmp_path / "data"),
        "--force",
        "--report",
        str(report_path),
        *extra,
        env=env,
    )
    assert report_path.exists(), result.stderr
    return result.returncode, json.loads(report_path.read_text(encoding="utf-8"))


def source_report(report: dict, name: str) -> dict:
    return next(s for s in report["sources"] if s["name"] == name)
