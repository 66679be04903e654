"""The bilingual corpus through package_search and the /dataset page, with
the extension's search and with CKAN's stock search (the same CKAN, the
hooks off: ckanext.sdm.search.enabled = false, index rebuilt).

The table in docs/search.md (precision, recall, nDCG@10, MRR per query
kind) is checked here; regenerate it with SDM_SEARCH_REPORT=1 (docs/search.md
gives the command), on the real Solr dev/services.sh runs.  The quality
floors below are the issue's targets, met for every kind.  The held-out
cross-language queries (queries_heldout.yaml, written after the glossary)
are measured and tabled apart.
"""

import os

import lxml.html
import pytest
from ckan import plugins
from ckan.common import config
from search_corpus import anonymous_search, indexed_dicts, public_names, reindex
from search_metrics import BEGIN, END, HELD_OUT_BEGIN, HELD_OUT_END, load_queries, replace_table, score, table

pytestmark = pytest.mark.usefixtures("with_plugins")

QUERIES = load_queries()
#: cross-language queries written after the glossary (queries_heldout.yaml)
HELD_OUT = load_queries("queries_heldout.yaml")
DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "search.md")
SDM, STOCK = "ckanext-sdm", "stock CKAN"
PAGE_SIZE = 20  # ckan.datasets_per_page


def _found(q: str) -> list:
    # only the names: the same search, without decoding 158 full records a query
    return [r["name"] for r in anonymous_search(q=q, rows=1000, fl=["name"])["results"]]


def _run_all() -> dict:
    return {query["q"]: _found(query["q"]) for query in QUERIES + HELD_OUT}


@pytest.fixture(scope="module")
def measured(corpus):
    """{system: {q: names found by the public}}."""
    plugins.load_all()
    try:
        results = {SDM: _run_all()}
        dicts = indexed_dicts()
        assert len(dicts) == len(corpus["datasets"])
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(config, "ckanext.sdm.search.enabled", False)
            reindex(dicts)
            results[STOCK] = _run_all()
        reindex(dicts)  # the extension's index again, for the page tests and test_search.py
    finally:
        plugins.unload_non_system_plugins()
    return results


def test_the_public_never_finds_a_hidden_dataset(measured, corpus):
    public = public_names(corpus)
    for system, results in measured.items():
        for q, names in results.items():
            assert set(names) <= public, (system, q)


#: kind: (precision, recall, nDCG@10) floors: the measured figures
#: (docs/search.md) rounded down, each at or above issue 12's target of
#: P ≥ 0.95 and R ≥ 0.90.
FLOORS = {
    "zh": (0.95, 0.92, 0.95),
    "traditional": (1.00, 0.93, 0.98),
    "en": (0.95, 0.98, 0.95),
    "mixed": (1.00, 1.00, 0.99),
    "label": (1.00, 1.00, 0.99),
    "cross": (1.00, 0.95, 0.97),
    "all": (0.97, 0.95, 0.96),
}


@pytest.mark.parametrize("kind", list(FLOORS))
def test_each_kind_of_query_meets_its_floor(measured, kind):
    s = score(QUERIES, measured[SDM])[kind]
    floor_p, floor_r, floor_ndcg = FLOORS[kind]
    assert s.precision >= floor_p, (kind, s.precision)
    assert s.recall >= floor_r, (kind, s.recall)
    assert s.ndcg >= floor_ndcg, (kind, s.ndcg)


def test_the_extension_finds_far_more_than_stock_ckan(measured):
    ours, stock = (score(QUERIES, measured[system])["all"] for system in (SDM, STOCK))
    # stock CKAN reads the generated synonyms.txt too (its `text` type), and
    # finds English queries in the English URL names of Chinese datasets
    assert ours.recall > stock.recall + 0.2
    assert ours.ndcg > stock.ndcg + 0.1
    assert ours.mrr >= 0.95


#: (precision, recall) floors of the held-out cross-language queries: the
#: measured figures rounded down (docs/search.md, "Held out").
HELD_OUT_FLOORS = (1.00, 0.35)


def test_held_out_cross_language_queries_meet_their_floor(measured):
    s = score(HELD_OUT, measured[SDM])["cross"]
    assert s.precision >= HELD_OUT_FLOORS[0] and s.recall >= HELD_OUT_FLOORS[1], (s.precision, s.recall)


def test_docs_show_the_measured_tables(measured):
    tables = [
        (table({system: score(QUERIES, results) for system, results in measured.items()}), BEGIN, END),
        (
            table({system: score(HELD_OUT, results) for system, results in measured.items()}, ("cross",)),
            HELD_OUT_BEGIN,
            HELD_OUT_END,
        ),
    ]
    for text, begin, end in tables:
        if os.environ.get("SDM_SEARCH_REPORT"):
            replace_table(DOC, text, begin, end)
        with open(DOC, encoding="utf-8") as f:
            assert text in f.read(), "docs/search.md is stale: rerun with SDM_SEARCH_REPORT=1"


def _page_names(app, q: str, kind: str) -> list:
    prefix = "/en" if kind == "en" else ""
    html = app.get(f"{prefix}/dataset/", query_string={"q": q}).body
    links = lxml.html.fromstring(html).xpath('//*[contains(@class, "dataset-heading")]//a/@href')
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in links]


#: the first query of each kind: the pages render the same search for all
PAGE_QUERIES = list({q["kind"]: q for q in reversed(QUERIES)}.values())


def test_the_dataset_page_shows_what_the_api_finds(app, measured):
    # one app for every kind of query: each `app` costs seconds to make
    for query in PAGE_QUERIES:
        page = _page_names(app, query["q"], query["kind"])
        api = measured[SDM][query["q"]]
        assert len(page) == min(len(api), PAGE_SIZE), query["q"]
        assert set(page) <= set(api), query["q"]
