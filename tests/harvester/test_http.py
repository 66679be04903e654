"""Fetching against a real server: retries, conditional GET, caps, allow-lists."""
import pytest

from sdm_harvester.http import FetchError, Fetcher
from sdm_harvester.store import Store


def fetcher(**kwargs):
    return Fetcher(backoff=0.01, sleep=lambda s: None, **kwargs)


def test_retries_5xx_then_succeeds(server):
    answers = iter([(503, {}, "busy"), (502, {}, "bad gateway"), (200, {}, "ok")])
    server.routes["/flaky"] = lambda h: next(answers)
    assert fetcher(retries=3).get(server.url + "/flaky").content == b"ok"
    assert len(server.requests) == 3


def test_gives_up_after_retries_and_does_not_retry_4xx(server):
    server.routes["/down"] = (500, {}, "down")
    server.routes["/gone"] = (404, {}, "gone")
    with pytest.raises(FetchError, match="HTTP 500"):
        fetcher(retries=2).get(server.url + "/down")
    assert len(server.requests) == 3
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher(retries=2).get(server.url + "/gone")
    assert len(server.requests) == 4


def test_conditional_get_uses_etag_and_cached_body(tmp_path, server):
    def route(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"', "Last-Modified": "Sat, 01 Nov 2026 00:00:00 GMT"}, "catalogue"
    server.routes["/cat"] = route
    store = Store(str(tmp_path))
    first = fetcher(cache=store).get(server.url + "/cat", {"page": 1})
    second = fetcher(cache=store).get(server.url + "/cat", {"page": 1})
    store.close()
    assert (first.status, first.from_cache) == (200, False)
    assert (second.status, second.from_cache, second.content) == (304, True, b"catalogue")
    assert server.requests[1][2]["If-None-Match"] == '"v1"'
    assert server.requests[1][2]["If-Modified-Since"] == "Sat, 01 Nov 2026 00:00:00 GMT"


def test_size_cap_on_declared_and_streamed_bodies(server, tmp_path):
    server.routes["/big"] = (200, {}, "x" * 5000)
    with pytest.raises(FetchError, match="exceeds the limit of 1024"):
        fetcher(max_bytes=1024).get(server.url + "/big")
    big_file = tmp_path / "big.csv"
    big_file.write_text("x" * 5000)
    with pytest.raises(FetchError, match="exceeds the limit"):
        fetcher(max_bytes=1024).get(f"file://{big_file}")


def test_scheme_and_host_allow_lists_apply_to_redirects(server):
    server.routes["/hop"] = (302, {"Location": "http://localhost:1/elsewhere"}, "")
    with pytest.raises(FetchError, match="scheme 'ftp'"):
        fetcher().get("ftp://127.0.0.1/x")
    with pytest.raises(FetchError, match="not in the allowed hosts"):
        fetcher(allow_hosts=("127.0.0.1",)).get(server.url.replace("127.0.0.1", "localhost") + "/x")
    with pytest.raises(FetchError, match="'localhost' is not in the allowed hosts"):
        fetcher(allow_hosts=("127.0.0.1",)).get(server.url + "/hop")


def test_connection_refused_is_retried_then_reported():
    with pytest.raises(FetchError, match="ConnectionError after 3 attempts"):
        fetcher(retries=2).get("http://127.0.0.1:9/nothing")
