"""package_search latency at 10 000 datasets on real Solr: ckanext-sdm's
search against CKAN's stock search (the same CKAN with the hooks off), over
the corpus queries of tests/search/.

    SDM_BENCH_DATASETS=10000 dev/run-tests.sh -q -s -p no:cacheprovider benchmarks/search/bench_latency.py

Runs inside real CKAN through CKAN's pytest plugin (dev/run-tests.sh starts
PostgreSQL, Redis and Solr).  The 158 corpus datasets are created with
package_create; their package_show dicts are then indexed again under new
ids and names (`<name>-<n>`) through CKAN's indexer, with the hooks on, up
to SDM_BENCH_DATASETS documents, in one commit.  CKAN reads a dataset's
permission labels from the database by id; a copy, which exists only in the
index, gets its original's (model.Package.get answers the original for a
copy's id while indexing), so the public sees the copies of public datasets.  Every query of
queries.yaml is sent as an anonymous package_search (CKAN's first page, 20
rows) ROUNDS times after a warm-up round; p50 and p95 are over those calls.
The disclosure check (access.py) drops a copy from the page, since it finds
no such dataset in the database, so a page holds about one row (the
original) while the count covers every copy: the latency is Solr's search
and CKAN's handling of the count and facets, with little result decoding,
for both systems alike ("mean rows").
Then the same with ckanext.sdm.search.enabled = false and the documents
indexed the stock way.  It prints its figures; it asserts nothing about time.
"""

from __future__ import annotations

import copy
import os
import statistics
import sys
import time
import uuid

import pytest
from ckan import model, plugins
from ckan.common import config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "search"))

from search_corpus import anonymous_search, create_corpus, indexed_dicts, load_corpus, reindex  # noqa: E402
from search_metrics import load_queries  # noqa: E402

DATASETS = int(os.environ.get("SDM_BENCH_DATASETS", "10000"))
ROUNDS = int(os.environ.get("SDM_BENCH_ROUNDS", "3"))
COMMAND = f"SDM_BENCH_DATASETS={DATASETS} dev/run-tests.sh -q -s -p no:cacheprovider benchmarks/search/bench_latency.py"


#: copy id: the id of the dataset it copies
ORIGINAL: dict = {}


def _copies(dicts: list, total: int) -> list:
    """`total` package dicts: the corpus, then copies under new ids and names."""
    out = list(dicts)
    for n in range(total - len(dicts)):
        pkg = copy.deepcopy(dicts[n % len(dicts)])
        original, pkg["id"] = pkg["id"], str(uuid.uuid4())
        ORIGINAL[pkg["id"]] = original
        pkg["name"] = f"{pkg['name']}-{n}"
        out.append(pkg)
    return out


def _reindex_copies(docs: list) -> None:
    get = model.Package.get
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model.Package, "get", staticmethod(lambda ref, *args: get(ORIGINAL.get(ref, ref), *args)))
        reindex(docs)


def _percentile(values: list, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _latencies(queries: list) -> dict:
    """{q: (ms of each round, rows on the page, count)}."""
    for query in queries:  # warm-up: Solr's caches and CKAN's imports
        anonymous_search(q=query["q"], rows=20)
    out = {query["q"]: ([], 0, 0) for query in queries}
    for _ in range(ROUNDS):
        for query in queries:
            started = time.perf_counter()
            found = anonymous_search(q=query["q"], rows=20)
            out[query["q"]][0].append((time.perf_counter() - started) * 1000)
            out[query["q"]] = (out[query["q"]][0], len(found["results"]), found["count"])
    return out


def _figures(per_query: dict) -> dict:
    times = [t for ts, _, _ in per_query.values() for t in ts]
    return {"p50": _percentile(times, 0.5), "p95": _percentile(times, 0.95), "mean": statistics.mean(times)}


def _system(docs: list, queries: list) -> dict:
    started = time.perf_counter()
    _reindex_copies(docs)
    indexed = time.perf_counter() - started
    per_query = _latencies(queries)
    return {
        "index_s": indexed,
        "per_query": per_query,
        **_figures(per_query),
        "calls": sum(len(ts) for ts, _, _ in per_query.values()),
        "rows": statistics.mean(rows for _, rows, _ in per_query.values()),
        "found": statistics.mean(count for _, _, count in per_query.values()),
    }


@pytest.mark.usefixtures("with_plugins")
def test_package_search_latency(reset_db, reset_index, migrate_db_for):
    queries = load_queries()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(config, "ckanext.sdm.allow_classified", True)
        reset_db()
        migrate_db_for("activity")
        reset_index()
        create_corpus(load_corpus())
        docs = _copies(indexed_dicts(), DATASETS)
        results = {"ckanext-sdm": _system(docs, queries)}
        patch.setitem(config, "ckanext.sdm.search.enabled", False)
        reset_index()
        results["stock CKAN (hooks off)"] = _system(docs, queries)
    assert plugins.plugin_loaded("sdm")
    print(f"\n\npackage_search on Apache Solr, {len(docs)} datasets, {len(queries)} queries x {ROUNDS} rounds")
    print(f"command: {COMMAND}\n")
    print("| search | index s | p50 ms | p95 ms | mean ms | calls | mean rows | mean found |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['index_s']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['mean']:.1f} | "
            f"{r['calls']} | {r['rows']:.1f} | {r['found']:.0f} |"
        )
    assert all(r["found"] > 0 for r in results.values())
