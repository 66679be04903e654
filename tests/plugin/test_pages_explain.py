"""Pages that explain: withheld files say why and until when, search results
carry badges, keywords and disciplines link to searches, files open ones
have download buttons, feeds, API and citation are linked, the JSON-LD is
what the public may see, facets work and share targets are configurable."""

import json
import re
from html import unescape

import pytest

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

FILE = {"url": "https://data.example.cn/files/obs.csv", "name": "obs.csv", "format": "CSV"}


def _open(**extra):
    return {
        "name": "open-data",
        "title_translated": {"zh-Hans": "开放数据", "en": "Open data"},
        "keywords_translated": {"zh-Hans": ["气象"], "en": ["meteorology"]},
        "discipline": ["170"],
        "resources": [FILE],
        **extra,
    }


def _jsonld(body):
    return json.loads(unescape(re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1)))


def test_deferred_files_say_when_they_are_released(app, create_dataset):
    create_dataset(**_open(name="deferred", disclosure="deferred", embargo_until="2027-06-30", deferral_reason="paper"))
    body = app.get("/dataset/deferred").body
    assert "该数据集没有数据" not in body
    assert "数据文件将于 2027-06-30 公开" in body
    en = app.get("/en/dataset/deferred").body
    assert "This dataset has no data" not in en and "the files will be released on 2027-06-30" in en
    assert "obs.csv" not in en


def test_conditional_files_are_available_after_approval_and_say_how(app, full_dataset, create_dataset):
    full_dataset.pop("disclosure"), full_dataset.pop("embargo_until", None), full_dataset.pop("deferral_reason", None)
    create_dataset(**full_dataset)
    en = app.get(f"/en/dataset/{full_dataset['name']}").body
    assert "the files are available after approval of an application" in en
    assert f'href="/en/dataset/{full_dataset["name"]}/access-request"' in en


def test_withheld_file_page_says_how_to_get_it(app, full_dataset, create_dataset):
    full_dataset.pop("disclosure"), full_dataset.pop("embargo_until", None), full_dataset.pop("deferral_reason", None)
    dataset = create_dataset(**full_dataset)
    resource_id = dataset["resources"][0]["id"]
    response = app.get(f"/en/dataset/{dataset['name']}/resource/{resource_id}", status=403)
    assert "This file is withheld" in response.body
    assert "available after approval" in response.body and "/access-request" in response.body
    assert FILE["url"] not in response.body and full_dataset["resources"][0]["url"] not in response.body
    assert app.get(f"/dataset/{dataset['name']}/resource/no-such-file", status=404)


def test_search_results_carry_badges_and_withheld_notes(app, create_dataset):
    create_dataset(**_open())
    create_dataset(**_open(name="deferred", disclosure="deferred", embargo_until="2027-06-30", deferral_reason="paper"))
    body = unescape(app.get("/en/dataset/").body)
    assert "Open attribute: Open without conditions" in body
    assert "Disclosure: Deferred" in body or "sdm-disclosure-deferred" in body
    assert "the files will be released on 2027-06-30" in body


def test_open_dataset_links_keywords_disciplines_downloads_feeds_and_api(app, create_dataset):
    create_dataset(**_open())
    body = app.get("/en/dataset/open-data").body
    assert 'href="/en/dataset/?tags=meteorology"' in body
    assert re.search(r'href="/en/dataset/\?discipline=170"', body)
    assert re.search(r'class="btn btn-primary btn-sm sdm-download" href="https://data.example.cn/files/obs.csv"', body)
    for link in (
        "/dataset/open-data.ttl",
        "/dataset/open-data.rdf",
        "/dataset/open-data.jsonld",
        "/api/3/action/package_show?id=open-data",
        "/dataset/open-data/citation",
    ):
        assert link in body, link
    # the keyword link finds the dataset: keywords are indexed as tags
    found = app.get("/en/dataset/?tags=meteorology").body
    assert "open-data" in found and "1 dataset found" in found
    facets = app.get("/dataset/").body
    assert re.search(r'href="/dataset/\?tags=%E6%B0%94%E8%B1%A1"', facets)


def test_jsonld_is_embedded_and_disclosure_safe(app, full_dataset, create_dataset, sysadmin):
    create_dataset(**_open())
    graph = _jsonld(app.get("/dataset/open-data").body)
    text = json.dumps(graph, ensure_ascii=False)
    assert "schema:Dataset" in text and "开放数据" in text and FILE["url"] in text
    create_dataset(**full_dataset)
    from ckan.tests.factories import APIToken

    token = APIToken(user=sysadmin["name"])["token"]
    as_editor = app.get(f"/dataset/{full_dataset['name']}", headers={"Authorization": token}).body
    assert full_dataset["resources"][0]["url"] in as_editor  # the editor sees the file…
    withheld = json.dumps(_jsonld(as_editor), ensure_ascii=False)
    assert "中国地面气候资料" in withheld
    assert full_dataset["resources"][0]["url"] not in withheld  # …the JSON-LD shows what the public may see


def test_fee_table_has_headers(app, full_dataset, create_dataset):
    create_dataset(**full_dataset)
    body = app.get(f"/en/dataset/{full_dataset['name']}").body
    table = re.search(r'<table class="table table-condensed sdm-fee-items">(.*?)</table>', body, re.S).group(1)
    assert re.search(r"<thead>.*Fee item.*Price.*Applies when.*</thead>", table, re.S)


def test_citation_urls_carry_no_ui_locale(app, full_dataset, create_dataset):
    create_dataset(**full_dataset)
    body = app.get(f"/en/dataset/{full_dataset['name']}/citation").body
    assert f"/dataset/{full_dataset['name']}" in body
    assert f"/en/dataset/{full_dataset['name']}" not in re.search(
        r'<section class="sdm-citation">(.*?)</section>', body, re.S
    ).group(1)
    bib = app.get(f"/en/dataset/{full_dataset['name']}/citation.bib").body
    assert "/en/dataset" not in bib


def test_group_and_licence_facets(app, create_dataset, sysadmin):
    from ckan.tests import factories

    group = factories.Group(name="climate", title="Climate")
    create_dataset(**_open(groups=[{"name": group["name"]}], license_id="cc-by"))
    create_dataset(**_open(name="share-alike", license_id="cc-by-sa"))
    body = app.get("/en/dataset/").body
    assert re.search(r'href="/en/dataset/\?groups=climate"', body)
    labels = re.findall(r'<span class="item-label">([^<]*)</span>', body)
    assert "Creative Commons Attribution" in labels and "Creative Commons Attribution Share-Alike" in labels
    assert len(labels) == len(set(labels))


def test_no_twitter_or_facebook_share_links(app, create_dataset):
    create_dataset(**_open())
    body = app.get("/dataset/open-data").body
    assert "twitter.com" not in body and "facebook.com" not in body
    assert "service.weibo.com/share/share.php?url=http" in body
    assert "微信扫码分享" in body and "<svg" in body


@pytest.mark.ckan_config("ckanext.sdm.share_targets", "email")
def test_share_targets_are_configured(app, create_dataset):
    create_dataset(**_open())
    body = app.get("/en/dataset/open-data").body
    assert "mailto:?subject=Open%20data" in body and "weibo.com" not in body
