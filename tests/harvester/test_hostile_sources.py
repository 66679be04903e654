"""Hostile sources, each run beside a good source in the same run (issue 10).

The matrix is generated from its dimensions: how the hostile URL or body is
reached (the source's own answer, a redirect, a DCAT hydra:next) × what is
behind it (schemes, hosts, sizes, speeds, archives, credentials) × the
source type.  Every case checks that nothing leaks (no file contents, no
credentials at another origin, no connection to any address but the test's
own servers), that the hostile source fails alone with an error naming it,
and that every record of the good source arrives.  Connections are watched
with a Python audit hook (`socket.connect`), so a refused internal address
is proven never to have been dialled.  Every case is bounded: hostile
sources have small caps, and the slow ones a 1 s time limit.

Below the matrix, one test per finding (private CKAN datasets, classified
text in the store, file sources, OAI deletions, links in the data folder,
the lock after a slow source).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import logging
import os
import re
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from typing import Callable

import pytest
from harvest_helpers import DEPARTMENT, PLATFORMS, Server, run_report, sdm_harvest, source_report, write_config

from sdm_harvester import config as configuration
from sdm_harvester import pipeline
from sdm_harvester.lock import RunLock
from sdm_harvester.store import Store

TOKEN = "tok-9f8e7d6c5b4a"
USER, PASSWORD = "harvester", "pw-1a2b3c4d5e6f"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
FILE_MARKER = "FILE-MARKER-7c1d"
MAX_BYTES = 64 * 1024
BOMB_BYTES = 8 * 1024 * 1024
ENDPOINT = {
    "dcat": "/catalog.ttl",
    "ckan": "/api/3/action/package_search",
    "oai-pmh": "/oai",
    "spreadsheet": "/catalogue",
}
KINDS = tuple(ENDPOINT)

# -- watching every connection the process makes ---------------------------------

CONNECTS: list = []
_RECORDING = [False]


def _audit(event, args):
    if event == "socket.connect" and _RECORDING[0] and isinstance(args[1], tuple):
        CONNECTS.append(tuple(args[1][:2]))


sys.addaudithook(_audit)

# -- what the servers answer ----------------------------------------------------------


def ckan_package(n: int, prefix: str = "good", **extra) -> dict:
    return {
        "id": f"{prefix}-{n}",
        "name": f"{prefix}-{n}",
        "title": f"降水观测数据 {prefix} {n}",
        "notes": "逐日降水。",
        "metadata_modified": "2026-10-01T00:00:00",
        "organization": {"title": "巴中市水文局"},
        "tags": [{"name": "降水"}],
        "extras": [{"key": "共享属性", "value": "无条件共享"}],
        "resources": [{"url": f"https://data.example.cn/{prefix}/{n}.csv", "format": "CSV"}],
        **extra,
    }


def ckan_answer(packages) -> str:
    return json.dumps({"success": True, "result": {"count": len(packages), "results": packages}}, ensure_ascii=False)


def dcat_page(title: str = "Rain", next_iri: str | None = None, extra: str = "", iri: str = "urn:ds:1") -> str:
    link = f"<urn:page> a hydra:PartialCollectionView ; hydra:next <{next_iri}> .\n" if next_iri else ""
    return (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        "@prefix hydra: <http://www.w3.org/ns/hydra/core#> . @prefix sdm: <https://w3id.org/sdm/ns#> .\n"
        f"<urn:cat> a dcat:Catalog ; dcat:dataset <{iri}> .\n"
        f'<{iri}> a dcat:Dataset ; dct:title "{title}"@en ; dct:identifier "D1" {extra}.\n' + link
    )


OAI_PAGE = (
    '<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
    "<record><header><identifier>oai:o:1</identifier><datestamp>2026-10-01</datestamp></header>"
    '<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Rain</dc:title></oai_dc:dc></metadata>'
    "</record><resumptionToken/></ListRecords></OAI-PMH>"
)
#: A page each source type can read (what another origin serves)
VALID = {
    "dcat": dcat_page(),
    "ckan": ckan_answer([ckan_package(1, "other")]),
    "oai-pmh": OAI_PAGE,
    "spreadsheet": "资源名称,资源代码,共享属性\n降水,X-1,无条件共享\n",
}


def _chunks(count: int, size: int, pause: float = 0.0):
    for _ in range(count):
        if pause:
            time.sleep(pause)
        yield b"x" * size


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def xlsx_bomb(expanded: int) -> bytes:
    """The project's example workbook with a shared-strings part that
    inflates to `expanded` bytes from a few kilobytes."""
    with open(os.path.join(PLATFORMS, "spreadsheet", "bazhong-science-bureau.xlsx"), "rb") as f:
        original = zipfile.ZipFile(io.BytesIO(f.read()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in original.infolist():
            if item.filename != "xl/sharedStrings.xml":
                bomb.writestr(item, original.read(item.filename))
        with bomb.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            unit = b"<si><t>" + b"A" * 1000 + b"</t></si>"
            for _ in range(expanded // len(unit)):
                part.write(unit)
            part.write(b"</sst>")
    return out.getvalue()


# -- the matrix's dimensions ----------------------------------------------------------


@dataclass
class Env:
    tmp_path: object
    hostile: Server
    other: Server
    port: int = 0

    def __post_init__(self):
        self.port = int(self.hostile.url.rsplit(":", 1)[1])
        outside = self.tmp_path / "outside"
        outside.mkdir()
        self.secret = outside / "secret.ttl"
        self.secret.write_text(dcat_page(FILE_MARKER) + f"# {FILE_MARKER}\n", encoding="utf-8")


@dataclass
class Payload:
    dimension: str
    #: URL payloads: where the channel leads (redirect Location, hydra:next)
    url: Callable[[Env, str], str] | None = None
    #: body payloads: the answer, as the Server's (status, headers, body)
    answer: Callable[[Env], tuple] | None = None
    #: what the hostile source's error must say (None: it need not fail)
    expect: str | None = None
    kinds: tuple = KINDS
    channels: tuple = ("direct", "redirect", "next")
    #: the hostile source's own host name and allow_hosts, when it matters
    host: str = "127.0.0.1"
    allow_hosts: tuple = ()
    timeout: float = 30

    @property
    def is_url(self) -> bool:
        return self.url is not None


INTERNAL = {
    "metadata": "169.254.169.254",
    "ten": "10.0.0.1",
    "192": "192.168.0.1",
    "172": "172.16.0.1",
    "ula": "[fc00::1]",
    "mapped": "[::ffff:169.254.169.254]",
    "mapped-private": "[::ffff:10.1.1.1]",
}
_REFUSED_ADDRESS = r"refused: .* address and the source itself is not"

PAYLOADS = {
    # schemes
    "file-secret": Payload("scheme", url=lambda e, k: f"file://{e.secret}", expect="may not lead to a file URL"),
    "dev-zero": Payload("scheme", url=lambda e, k: "file:///dev/zero", expect="may not lead to a file URL"),
    "ftp": Payload("scheme", url=lambda e, k: f"ftp://127.0.0.1:{e.port}/x", expect="scheme 'ftp' is not allowed"),
    "gopher": Payload("scheme", url=lambda e, k: f"gopher://127.0.0.1:{e.port}/x", expect="scheme 'gopher'"),
    # hosts
    "backslash": Payload(
        "host",
        url=lambda e, k: f"http://127.0.0.1:{e.port}\\@allowed.example/",
        expect="refused: the URL contains",
        host="localhost",
        allow_hosts=("localhost", "allowed.example"),
        channels=("redirect",),
    ),  # RDF refuses such an IRI before the harvester sees it
    "userinfo": Payload(
        "host",
        url=lambda e, k: f"http://allowed.example@127.0.0.1:{e.port}/",
        expect="refused: user-info",
        host="localhost",
        allow_hosts=("localhost", "allowed.example"),
    ),
    **{
        f"internal-{name}": Payload("host", url=lambda e, k, a=address: f"http://{a}/latest/", expect=_REFUSED_ADDRESS)
        for name, address in INTERNAL.items()
    },
    # credentials: another origin gets the request, never the credentials
    "other-origin": Payload("credentials", url=lambda e, k: e.other.url + ENDPOINT[k]),
    # sizes
    "huge-stream": Payload("size", answer=lambda e: (200, {}, _chunks(8, MAX_BYTES // 2)), expect="exceeds the limit"),
    "huge-declared": Payload("size", answer=lambda e: (200, {}, b"x" * (2 * MAX_BYTES)), expect="exceeds the limit"),
    # archives
    "gzip-bomb": Payload(
        "archive",
        answer=lambda e: (200, {"Content-Encoding": "gzip"}, gzip.compress(b"\0" * BOMB_BYTES)),
        expect="exceeds the limit",
    ),
    "deflate-bomb": Payload(
        "archive",
        answer=lambda e: (200, {"Content-Encoding": "deflate"}, _deflate(b"\0" * BOMB_BYTES)),
        expect="exceeds the limit",
    ),
    "xlsx-bomb": Payload(
        "archive",
        answer=lambda e: (200, {}, xlsx_bomb(BOMB_BYTES)),
        expect="as a decompression bomb does",
        kinds=("spreadsheet",),
        channels=("direct", "redirect"),
    ),
    # speeds
    "slow-drip": Payload(
        "speed", answer=lambda e: (200, {}, _chunks(100_000, 1, 0.02)), expect="time limit", timeout=1
    ),
    # redirects
    "redirect-loop": Payload(
        "redirect",
        answer=lambda e: (302, {"Location": f"/payload?hop={time.monotonic_ns()}"}, b""),
        expect="more than 5 redirects",
    ),
}


def _cases():
    for kind in KINDS:
        for channel in ("direct", "redirect", "next"):
            if channel == "next" and kind != "dcat":
                continue  # only DCAT pages carry links to follow
            for name, payload in PAYLOADS.items():
                if (
                    (channel == "direct" and payload.is_url)
                    or kind not in payload.kinds
                    or channel not in payload.channels
                ):
                    continue
                yield pytest.param(kind, channel, name, id=f"{payload.dimension}-{name}-{kind}-{channel}")


@pytest.fixture
def other():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def good():
    s = Server()
    s.routes[ENDPOINT["ckan"]] = (
        200,
        {"Content-Type": "application/json"},
        ckan_answer([ckan_package(1), ckan_package(2)]),
    )
    yield s
    s.close()


def _install(env: Env, payload: Payload, kind: str, channel: str) -> None:
    routes, endpoint = env.hostile.routes, ENDPOINT[kind]
    target = payload.url(env, kind) if payload.is_url else "/payload"
    if not payload.is_url:
        routes["/payload"] = lambda handler: payload.answer(env)
    if payload.is_url:
        env.other.routes[endpoint] = (200, {}, VALID[kind])
    if channel == "direct":
        routes[endpoint] = lambda handler: payload.answer(env)
    elif channel == "redirect":
        routes[endpoint] = (302, {"Location": target}, b"")
    else:  # a good first page whose hydra:next leads there
        routes[endpoint] = (200, {"Content-Type": "text/turtle"}, dcat_page(next_iri=target))


def _hostile_source(env: Env, payload: Payload, kind: str) -> dict:
    base = f"http://{payload.host}:{env.port}"
    return {
        "name": "hostile",
        "type": kind,
        "url": base if kind == "ckan" else base + ENDPOINT[kind],
        "department": DEPARTMENT,
        "retries": 0,
        "max_bytes": MAX_BYTES,
        "timeout": payload.timeout,
        "request_timeout": 5,
        "allow_hosts": list(payload.allow_hosts),
        "credentials": {
            "token_env": "HARVSEC_TOKEN",
            "username_env": "HARVSEC_USER",
            "password_env": "HARVSEC_PASSWORD",
        },
    }


def harvest(data_dir, sources: list) -> tuple:
    """Run the real pipeline in this process (so the audit hook sees every
    connection); return the report and everything the run wrote."""
    handler = logging.FileHandler(os.path.join(data_dir, "test.log"), encoding="utf-8")
    logger = logging.getLogger("sdm_harvester")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    store = Store(str(data_dir))
    CONNECTS.clear()
    _RECORDING[0] = True
    try:
        result = pipeline.run(
            configuration.from_dict({"sources": sources}), store, store.start_run("now"), pipeline.Options(force=True)
        )
    finally:
        _RECORDING[0] = False
        store.close()
        logger.removeHandler(handler)
        handler.close()
    written = json.dumps(result.to_dict(), ensure_ascii=False)
    for name in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                written += f.read().decode("utf-8", "replace")
    return result, written


def _source(result, name):
    return next(s for s in result.sources if s.name == name)


@pytest.mark.parametrize("kind, channel, name", list(_cases()))
def test_hostile_source_fails_alone_and_leaks_nothing(tmp_path, monkeypatch, server, other, good, kind, channel, name):
    monkeypatch.setenv("HARVSEC_TOKEN", TOKEN)
    monkeypatch.setenv("HARVSEC_USER", USER)
    monkeypatch.setenv("HARVSEC_PASSWORD", PASSWORD)
    payload, env = PAYLOADS[name], Env(tmp_path, server, other)
    _install(env, payload, kind, channel)
    data = tmp_path / "data"
    data.mkdir()
    result, written = harvest(
        data,
        [
            {"name": "good", "type": "ckan", "url": good.url, "department": DEPARTMENT, "retries": 0},
            _hostile_source(env, payload, kind),
        ],
    )
    fine, hostile = _source(result, "good"), _source(result, "hostile")
    assert (fine.status, fine.counts["new"], fine.errors) == ("ok", 2, [])
    if payload.expect:
        assert hostile.status == "failed", hostile.errors
        assert any(e.startswith("hostile: ") and re.search(payload.expect, e) for e in hostile.errors), hostile.errors
    for secret in (TOKEN, PASSWORD, BASIC, FILE_MARKER):
        assert secret not in written
    assert all("Authorization" not in headers for _, _, headers in other.requests + good.requests)
    assert TOKEN not in repr(other.requests) and BASIC not in repr(other.requests)
    ours = {int(s.url.rsplit(":", 1)[1]) for s in (server, other, good)}
    assert CONNECTS and all(host in ("127.0.0.1", "::1") and port in ours for host, port in CONNECTS), CONNECTS
    assert len(server.requests) < 100  # every hostile case is bounded


def test_a_configured_url_with_host_tricks_is_a_configuration_error():
    for url in ("http://127.0.0.1:8000\\@allowed.example/", "http://user:pw@allowed.example/"):
        with pytest.raises(configuration.ConfigError, match="refused"):
            configuration.from_dict(
                {"sources": [{"name": "trick", "type": "dcat", "url": url, "department": DEPARTMENT}]}
            )


def test_the_matrix_covers_every_dimension():
    cases = [p.id for p in _cases()]
    for dimension in ("scheme", "host", "credentials", "size", "archive", "speed", "redirect"):
        assert any(c.startswith(dimension + "-") for c in cases), dimension
    for kind in KINDS:
        assert any(c.endswith(f"-{kind}-redirect") for c in cases) and any(c.endswith(f"-{kind}-direct") for c in cases)
    assert any(c.endswith("-dcat-next") for c in cases)


# -- finding 9: private upstream datasets ---------------------------------------------


class CkanSite:
    """package_search as CKAN answers it: private datasets only with
    include_private=true and a token."""

    def __init__(self, packages):
        self.packages = packages

    def __call__(self, handler):
        query = dict(p.split("=", 1) for p in handler.path.partition("?")[2].split("&") if "=" in p)
        visible = [
            p
            for p in self.packages
            if not p.get("private") or (query.get("include_private") == "true" and handler.headers.get("Authorization"))
        ]
        return 200, {"Content-Type": "application/json"}, ckan_answer(visible)


def test_private_ckan_datasets_are_counted_and_never_kept(tmp_path, server, monkeypatch):
    monkeypatch.setenv("HARVSEC_TOKEN", TOKEN)
    site = CkanSite([ckan_package(1), ckan_package(2), ckan_package(3, title="PRIVATE-TITLE-MARKER")])
    server.routes[ENDPOINT["ckan"]] = site
    source = {
        "name": "site",
        "type": "ckan",
        "url": server.url,
        "department": DEPARTMENT,
        "credentials": {"token_env": "HARVSEC_TOKEN"},
    }
    data = tmp_path / "data"
    data.mkdir()
    result, _ = harvest(data, [source])
    assert (_source(result, "site").counts["new"], _source(result, "site").counts["private"]) == (3, 0)
    # the upstream site makes dataset 3 private, and adds a private one
    site.packages[2] = ckan_package(3, title="PRIVATE-TITLE-MARKER", private=True)
    site.packages.append(ckan_package(4, title="PRIVATE-TITLE-MARKER", private="True"))
    result, written = harvest(data, [source])
    counts = _source(result, "site").counts
    assert (counts["private"], counts["withdrawn"], counts["unchanged"]) == (2, 1, 2)
    assert "include_private=true" in server.requests[-1][1] and server.requests[-1][2]["Authorization"] == TOKEN
    assert "PRIVATE-TITLE-MARKER" not in written and "good-4" not in written
    store = Store(str(data))
    held = [d["harvest_identifier"] for d in store.iter_datasets()]
    store.close()
    assert held == ["good-1", "good-2"]


# -- finding 10: classified text never reaches the store -------------------------------


def test_classified_records_leave_only_a_count(tmp_path, server):
    classified = ckan_package(
        9,
        "classified-id-marker",
        name="classified-slug-marker",
        title="CLASSIFIED-TITLE-MARKER",
        secrecy="classified",
        secrecy_level="secret",
    )
    public = ckan_package(1)
    server.routes[ENDPOINT["ckan"]] = (
        200,
        {"ETag": '"v1"', "Content-Type": "application/json"},
        ckan_answer([public, classified]),
    )
    server.routes["/catalog.ttl"] = (
        200,
        {"ETag": '"p1"', "Content-Type": "text/turtle"},
        dcat_page(
            "CLASSIFIED-TITLE-MARKER",
            extra='; sdm:secrecy "classified" ; sdm:secrecyLevel "secret" ',
            iri="urn:classified-iri-marker",
        ),
    )
    server.routes["/open.ttl"] = (200, {"ETag": '"o1"', "Content-Type": "text/turtle"}, dcat_page("Open rain"))
    data = tmp_path / "data"
    data.mkdir()
    sources = [
        {"name": "site", "type": "ckan", "url": server.url, "department": DEPARTMENT},
        {"name": "cat", "type": "dcat", "url": server.url + "/catalog.ttl", "department": DEPARTMENT},
        {"name": "open", "type": "dcat", "url": server.url + "/open.ttl", "department": DEPARTMENT},
    ]
    result, written = harvest(data, sources)
    assert _source(result, "site").counts["classified"] == 1 and _source(result, "cat").counts["classified"] == 1
    for marker in (
        "CLASSIFIED-TITLE-MARKER",
        "classified-slug-marker",
        "classified-id-marker",
        "classified-iri-marker",
    ):
        assert marker not in written, marker
    store = Store(str(data))
    cached = [r[0] for r in store.db.execute("SELECT url FROM http_cache")]
    pages = [r[0] for r in store.db.execute("SELECT source FROM pages")]
    store.close()
    assert cached == [server.url + "/open.ttl"] and pages == ["open"]  # the clean source is still cached


def test_a_public_record_that_becomes_classified_is_withdrawn_without_its_text(tmp_path, server):
    server.routes[ENDPOINT["ckan"]] = (200, {}, ckan_answer([ckan_package(1), ckan_package(2)]))
    data = tmp_path / "data"
    data.mkdir()
    source = [{"name": "site", "type": "ckan", "url": server.url, "department": DEPARTMENT}]
    harvest(data, source)
    server.routes[ENDPOINT["ckan"]] = (
        200,
        {},
        ckan_answer(
            [
                ckan_package(1),
                ckan_package(
                    2, title="NOW-CLASSIFIED-MARKER", secrecy="classified", metadata_modified="2026-11-01T00:00:00"
                ),
            ]
        ),
    )
    result, written = harvest(data, source)
    counts = _source(result, "site").counts
    assert (counts["classified"], counts["withdrawn"]) == (1, 1)
    assert "NOW-CLASSIFIED-MARKER" not in written and "降水观测数据 good 2" not in written
    store = Store(str(data))
    assert [d["harvest_identifier"] for d in store.iter_datasets()] == ["good-1"]
    assert [w["name"] for w in store.iter_withdrawn()] == ["site-good-2"]
    store.close()


def test_a_store_holding_classified_rows_from_before_forgets_them(tmp_path):
    store = Store(str(tmp_path))
    store.db.execute(
        "INSERT INTO records (source, identifier, name, hash, data, classified, first_seen,"
        " last_seen, updated) VALUES ('s', 'SECRET-ID', 's-secret', 'h', NULL, 1, 'x', 'x', 'x')"
    )
    store.db.execute("INSERT INTO pages VALUES ('s', 'http://x/p', 'd', NULL, '[\"SECRET-ID\"]')")
    store.close()
    store = Store(str(tmp_path))
    rows = (
        store.db.execute("SELECT count(*) FROM records").fetchone()[0]
        + store.db.execute("SELECT count(*) FROM pages").fetchone()[0]
    )
    store.close()
    assert rows == 0


# -- finding 11: file sources are bounded ------------------------------------------------


def test_file_sources_refuse_devices_and_fifos(tmp_path, good):
    fifo = tmp_path / "catalogue.csv"
    os.mkfifo(fifo)
    data = tmp_path / "data"
    data.mkdir()
    result, _ = harvest(
        data,
        [
            {"name": "good", "type": "ckan", "url": good.url, "department": DEPARTMENT},
            {"name": "zero", "type": "spreadsheet", "url": "file:///dev/zero", "department": DEPARTMENT},
            {"name": "fifo", "type": "spreadsheet", "url": f"file://{fifo}", "department": DEPARTMENT},
        ],
    )
    assert _source(result, "good").counts["new"] == 2
    for name in ("zero", "fifo"):
        assert _source(result, name).status == "failed"
        assert "not a regular file" in _source(result, name).errors[0]


def test_oai_file_source_tokens_cannot_leave_the_folder(tmp_path):
    home = tmp_path / "oai"
    home.mkdir()
    (tmp_path / "secret.xml").write_text(FILE_MARKER)
    (home / "ListRecords.xml").write_text(
        OAI_PAGE.replace("<resumptionToken/>", "<resumptionToken>../secret</resumptionToken>")
    )
    data = tmp_path / "data"
    data.mkdir()
    result, written = harvest(
        data, [{"name": "oai", "type": "oai-pmh", "url": f"file://{home}/ListRecords.xml", "department": DEPARTMENT}]
    )
    assert "outside the source's folder" in " ".join(_source(result, "oai").errors)
    assert FILE_MARKER not in written


# -- finding 13: OAI deletions and the circuit breaker ------------------------------------


def _oai(records: str) -> str:
    return OAI_PAGE.replace(OAI_PAGE[OAI_PAGE.index("<record>") : OAI_PAGE.index("<resumptionToken/>")], records)


def _record(n: int, deleted: bool = False) -> str:
    if deleted:
        return f'<record><header status="deleted"><identifier>oai:o:{n}</identifier></header></record>'
    return (
        f"<record><header><identifier>oai:o:{n}</identifier><datestamp>2026-10-01</datestamp></header>"
        '<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title xml:lang="zh-CN">降水数据 {n}</dc:title><dc:subject>水文</dc:subject>'
        f"<dc:identifier>https://doi.org/10.5555/{n}</dc:identifier>"
        "<dc:rights>info:eu-repo/semantics/openAccess</dc:rights><dc:publisher>巴中市水文局</dc:publisher>"
        "</oai_dc:dc></metadata></record>"
    )


def test_oai_deletions_count_toward_the_circuit_breaker(tmp_path, server):
    server.routes["/oai"] = (200, {}, _oai("".join(_record(n) for n in range(1, 5))))
    config = write_config(tmp_path, [{"name": "oai", "type": "oai-pmh", "url": server.url + "/oai"}])
    code, report = run_report(tmp_path, config)
    assert source_report(report, "oai")["counts"]["new"] == 4, report
    # three of four deleted in one run: more than the 50 % threshold
    server.routes["/oai"] = (200, {}, _oai(_record(1) + "".join(_record(n, deleted=True) for n in (2, 3, 4))))
    _, report = run_report(tmp_path, config)
    oai = source_report(report, "oai")
    assert oai["counts"]["withdrawn"] == 0 and not oai["withdrawal"]["applied"]
    assert "circuit breaker" in oai["withdrawal"]["reason"] and oai["withdrawal"]["deleted"] == 3
    # one of four is within it
    server.routes["/oai"] = (200, {}, _oai("".join(_record(n) for n in (1, 2, 3)) + _record(4, deleted=True)))
    _, report = run_report(tmp_path, config)
    assert source_report(report, "oai")["counts"]["withdrawn"] == 1


# -- finding 13: links in the data folder, and the lock after a slow source -----------------


@pytest.mark.parametrize("planted", ["harvest.lock", "harvest.sqlite", "harvest.log", "reports/run-000001.json.tmp"])
def test_links_planted_in_the_data_folder_never_write_through(tmp_path, planted):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    data = tmp_path / "data"
    (data / "reports").mkdir(parents=True)
    os.symlink(victim, data / planted)
    config = write_config(
        tmp_path,
        [{"name": "nr", "type": "spreadsheet", "url": f"file://{PLATFORMS}/spreadsheet/bazhong-natural-resources.csv"}],
    )
    result = sdm_harvest("run", "--config", config, "--data-dir", str(data))
    assert victim.read_text() == "precious"
    if planted.endswith(".tmp"):
        assert result.returncode == 0 and not os.path.islink(data / planted)
    else:
        assert result.returncode == 2 and "symbolic link" in result.stderr


def test_a_hard_linked_lock_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    data = tmp_path / "data"
    data.mkdir()
    os.link(victim, data / "harvest.lock")
    with pytest.raises(OSError, match="plain file with no other links"):
        RunLock(str(data)).__enter__()
    assert victim.read_text() == "precious"


def test_slow_drip_source_stops_at_its_time_limit_and_frees_the_lock(tmp_path, server):
    server.routes["/drip.csv"] = lambda handler: (200, {}, _chunks(100_000, 1, 0.02))
    config = write_config(
        tmp_path, [{"name": "drip", "type": "spreadsheet", "url": server.url + "/drip.csv", "timeout": 1, "retries": 0}]
    )
    code, report = run_report(tmp_path, config)
    assert code == 1 and "time limit" in source_report(report, "drip")["errors"][0]
    with RunLock(str(tmp_path / "data")):
        pass  # free again
