"""CKAN's DCAT pages benchmark: cold pages, cache hits, 304s, concurrency.

    .venv/bin/python benchmarks/feeds/ckan_bench.py --datasets 300

Starts CKAN with dev/ckan-up.sh on private services and ports (SDM_RUN_DIR,
SDM_PG_PORT, SDM_REDIS_PORT, SDM_SOLR_PORT, SDM_CKAN_PORT as for the tests;
holder "bench-feeds", database sdm_bench_feeds; `ckan run --threaded`, the
development server with a thread a request, as a single-threaded one
queues -c 200 past its listen backlog), fills it with --datasets
open copies of examples/ckan/sdm_dataset_full.json in one responsible unit
(once: a second run reuses them), then measures with curl-like requests
from this process (urllib, one connection per request):
  cold       /catalog.ttl of 100 datasets, a query parameter ckanext-dcat
             ignores making every request a cache miss: our profiles
             (sdm_national, sdm_dcat_ap3: the streaming path) beside stock
             euro_dcat_ap_3 (ckanext-dcat's rdflib serializer), with the
             page's triples to compare per triple
  hit        the same URL again (served from Redis, answered before
             CKAN's own per-request work: no credential is sent)
  304        If-None-Match with the page's ETag
  ab         ApacheBench (Debian's apache2-utils): -c 200 on the cached page
and stops what it started (--keep leaves CKAN running).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pyoxigraph

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOLDER = "bench-feeds"
UNIT = {
    "name": "bench-unit",
    "title_translated": {"zh-Hans": "国家气象信息中心", "en": "National Meteorological Information Centre"},
    "uscc": "91110000600037341L",
}


def _env():
    # a site id of its own: tests on the same services clear the index of theirs
    env = dict(os.environ, SDM_CKAN_HOLDER=HOLDER, SDM_CKAN_THREADED="1", SDM_CKAN_SITE_ID=HOLDER)
    env.setdefault("SDM_CKAN_OUT", os.path.join(env.get("SDM_RUN_DIR", os.path.join(ROOT, ".run")), HOLDER))
    return env


def _ckan(command: str):
    subprocess.run(["dev/ckan-up.sh", command], cwd=ROOT, env=_env(), check=True)


def _base() -> str:
    return f"http://127.0.0.1:{os.environ.get('SDM_CKAN_PORT', '5000')}"


def _action(action: str, token: str, **data):
    request = urllib.request.Request(
        f"{_base()}/api/3/action/{action}",
        data=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", "Authorization": token},
    )
    with urllib.request.urlopen(request, timeout=300) as answer:
        return json.load(answer)["result"]


def fill(count: int, token: str) -> None:
    """`count` open datasets in one unit; what is there already is kept
    (and indexed again if the index lost it)."""
    try:
        org = _action("organization_show", token, id=UNIT["name"])
    except urllib.error.HTTPError:
        org = _action("organization_create", token, **UNIT)
    have = set(_action("package_list", token))
    with open(os.path.join(ROOT, "examples", "ckan", "sdm_dataset_full.json"), encoding="utf-8") as f:
        template = json.load(f)
    for number in range(count):
        if f"bench-{number}" in have:
            continue
        record = dict(
            template, name=f"bench-{number}", owner_org=org["id"], disclosure="public", open_attribute="unconditional"
        )
        for key in ("deferral_reason", "embargo_until"):
            record.pop(key, None)
        record["title_translated"] = {k: f"{v} #{number}" for k, v in template["title_translated"].items()}
        _action("package_create", token, **record)
    if _action("package_search", token, fq=f"owner_org:{org['id']}", rows=0)["count"] < count:
        ini = os.path.join(_env()["SDM_CKAN_OUT"], "ckan.ini")
        rebuild = [os.path.join(ROOT, ".venv", "bin", "ckan"), "-c", ini, "search-index", "rebuild"]
        subprocess.run(rebuild, check=True, stdout=subprocess.DEVNULL)


def get(path: str, headers=None):
    """(seconds, status, body, headers) of one GET."""
    request = urllib.request.Request(_base() + path, headers=headers or {})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            body, status, got = answer.read(), answer.status, answer.headers
    except urllib.error.HTTPError as error:
        body, status, got = error.read(), error.code, error.headers
    return time.perf_counter() - start, status, body, got


def _triples(body: bytes) -> int:
    return sum(1 for _ in pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.TURTLE))


def _ms(values) -> str:
    return f"median {1000 * statistics.median(values):7.1f} ms  (min {1000 * min(values):.1f}, max {1000 * max(values):.1f})"


def measure(rounds: int, concurrency: int, requests: int) -> None:
    print(f"{'profile':<15} {'case':<5} {'latency':<44} {'triples':>8} {'µs/triple':>9}")
    for profile in ("sdm_national", "sdm_dcat_ap3", "euro_dcat_ap_3"):
        path = f"/catalog.ttl?profiles={profile}"
        cold = []
        for _ in range(rounds):
            seconds, status, body, _h = get(f"{path}&bench={uuid.uuid4().hex}")
            assert status == 200, (profile, status, body[:300])
            cold.append(seconds)
        triples = _triples(body)
        print(
            f"{profile:<15} {'cold':<5} {_ms(cold):<44} {triples:>8} {1e6 * statistics.median(cold) / triples:>9.1f}",
            flush=True,
        )
        first = get(path)
        hits = [get(path)[0] for _ in range(rounds * 4)]
        print(f"{profile:<15} {'hit':<5} {_ms(hits)}", flush=True)
        etag = first[3]["ETag"]
        revalidated = [get(path, {"If-None-Match": etag}) for _ in range(rounds * 4)]
        assert all(status == 304 for _s, status, _b, _h in revalidated)
        print(f"{profile:<15} {'304':<5} {_ms([s for s, *_ in revalidated])}", flush=True)
    path = "/catalog.ttl?profiles=sdm_national"
    # -r -s 120: go on past a socket error and wait up to 120 s (ckan run is
    # the development server; at -c 200 some connections wait long)
    done = subprocess.run(
        ["ab", "-r", "-s", "120", "-n", str(requests), "-c", str(concurrency), _base() + path],
        capture_output=True,
        text=True,
    )
    rate = re.search(r"Requests per second:\s+([\d.]+)", done.stdout)
    p99 = re.search(r"\s99%\s+(\d+)", done.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", done.stdout)
    if not rate:
        print(done.stdout[-2000:], done.stderr[-2000:])
    print(
        f"ab -n {requests} -c {concurrency} {path}: {rate.group(1) if rate else '?'} requests/s,"
        f" p99 {p99.group(1) if p99 else '?'} ms, failed {failed.group(1) if failed else '?'}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="leave CKAN running")
    args = parser.parse_args()
    print("command:", " ".join([os.path.relpath(sys.executable, ROOT), *sys.argv]))
    _ckan("up")
    try:
        with open(os.path.join(_env()["SDM_CKAN_OUT"], "sysadmin.token"), encoding="utf-8") as f:
            token = f.read().strip()
        fill(args.datasets, token)
        print(f"{args.datasets} datasets; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        measure(args.rounds, args.concurrency, args.requests)
        print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            _ckan("down")


if __name__ == "__main__":
    main()
