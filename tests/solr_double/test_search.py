"""Indexing and /select semantics, driven without HTTP."""

import pytest

from .errors import SolrError
from .params import Params
from .parsers import min_should_match
from .searcher import select
from .updates import run_update

# What CKAN 2.11's PackageSearchQuery.run sends for a free-text search.
CKAN_DISMAX = {
    "defType": "dismax", "qf": "name^4 title^4 tags^2 groups^2 text",
    "tie": "0.1", "mm": "2<-1 5<80%", "q.op": "AND", "df": "text",
    "wt": "json",
}
CKAN_FQ = ['+capacity:public  +state:(active)', '+site_id:"default"',
           '+permission_labels:("public" OR "member-xyz")']


def dataset(n, name, title, notes="", tags=(), **extra):
    doc = {"index_id": "idx-%d" % n, "id": "id-%d" % n, "site_id": "default",
           "name": name, "title": title, "notes": notes, "tags": list(tags),
           "state": "active", "capacity": "public", "entity_type": "package",
           "dataset_type": "dataset", "permission_labels": ["public"],
           "metadata_created": "2024-01-01T00:00:00Z",
           "metadata_modified": "2024-01-%02dT12:00:00.250000Z" % n,
           "title_string": title, "organization": "org-a"}
    doc.update(extra)
    return doc


def search(index, q="*:*", fq=(), **params):
    pairs = [("q", q)] + [("fq", f) for f in fq]
    for key, value in params.items():
        key = key.replace("__", ".")
        values = value if isinstance(value, list) else [value]
        pairs.extend((key, str(v)) for v in values)
    return select(index, Params(pairs))


def names(result):
    return [doc["name"] for doc in result["response"]["docs"]]


@pytest.fixture
def index(ckan_index):
    ckan_index.add([
        dataset(1, "climate-data", "Climate data of Europe",
                "Temperatures and climates", ["climate", "europe"]),
        dataset(2, "rainfall", "Rainfall statistics", "Precipitation in Asia",
                ["rain"], organization="org-b"),
        dataset(3, "secret", "Secret climate", capacity="private",
                permission_labels=["member-org"]),
        dataset(4, "weather-stations", "Weather stations",
                "Station data: climate observations", ["weather"]),
        dataset(5, "draft", "Draft climate", state="draft"),
    ])
    ckan_index.commit()
    return ckan_index


def test_changes_are_visible_only_after_commit(index):
    index.add([dataset(6, "new", "New dataset")])
    assert "new" not in names(search(index, rows=50))
    index.commit()
    assert "new" in names(search(index, rows=50))


def test_re_adding_replaces_by_unique_key(index):
    index.add([dataset(2, "rainfall", "Rainfall renamed")])
    index.commit()
    result = search(index, 'name:"rainfall"', fl="title")
    assert result["response"]["docs"] == [{"title": "Rainfall renamed"}]
    assert result["response"]["numFound"] == 1


def test_delete_by_ckan_query_and_by_id(index):
    run_update(index, Params([("commit", "true")]),
               b'<delete><query>+entity_type:package AND +(id:"id-2" OR '
               b'name:"id-2") AND +site_id:"default"</query></delete>', "text/xml")
    assert "rainfall" not in names(search(index, rows=50))
    run_update(index, Params([("commit", "true")]),
               b"<delete><id>idx-1</id></delete>", "text/xml")
    assert search(index)["response"]["numFound"] == 3


def test_ckan_filter_queries(index):
    result = search(index, fq=CKAN_FQ, rows=50)
    assert sorted(names(result)) == ["climate-data", "rainfall", "weather-stations"]
    drafts = search(index, fq=['+state:(active OR draft)', '+dataset_type:dataset'])
    assert "draft" in names(drafts)
    assert "secret" in names(search(index, fq=['-capacity:public']))


def test_dismax_over_qf_stems_and_applies_mm(index):
    # "climates" is stemmed by the text field: it finds "climate".
    result = search(index, "climates", fq=CKAN_FQ, **CKAN_DISMAX)
    assert sorted(names(result)) == ["climate-data", "weather-stations"]
    # Two clauses: with mm "2<-1 ..." both must match.
    assert names(search(index, "climate europe", fq=CKAN_FQ, **CKAN_DISMAX)) == [
        "climate-data"]
    assert names(search(index, "climate asia", fq=CKAN_FQ, **CKAN_DISMAX)) == []


