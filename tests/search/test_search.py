"""The search hooks in real CKAN: Solr syntax and CKAN's parameters pass
through, facets are labelled from the code lists, nothing hidden leaks."""

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from search_corpus import anonymous_search, load_corpus, public_names

pytestmark = pytest.mark.usefixtures("corpus", "with_plugins")

#: the public datasets of discipline 140, all of unit ihep
PHYSICS = {d["name"] for d in load_corpus()["datasets"] if "140" in d["discipline"] and not d.get("hidden")}


def _names(found) -> set:
    return {r["name"] for r in found["results"]}


def test_traditional_and_simplified_queries_find_the_same():
    assert _names(anonymous_search(q="颱風")) == _names(anonymous_search(q="台风")) != set()


def test_solr_syntax_goes_to_solr_untouched():
    assert _names(anonymous_search(q="name:ihep-daya-bay")) == {"ihep-daya-bay"}
    assert _names(anonymous_search(q="discipline:140", rows=100)) == PHYSICS
    assert _names(anonymous_search(q="name:ihep-* AND discipline:160")) == {"ihep-lhaaso-cosmic-rays"}


def test_fq_sort_and_paging_still_apply():
    found = anonymous_search(q="物理学", fq='organization:"ihep"', sort="name asc", rows=2, start=1)
    assert found["count"] == len(PHYSICS)
    assert [r["name"] for r in found["results"]] == sorted(PHYSICS)[1:3]


def test_list_values_are_facets_not_json():
    found = anonymous_search(q="*:*", rows=0, **{"facet.field": '["discipline", "access_methods"]'})
    assert found["facets"]["discipline"]["140"] == len(PHYSICS)
    assert found["facets"]["access_methods"]["offline_sharing"] == 1
    for facet in found["facets"].values():
        assert not any(name.startswith(("[", "{")) for name in facet)


def test_facets_are_labelled_from_the_code_lists():
    found = anonymous_search(q="中微子", **{"facet.field": '["discipline", "organization", "data_grade"]'})
    facets = found["search_facets"]
    assert facets["discipline"]["title"] == "学科分类"
    assert {i["display_name"] for i in facets["discipline"]["items"]} == {"物理学"}
    assert [i["display_name"] for i in facets["organization"]["items"]] == ["中国科学院高能物理研究所"]
    assert [i["display_name"] for i in facets["data_grade"]["items"]] == ["一般数据"]


@pytest.mark.parametrize(
    "prefix, titles, label",
    [
        (
            "",
            ["开放属性", "共享属性", "数据分级", "责任单位", "学科分类", "获取方式", "收费属性", "公开方式"],
            "物理学",
        ),
        (
            "/en",
            [
                "Open attribute",
                "Sharing attribute",
                "Data grade",
                "Responsible unit",
                "Discipline",
                "Access methods",
                "Fee basis",
                "Disclosure",
            ],
            "Physics",
        ),
    ],
)
def test_the_dataset_page_shows_the_facets_in_the_ui_language(app, prefix, titles, label):
    html = app.get(f"{prefix}/dataset/", query_string={"q": "physics"}).body
    for title in titles:
        assert title in html
    assert label in html


def test_hidden_datasets_stay_out_of_results_and_facet_counts(corpus):
    hidden = {d["name"] for d in corpus["datasets"]} - public_names(corpus)
    facets = '["discipline", "open_attribute", "data_grade", "organization", "disclosure"]'
    for q in ("降水", "precipitation", "机场 气象", "*:*"):
        public = anonymous_search(q=q, rows=100, **{"facet.field": facets})
        assert not _names(public) & hidden, q
        for facet in ("discipline", "data_grade", "organization", "disclosure"):
            assert sum(public["facets"][facet].values()) >= public["count"]
        assert sum(public["facets"]["data_grade"].values()) == public["count"], q
    # the editors still find them, through the same fields
    context = {"user": factories.Sysadmin()["name"], "ignore_auth": False}
    admin = call_action("package_search", context=dict(context), q="机场 气象", include_private=True)
    assert _names(admin) == {"airbase-weather-classified"}
    private = call_action("package_search", context=dict(context), q="订正", include_private=True)
    assert _names(private) == {"internal-precip-correction"}
