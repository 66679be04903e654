"""CKAN's DCAT catalogue at scale: stable pages, modified_since, and
conditional GET (ETag, Last-Modified, 304, the Redis page cache)."""

import datetime as dt

import pytest
from acting import signed_in
from ckan import model
from ckan.lib import app_globals, search
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.processors import RDFSerializer

from ckanext.sdm import catalog, conditional_get
from ckanext.sdm.profiles import stream

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

OPEN = {"open_attribute": "unconditional", "disclosure": "public"}


@pytest.fixture
def open_datasets(create_dataset):
    def make(count):
        return [
            create_dataset(
                name=f"set-{n}",
                title_translated={"zh-Hans": f"数据集{n}", "en": f"Set {n}"},
                resources=[{"url": f"https://files.example.cn/{n}.csv"}],
                **OPEN,
            )
            for n in range(count)
        ]

    return make


@pytest.fixture
def three(open_datasets):
    return open_datasets(3)


@pytest.fixture
def as_sysadmin(sysadmin):
    def call(action, **data):
        return call_action(action, context={"user": sysadmin["name"]}, **data)

    return call


def _set_modified(dataset_id, when):
    model.Package.get(dataset_id).metadata_modified = when
    model.repo.commit()
    search.rebuild(dataset_id)


def _ids_in(text, datasets):
    return [d["id"] for d in datasets if d["id"] in text]


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "2")
def test_pages_break_ties_by_id_and_honour_modified_since(app, open_datasets):
    # six datasets modified at the same moment: only the id tie-break puts
    # them on the pages in id order (by chance: 1 in 720)
    six = open_datasets(6)
    same = dt.datetime(2025, 3, 1, 12, 0, 0)
    for dataset in six:
        _set_modified(dataset["id"], same)
    by_id = sorted(d["id"] for d in six)
    pages = [app.get(f"/catalog.ttl?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    for number, page in enumerate(pages):
        assert sorted(_ids_in(page, six)) == by_id[2 * number : 2 * number + 2]
    assert "hydra:next" in pages[0]

    _set_modified(by_id[0], dt.datetime(2020, 1, 1))
    recent = "".join(
        app.get(f"/catalog.ttl?modified_since=2024-01-01&page={n}").get_data(as_text=True) for n in (1, 2, 3)
    )
    assert sorted(_ids_in(recent, six)) == by_id[1:]


def test_unchanged_catalogue_answers_304_and_a_change_a_new_etag(app, three, as_sysadmin):
    url = "/catalog.ttl?profiles=sdm_dcat_ap3"
    first = app.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Last-Modified"]
    again = app.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert app.get("/catalog.ttl?profiles=sdm_national").headers["ETag"] != etag

    as_sysadmin("package_patch", id=three[0]["id"], version="V2")
    changed = app.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # a deletion leaves no newer date behind; the ETag still sees it
    as_sysadmin("package_delete", id=three[1]["id"])
    after_delete = app.get(url, headers={"If-None-Match": changed.headers["ETag"]})
    assert after_delete.status_code == 200 and three[1]["id"] not in after_delete.get_data(as_text=True)


def test_a_known_page_comes_from_the_cache_without_serialising(app, three, monkeypatch):
    url = "/catalog.jsonld?profiles=sdm_national"
    first = app.get(url)

    def refuse(*args, **kwargs):
        raise AssertionError("serialised again")

    monkeypatch.setattr(RDFSerializer, "serialize_catalog", refuse)
    monkeypatch.setattr(stream, "catalog_page", refuse)
    cached = app.get(url)
    assert cached.status_code == 200
    assert cached.get_data() == first.get_data() and cached.headers["ETag"] == first.headers["ETag"]
    assert cached.content_type == first.content_type


def test_dataset_page_answers_if_modified_since_and_if_none_match(app, three, sysadmin, as_sysadmin):
    url = f"/dataset/{three[0]['id']}.rdf"
    first = app.get(url)
    assert app.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert app.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    # members and sysadmins may see files the public may not: their own ETag
    admin = signed_in(sysadmin)
    assert app.get(url, headers=admin).headers["ETag"] != first.headers["ETag"]

    as_sysadmin("package_patch", id=three[0]["id"], version="V2")
    changed = app.get(
        url, headers={"If-None-Match": first.headers["ETag"], "If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_hidden_dataset_gets_no_validators(app, three):
    package = model.Package.get(three[2]["id"])
    package.extras["secrecy"] = "classified"
    model.repo.commit()
    search.rebuild(three[2]["id"])
    refused = app.get(f"/dataset/{three[2]['id']}.ttl", headers={"If-None-Match": "*"})
    assert refused.status_code == 403 and "ETag" not in refused.headers


def test_sdm_pages_stream_and_stock_profiles_still_serialise(app, three, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an SDM page went through ckanext-dcat's rdflib serializer")

    monkeypatch.setattr(RDFSerializer, "serialize_catalog", refuse)
    monkeypatch.setattr(RDFSerializer, "serialize_dataset", refuse)
    for url in (
        "/catalog.ttl",
        "/catalog.rdf?profiles=sdm_dcat_ap3",
        "/catalog.jsonld?profiles=sdm_schemaorg",
        f"/dataset/{three[0]['id']}.ttl?profiles=sdm_dcat_ap3",
    ):
        page = app.get(url)
        assert page.status_code == 200 and three[0]["id"] in page.get_data(as_text=True), url
    monkeypatch.undo()
    stock = app.get("/catalog.ttl?profiles=euro_dcat_ap_3")
    assert stock.status_code == 200 and "dcat:Dataset" in stock.get_data(as_text=True)


def test_the_publics_hit_and_304_skip_search_and_ckans_request_work(app, three, monkeypatch):
    searches, identified = [], []
    real = dcat_logic._search_ckan_datasets

    def counting(context, data_dict):
        searches.append(context.get(catalog.FIELDS_KEY) or "page")
        return real(context, data_dict)

    real_check = app_globals.app_globals._check_uptodate

    def checking():
        identified.append(True)  # ckan_before_request's first step
        return real_check()

    monkeypatch.setattr(dcat_logic, "_search_ckan_datasets", counting)
    monkeypatch.setattr(app_globals.app_globals, "_check_uptodate", checking)
    url = "/catalog.ttl?profiles=sdm_national"
    first = app.get(url)
    assert searches == ["page"] and identified == [True]
    hit = app.get(url)
    assert hit.get_data() == first.get_data() and hit.headers["ETag"] == first.headers["ETag"]
    # CKAN's after_request hooks still ran: the same Cache-Control as the miss
    assert hit.headers.get("Cache-Control") == first.headers.get("Cache-Control")
    assert app.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert searches == ["page"] and identified == [True]
    # a request with a credential goes the whole way (and the validators'
    # search asks for ids and dates only)
    token = factories.APIToken(user=factories.User()["name"])["token"]
    signed_in = app.get(url, headers={"Authorization": token})
    assert signed_in.status_code == 200 and len(identified) == 2
    assert searches == ["page", "id,metadata_modified", "page"]


def test_the_hooks_are_on_the_feed_routes_only(app):
    flask_app = app.flask_app
    assert conditional_get.answer_early in flask_app.url_value_preprocessors["dcat"]
    assert conditional_get.answer_unchanged in flask_app.before_request_funcs["dcat"]
    assert conditional_get.remember_page in flask_app.after_request_funcs["dcat"]
    ours = {conditional_get.answer_early, conditional_get.answer_unchanged, conditional_get.remember_page}
    for hooks in (flask_app.url_value_preprocessors, flask_app.before_request_funcs, flask_app.after_request_funcs):
        assert not ours & set(hooks.get(None, []))
    assert "ETag" not in app.get("/api/3/action/status_show").headers
