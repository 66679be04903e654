"""What anonymous users, members and sysadmins see, through the API and the
rendered pages, as decided by sdm_schema.disclosure."""

import datetime as dt

import pytest
from acting import signed_in
from ckan.logic import NotAuthorized
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.sdm.allow_classified", "true"),
]

FUTURE = (dt.date.today() + dt.timedelta(days=90)).isoformat()
URL = "https://files.example.cn/{}.csv"

# name -> (fields, anonymous may see the dataset, anonymous may see its files)
CASES = {
    "open-data": ({}, True, True),
    "conditional-data": (
        {
            "open_attribute": "conditional",
            "open_condition": "签署协议",
            "open_audience": ["researchers"],
            "review_procedure": "审核",
        },
        True,
        False,
    ),
    "closed-data": ({"open_attribute": "not_open", "closed_reason": "涉及个人隐私"}, True, False),
    "deferred-data": ({"disclosure": "deferred", "deferral_reason": "patent", "embargo_until": FUTURE}, True, False),
    "classified-data": (
        {
            "secrecy": "classified",
            "secrecy_level": "confidential",
            "secrecy_period_years": 5,
            "sharing_attribute": "not_shared",
            "sharing_condition": "涉密",
            "open_attribute": "not_open",
            "closed_reason": "涉密",
        },
        False,
        False,
    ),
}


@pytest.fixture
def catalogue(create_dataset):
    for name, (fields, _, _) in CASES.items():
        create_dataset(
            name=name,
            title_translated={"zh-Hans": f"数据集 {name}", "en": f"Dataset {name}"},
            resources=[{"url": URL.format(name), "name": f"{name}.csv"}],
            **fields,
        )


@pytest.fixture
def member(responsible_unit):
    user = factories.User()
    call_action("organization_member_create", id=responsible_unit["id"], username=user["name"], role="member")
    return user


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("name", CASES)
def test_anonymous_api(name):
    _, visible, files = CASES[name]
    context = {"user": None, "ignore_auth": False}
    if not visible:
        with pytest.raises(NotAuthorized):
            call_action("package_show", context=context, id=name)
        return
    shown = call_action("package_show", context=context, id=name)
    assert bool(shown["resources"]) is files
    assert (URL.format(name) in str(shown)) is files
    resource_id = call_action("package_show", id=name)["resources"][0]["id"]
    if files:
        assert call_action("resource_show", context=context, id=resource_id)["url"] == URL.format(name)
    else:
        with pytest.raises(NotAuthorized):
            call_action("resource_show", context=context, id=resource_id)


@pytest.mark.usefixtures("catalogue")
def test_anonymous_search_and_facets_leave_out_what_is_hidden():
    context = {"user": None, "ignore_auth": False}
    found = call_action(
        "package_search", context=context, q="*:*", rows=100, **{"facet.field": '["organization", "res_format"]'}
    )
    names = {r["name"] for r in found["results"]}
    assert names == {n for n, (_, visible, _) in CASES.items() if visible}
    assert found["count"] == len(names)
    assert sum(found["facets"]["organization"].values()) == len(names)
    text = str(found["results"])
    for name, (_, _, files) in CASES.items():
        assert (URL.format(name) in text) is files, name
    # API users asking for stored fields directly get no withheld URLs either
    raw = call_action("package_search", context=context, q="*:*", rows=100, fl="id,name,res_url,validated_data_dict")
    for result in raw["results"]:
        assert (URL.format(result["name"]) in str(result)) is CASES[result["name"]][2]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("who", ["member", "sysadmin"])
def test_members_and_sysadmins_see_everything(who, member, sysadmin):
    user = {"member": member, "sysadmin": sysadmin}[who]
    context = {"user": user["name"], "ignore_auth": False}
    for name in CASES:
        shown = call_action("package_show", context=context, id=name)
        assert shown["resources"][0]["url"] == URL.format(name)
    found = call_action("package_search", context=context, q="*:*", rows=100, include_private=True)
    assert {r["name"] for r in found["results"]} == set(CASES)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("name", CASES)
def test_anonymous_pages(app, name):
    _, visible, files = CASES[name]
    page = app.get(f"/dataset/{name}")
    assert page.status_code == (200 if visible else 404)  # CKAN does not admit it exists
    assert (URL.format(name) in page.body) is files
    resource_id = call_action("package_show", id=name)["resources"][0]["id"]
    # CKAN answers a refused resource page with 403 or 404; either way no URL
    resource_page = app.get(f"/dataset/{name}/resource/{resource_id}")
    assert resource_page.status_code == 200 if files else resource_page.status_code in (403, 404)
    assert (URL.format(name) in resource_page.body) is files
    download = app.get(f"/dataset/{name}/resource/{resource_id}/download", follow_redirects=False)
    assert download.status_code == 302 if files else download.status_code in (403, 404)
    assert (download.headers.get("Location") == URL.format(name)) is files
    listing = app.get("/dataset/").body
    assert (f"数据集 {name}" in listing) is visible


@pytest.mark.usefixtures("catalogue")
def test_activity_detail_is_not_public(app):
    assert "ckan.auth.public_activity_stream_detail" not in str(call_action("config_option_list"))
    # activity of a hidden dataset cannot be listed at all
    with pytest.raises(NotAuthorized):
        call_action("package_activity_list", context={"user": None, "ignore_auth": False}, id="classified-data")
    # activity of a visible one comes without the dataset dict (and so without files)
    activities = call_action("package_activity_list", context={"user": None, "ignore_auth": False}, id="deferred-data")
    assert URL.format("deferred-data") not in str(activities)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("who", ["member", "sysadmin"])
def test_members_and_sysadmins_see_every_page_and_file(app, who, member, sysadmin):
    headers = signed_in({"member": member, "sysadmin": sysadmin}[who])
    for name in CASES:
        page = app.get(f"/dataset/{name}", headers=headers)
        assert page.status_code == 200 and URL.format(name) in page.body, name
        resource_id = call_action("package_show", id=name)["resources"][0]["id"]
        download = app.get(f"/dataset/{name}/resource/{resource_id}/download", headers=headers, follow_redirects=False)
        assert download.status_code == 302 and download.headers["Location"] == URL.format(name), name
