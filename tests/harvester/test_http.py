"""Fetching against a real server: retries, conditional GET, caps, allow-lists."""

import pytest

from sdm_harvester.http import Fetcher, FetchError
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
    run = fetcher(cache=store)
    first = run.get(server.url + "/cat", {"page": 1})
    run.commit_cache()
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


# -- issue 10: what a source's answers may not make the fetcher do ----------

import gzip
import os
import time
import zlib

from harvest_helpers import Server

from sdm_harvester.http import LINK_LOCAL, LOOPBACK, PRIVATE, PUBLIC, RESERVED, address_class

SECRET = "s3cr3t-token-value"


@pytest.fixture
def other():
    s = Server()
    yield s
    s.close()


def test_backslash_and_userinfo_cannot_smuggle_another_host(server):
    server.routes["/"] = (200, {}, "internal")
    port = server.url.rsplit(":", 1)[1]
    allowed = fetcher(allow_hosts=("allowed.example",))
    for url in (
        f"http://127.0.0.1:{port}\\@allowed.example/",
        f"http://allowed.example@127.0.0.1:{port}/",
        "http://x:y@allowed.example/",
        "http://allowed.example/\n",
    ):
        with pytest.raises(FetchError, match="refused"):
            allowed.get(url)
    assert server.requests == []


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", LOOPBACK),
        ("127.9.9.9", LOOPBACK),
        ("::1", LOOPBACK),
        ("0.0.0.0", LOOPBACK),
        ("::ffff:127.0.0.1", LOOPBACK),
        ("169.254.169.254", LINK_LOCAL),
        ("fe80::1", LINK_LOCAL),
        ("::ffff:169.254.169.254", LINK_LOCAL),
        ("10.1.2.3", PRIVATE),
        ("172.16.0.1", PRIVATE),
        ("172.31.255.255", PRIVATE),
        ("192.168.1.1", PRIVATE),
        ("fc00::1", PRIVATE),
        ("fd12::1", PRIVATE),
        ("::ffff:10.0.0.1", PRIVATE),
        ("224.0.0.1", RESERVED),
        ("8.8.8.8", PUBLIC),
        ("172.32.0.1", PUBLIC),
        ("2001:4860:4860::8888", PUBLIC),
    ],
)
def test_address_classes(address, kind):
    assert address_class(address) == kind


INTERNAL_TARGETS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:10.0.0.1]/",
    "http://224.0.0.1/",
]


@pytest.mark.parametrize("target", INTERNAL_TARGETS)
def test_redirect_to_a_more_internal_address_is_refused(server, target):
    """The source is on loopback: it may not lead to another internal class."""
    server.routes["/hop"] = (302, {"Location": target}, "")
    with pytest.raises(FetchError, match="refused: .* address and the source itself is not"):
        fetcher().get(server.url + "/hop")


def test_public_source_may_not_lead_to_loopback(server):
    server.routes["/"] = (200, {}, "internal")
    with pytest.raises(FetchError, match="loopback address"):
        fetcher(base_url="http://93.184.216.34/catalogue").get(server.url + "/")
    assert server.requests == []


def test_allow_networks_opens_a_named_network(server):
    server.routes["/hop"] = (302, {"Location": "http://10.255.255.1:9/"}, "")
    with pytest.raises(FetchError) as refused:
        fetcher(retries=0, timeout=0.2).get(server.url + "/hop")
    assert "private address" in str(refused.value)
    with pytest.raises(FetchError) as tried:
        fetcher(retries=0, timeout=0.2, allow_networks=("10.0.0.0/8",)).get(server.url + "/hop")
    assert "private address" not in str(tried.value)  # allowed: it was tried (and nobody answered)


