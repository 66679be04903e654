"""The bilingual corpus through package_search and the /dataset page, with
the extension's search and with CKAN's stock search (the same CKAN, the
hooks off: ckanext.sdm.search.enabled = false, index rebuilt).

The precision/recall table in docs/search.md is checked here; regenerate it
with SDM_SEARCH_REPORT=1 (docs/search.md gives the command), on the real
Solr dev/services.sh runs.
"""
import os

import lxml.html
import pytest
from ckan import plugins
from ckan.common import config
from ckan.lib import search

from search_metrics import load_queries, replace_table, score, table
from search_corpus import anonymous_search, public_names

pytestmark = pytest.mark.usefixtures("with_plugins")

QUERIES = load_queries()
DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "search.md")
SDM, STOCK = "ckanext-sdm", "stock CKAN"
PAGE_SIZE = 20  # ckan.datasets_per_page


def _found(q: str) -> list:
    return [r["name"] for r in anonymous_search(q=q, rows=1000)["results"]]


def _run_all() -> dict:
    return {query["q"]: _found(query["q"]) for query in QUERIES}


@pytest.fixture(scope="module")
def measured(corpus):
    """{system: {q: names found by the public}}."""
    plugins.load_all()
    try:
        results = {SDM: _run_all()}
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(config, "ckanext.sdm.search.enabled", False)
            search.rebuild()
            results[STOCK] = _run_all()
        search.rebuild()  # the extension's index again, for the page tests
    finally:
        plugins.unload_non_system_plugins()
    return results


def test_the_public_never_finds_a_hidden_dataset(measured, corpus):
    public = public_names(corpus)
    for system, results in measured.items():
        for q, names in results.items():
            assert set(names) <= public, (system, q)


def test_the_extension_finds_more_and_stays_precise(measured):
    scores = {system: score(QUERIES, results)["all"] for system, results in measured.items()}
    # floors just under the measured values (docs/search.md): a regression
    # guard; what is still missed needs translation, not segmentation
    assert scores[SDM].recall >= 0.75
    assert scores[SDM].precision >= 0.95
    assert scores[SDM].recall > scores[STOCK].recall + 0.25


def test_docs_show_the_measured_table(measured):
    measured_table = table({system: score(QUERIES, results) for system, results in measured.items()})
    if os.environ.get("SDM_SEARCH_REPORT"):
        replace_table(DOC, measured_table)
    with open(DOC, encoding="utf-8") as f:
        assert measured_table in f.read(), "docs/search.md is stale: rerun with SDM_SEARCH_REPORT=1"


def _page_names(app, q: str, kind: str) -> list:
    prefix = "/en" if kind == "en" else ""
    html = app.get(f"{prefix}/dataset/", query_string={"q": q}).body
    links = lxml.html.fromstring(html).xpath('//*[contains(@class, "dataset-heading")]//a/@href')
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in links]


@pytest.mark.parametrize("query", QUERIES, ids=[q["q"] for q in QUERIES])
def test_the_dataset_page_shows_what_the_api_finds(app, measured, query):
    page = _page_names(app, query["q"], query["kind"])
    api = measured[SDM][query["q"]]
    assert len(page) == min(len(api), PAGE_SIZE)
    assert set(page) <= set(api)