def test_score_ranks_boosted_title_matches_first(index):
    result = search(index, "climate", fq=CKAN_FQ, fl="name score",
                    sort="score desc, metadata_modified desc", **CKAN_DISMAX)
    docs = result["response"]["docs"]
    assert docs[0]["name"] == "climate-data"  # title^4 + tags^2 + text
    assert docs[0]["score"] > docs[1]["score"] > 0


def test_edismax_fielded_and_prefix(index):
    params = dict(CKAN_DISMAX, defType="edismax")
    assert names(search(index, "tags:rain", **params)) == ["rainfall"]
    assert sorted(names(search(index, "statio*", **params))) == ["weather-stations"]


def test_phrase_needs_consecutive_positions(index):
    assert names(search(index, 'notes:"station data"')) == ["weather-stations"]
    assert names(search(index, 'notes:"data station"')) == []
    assert names(search(index, 'notes:"data station"~2')) == ["weather-stations"]


def test_date_ranges_and_date_math(index):
    result = search(index, "metadata_modified:[2024-01-03T00:00:00Z TO *]",
                    sort="metadata_modified asc", fl="name,metadata_modified")
    assert names(result) == ["secret", "weather-stations", "draft"]
    # Solr keeps milliseconds and prints them only when non-zero.
    assert result["response"]["docs"][0]["metadata_modified"] == \
        "2024-01-03T12:00:00.250Z"
    assert search(index, "metadata_modified:[NOW-1DAY TO NOW]")["response"]["numFound"] == 0
    assert search(index, "metadata_modified:{* TO 2024-01-02T12:00:00.250Z}")[
        "response"]["numFound"] == 1


def test_sort_and_paging(index):
    result = search(index, sort="title_string asc", rows=2, start=1, fl="name")
    assert names(result) == ["draft", "rainfall"]
    assert result["response"]["numFound"] == 5
    with pytest.raises(SolrError, match="Sort Order"):
        search(index, sort="name sideways")
    with pytest.raises(SolrError, match="multivalued"):
        search(index, sort="tags asc")


def test_facets_like_ckan(index):
    result = search(index, fq=CKAN_FQ, facet="true",
                    facet__field=["tags", "organization"], facet__limit=50,
                    facet__mincount=1, rows=0)
    fields = result["facet_counts"]["facet_fields"]
    assert fields["organization"] == ["org-a", 2, "org-b", 1]
    assert sorted(fields["tags"][0::2]) == ["climate", "europe", "rain", "weather"]
    mapped = search(index, facet="true", facet__field="organization",
                    json__nl="map", facet__query="tags:climate", rows=0)
    assert mapped["facet_counts"]["facet_fields"]["organization"] == {
        "org-a": 4, "org-b": 1}
    assert mapped["facet_counts"]["facet_queries"] == {"tags:climate": 1}


def test_fl_returns_stored_fields_only(index):
    doc = search(index, 'id:"id-1"', fl="*,score")["response"]["docs"][0]
    assert "permission_labels" not in doc  # stored="false"
    assert doc["tags"] == ["climate", "europe"]  # multiValued -> list
    assert "score" in doc


def test_copy_fields_feed_the_catch_all(index):
    # organization is copied into text; url-ish fields into urls.
    assert "rainfall" in names(search(index, "text:org-b"))


def test_query_errors_are_400(index):
    for bad in ["title:(foo", 'title:"open', "metadata_modified:[x TO y]",
                "views_total:abc"]:
        with pytest.raises(SolrError) as info:
            search(index, bad)
        assert info.value.code == 400


def test_indexing_errors(ckan_index):
    with pytest.raises(SolrError, match="unknown field|missing required"):
        ckan_index.add([{"index_id": "x", "id": "x"}])
    with pytest.raises(SolrError, match="multiple values"):
        ckan_index.add([dataset(9, "n", "t", state=["a", "b"])])
    with pytest.raises(SolrError, match="Invalid Date"):
        ckan_index.add([dataset(9, "n", "t", metadata_created="2024-01-01")])


@pytest.mark.parametrize("optional,spec,expected", [
    (2, "2<-1 5<80%", 2), (3, "2<-1 5<80%", 2), (5, "2<-1 5<80%", 4),
    (10, "2<-1 5<80%", 8), (4, "100%", 4), (4, "-1", 3), (3, "75%", 2),
])
def test_min_should_match(optional, spec, expected):
    assert min_should_match(optional, spec) == expected