def test_http_source_never_reads_files_nor_drops_to_http(server, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("file contents")
    server.routes["/hop"] = (302, {"Location": f"file://{secret}"}, "")
    with pytest.raises(FetchError, match="refused: a http source may not lead to a file URL"):
        fetcher().get(server.url + "/hop")
    source = fetcher(base_url=server.url + "/catalogue")
    with pytest.raises(FetchError, match="may not lead to a file URL"):
        source.get(f"file://{secret}")  # e.g. a hydra:next
    with pytest.raises(FetchError, match="https source may not drop to http"):
        fetcher(base_url="https://93.184.216.34/").get(server.url + "/x")


def test_credentials_go_only_to_the_sources_own_origin(server, other):
    other.routes["/page2"] = (200, {}, "page two")
    server.routes["/page1"] = (302, {"Location": other.url + "/page2"}, "")
    server.routes["/own"] = (200, {}, "own")
    source = fetcher(
        base_url=server.url + "/own", credentials={"Authorization": SECRET}, basic_auth=("harvester", SECRET)
    )
    assert source.get(server.url + "/own").content == b"own"
    assert source.get(server.url + "/page1").content == b"page two"  # redirect to another origin
    assert source.get(other.url + "/page2").content == b"page two"  # a pagination link there
    assert all("Authorization" in headers for _, _, headers in server.requests)
    assert all("Authorization" not in headers for _, _, headers in other.requests)
    assert len(other.requests) == 2


def test_basic_auth_and_token_both_reach_the_own_origin(server):
    server.routes["/own"] = (200, {}, "own")
    fetcher(base_url=server.url, basic_auth=("harvester", SECRET)).get(server.url + "/own")
    fetcher(base_url=server.url, credentials={"Authorization": SECRET}).get(server.url + "/own")
    assert server.requests[0][2]["Authorization"].startswith("Basic ")
    assert server.requests[1][2]["Authorization"] == SECRET


def _drip(count=100_000, pause=0.05):
    for _ in range(count):
        time.sleep(pause)
        yield b"x"


def test_slow_drip_body_obeys_the_total_deadline(server):
    server.routes["/drip"] = lambda h: (200, {}, _drip())
    with pytest.raises(FetchError, match="time limit was reached"):
        fetcher(timeout=5, deadline=time.monotonic() + 1).get(server.url + "/drip")


def test_compressed_bodies_are_capped_after_decoding(server):
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    server.routes["/gzip"] = (200, {"Content-Encoding": "gzip"}, bomb)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    server.routes["/deflate"] = (
        200,
        {"Content-Encoding": "deflate"},
        raw.compress(b"\0" * (8 * 1024 * 1024)) + raw.flush(),
    )
    server.routes["/small"] = (200, {"Content-Encoding": "gzip"}, gzip.compress("正常的页面".encode()))
    server.routes["/br"] = (200, {"Content-Encoding": "br"}, b"??")
    assert len(bomb) < 64 * 1024
    for path in ("/gzip", "/deflate"):
        with pytest.raises(FetchError, match="exceeds the limit of 1048576"):
            fetcher(max_bytes=1024 * 1024).get(server.url + path)
    assert fetcher().get(server.url + "/small").content == "正常的页面".encode()
    with pytest.raises(FetchError, match="content encoding 'br' is not supported"):
        fetcher().get(server.url + "/br")


def test_file_sources_read_only_bounded_regular_files_in_their_folder(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalogue.csv").write_text("ok")
    (tmp_path / "secret.txt").write_text("secret")
    fifo = home / "pipe.csv"
    os.mkfifo(fifo)
    source = fetcher(base_url=f"file://{home}/catalogue.csv", max_bytes=4096)
    assert source.get(f"file://{home}/catalogue.csv").content == b"ok"
    with pytest.raises(FetchError, match="outside the source's folder"):
        source.get(f"file://{home}/../secret.txt")
    with pytest.raises(FetchError, match="not a regular file"):
        source.get(f"file://{fifo}")
    with pytest.raises(FetchError, match="not a regular file"):
        fetcher(max_bytes=4096).get("file:///dev/zero")
    with pytest.raises(FetchError, match="a file source may not lead to a http URL"):
        source.get("http://127.0.0.1:9/")


def test_cache_keeps_answers_only_when_committed_untainted(tmp_path, server):
    server.routes["/cat"] = (200, {"ETag": '"v1"'}, "classified page")
    store = Store(str(tmp_path))
    tainted = fetcher(cache=store)
    tainted.get(server.url + "/cat")
    tainted.taint()
    tainted.commit_cache()
    assert store.lookup(server.url + "/cat") is None
    clean = fetcher(cache=store)
    clean.get(server.url + "/cat")
    assert store.lookup(server.url + "/cat") is None  # held, not yet committed
    clean.commit_cache()
    assert store.lookup(server.url + "/cat")[2] == b"classified page"
    fetcher(cache=store).get(server.url + "/cat")  # a later run meets a classified record there
    again = fetcher(cache=store)
    again.get(server.url + "/cat")
    again.taint()
    assert store.lookup(server.url + "/cat") is None
    store.close()
