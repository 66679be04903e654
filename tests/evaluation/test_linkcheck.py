"""The link check against a real HTTP server on 127.0.0.1: good, broken,
slow, HEAD-refusing and redirecting links, the per-host pace, the cache and
the address guard."""

import datetime as dt
import http.server
import threading

import pytest

from sdm_harvester.linkcheck import LinkChecker, SqliteCache
from sdm_schema.evaluation import LinkResult


class Handler(http.server.BaseHTTPRequestHandler):
    hits: list = []
    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def _answer(self):
        cls = type(self)
        paced = self.path.startswith("/n")  # the pace test's links only (a slow one may linger)
        with cls.lock:
            cls.hits.append((self.command, self.path))
            cls.in_flight += paced
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        # counted until just before the answer is written: a client that
        # waits for the answer never overlaps two requests here
        threading.Event().wait(1.5 if self.path == "/slow" else 0.01)
        with cls.lock:
            cls.in_flight -= paced
        if self.path == "/no-head" and self.command == "HEAD":
            return self._send(405)
        targets = {
            "/moved": f"http://127.0.0.1:{self.server.server_address[1]}/good",
            "/to-metadata": "http://169.254.169.254/latest/",
        }
        if self.path in targets:
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.send_header("Content-Length", "0")
            return self.end_headers()
        self._send(200 if self.path in ("/good", "/no-head", "/slow") or self.path.startswith("/n") else 404)

    def _send(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(b"ok")

    do_HEAD = do_GET = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a free port
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def checker(cache=None, **options):
    options.setdefault("allow_networks", ["127.0.0.1/32"])
    options.setdefault("interval", 0)
    options.setdefault("workers", 4)
    return LinkChecker(cache, timeout=0.5, **options)


def test_good_broken_slow_and_head_refusing_links(server):
    found = checker().check(
        [
            f"{server}/good",
            f"{server}/missing",
            f"{server}/slow",
            f"{server}/no-head",
            f"{server}/moved",
            "ftp://files.example.cn/x.csv",
        ]
    )
    assert {url.rsplit("/", 1)[-1]: (r.ok, r.status) for url, r in found.items()} == {
        "good": (True, "HTTP 200"),
        "missing": (False, "HTTP 404"),
        "slow": (False, "timeout"),
        "no-head": (True, "HTTP 200"),
        "moved": (True, "HTTP 200"),
        "x.csv": (False, "not an http(s) URL"),
    }
    assert ("GET", "/no-head") in Handler.hits


def test_internal_addresses_are_refused_without_allow_networks(server):
    found = checker(allow_networks=[]).check([f"{server}/good"])
    assert found[f"{server}/good"].status == "refused: internal address"


def test_a_redirect_to_the_metadata_address_is_refused(server):
    found = checker().check([f"{server}/to-metadata"])
    assert found[f"{server}/to-metadata"] == LinkResult(
        False, "refused: internal address", found[f"{server}/to-metadata"].checked
    )


def test_one_request_at_a_time_per_host(server):
    Handler.most_in_flight = 0
    checker(workers=8).check([f"{server}/n{i}" for i in range(16)])
    assert Handler.most_in_flight == 1


def test_results_cached_with_their_time(server, tmp_path):
    cache = SqliteCache(str(tmp_path / "links.sqlite"))
    urls = [f"{server}/good", f"{server}/missing"]
    first = checker(cache).check(urls)
    before = len(Handler.hits)
    again = checker(cache).check(urls)
    assert again == first and len(Handler.hits) == before  # nothing asked again
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    rechecked = checker(cache).check(urls, now=later)
    assert len(Handler.hits) > before and rechecked[urls[1]].status == "HTTP 404"
    assert set(cache.all()) == set(urls)


def test_limit_bounds_a_run(server):
    one = checker(limit=1)
    found = one.check([f"{server}/n1", f"{server}/n2", f"{server}/n3"])
    assert len(found) == 1 and one.asked == 1
