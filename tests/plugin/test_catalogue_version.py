"""The public's catalogue ETag comes from the catalogue version
(catalogue_version.py) without a search: every kind of change it must see
moves it, a read does not, a flushed Redis starts it somewhere new; and no
page is ever served across audiences (the public's early answer, the
signed-in reader's own validators)."""

import datetime as dt

import pytest
from acting import APPLICATION, as_user, signed_in
from ckan import model
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action
from test_pages_access import CONDITIONAL

from ckanext.sdm import conditional_get

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

URL = "/catalog.ttl?profiles=sdm_national"
FILE = "https://files.example.cn/withheld.csv"
OPEN = {"open_attribute": "unconditional", "disclosure": "public"}


@pytest.fixture
def site(create_dataset, sysadmin, responsible_unit):
    """An open dataset and a conditional one whose file the public may not see."""
    open_set = create_dataset(name="open-set", title_translated={"zh-Hans": "开放数据", "en": "Open"}, **OPEN)
    withheld = create_dataset(
        name="withheld-set",
        title_translated={"zh-Hans": "有条件数据", "en": "Conditional"},
        resources=[{"url": FILE, "name": "withheld.csv"}],
        **CONDITIONAL,
    )
    return {"open": open_set, "withheld": withheld, "unit": responsible_unit, "admin": sysadmin}


def _public(app, **headers):
    page = app.get(URL, headers=headers)
    assert page.status_code == 200, page.status_code
    return page


def test_every_kind_of_change_moves_the_publics_etag_and_a_read_does_not(app, site, monkeypatch):
    admin = as_user(site["admin"])
    applicant, editor = factories.User(), factories.User()
    seen = [_public(app).headers["ETag"]]

    def moved(kind):
        page = app.get(URL, headers={"If-None-Match": seen[-1]})
        assert page.status_code == 200, f"{kind}: the old ETag is still current"
        assert page.headers["ETag"] not in seen, f"{kind}: an ETag handed out before"
        seen.append(page.headers["ETag"])
        return page.get_data(as_text=True)

    # reads write nothing a page shows: a signed-in request (CKAN writes the
    # user's last_active), a dataset page, a search
    token = factories.APIToken(user=applicant["name"])["token"]
    app.get("/api/3/action/package_search", headers={"Authorization": token})
    app.get(f"/dataset/{site['open']['id']}.ttl")
    assert app.get(URL, headers={"If-None-Match": seen[-1]}).status_code == 304

    created = call_action(
        "package_create",
        context=admin,
        name="third",
        owner_org=site["unit"]["id"],
        title_translated={"zh-Hans": "第三", "en": "Third"},
        **OPEN,
    )
    assert created["id"] in moved("a new dataset")
    call_action("package_patch", context=admin, id=created["id"], version="V2")
    moved("a save")
    call_action("package_delete", context=admin, id=created["id"])
    assert created["id"] not in moved("a deletion")
    call_action(
        "organization_member_create", context=admin, id=site["unit"]["id"], username=editor["name"], role="editor"
    )
    moved("a new member of the unit")
    call_action("organization_member_delete", context=admin, id=site["unit"]["id"], username=editor["name"])
    moved("a membership ended")
    request = call_action(
        "sdm_access_request_create", context=as_user(applicant), id=site["withheld"]["id"], **APPLICATION
    )
    moved("an application")
    call_action("sdm_access_request_decide", context=admin, id=request["id"], decision="approve", reason="符合条件")
    moved("a grant")
    names = {"zh-Hans": "国家气象科学数据中心", "en": "National Meteorological Science Data Center"}
    call_action("organization_patch", context=admin, id=site["unit"]["id"], title_translated=names)
    assert "National Meteorological Science Data Center" in moved("the unit's name")
    package = model.Package.get(site["open"]["id"])
    package.metadata_modified = dt.datetime(2020, 1, 1)
    model.repo.commit()
    moved("a model edit past the actions")

    connect_to_redis().flushdb()
    moved("a flushed Redis")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(conditional_get, "_today", lambda: tomorrow)
    moved("the day turning (an embargo may end)")


def _editor_token(unit):
    editor = factories.User()
    call_action("organization_member_create", id=unit["id"], username=editor["name"], role="editor")
    return signed_in(editor)


def test_no_page_is_served_across_audiences(app, site):
    # the SDM profiles write for their audience whoever asks; ckanext-dcat's
    # stock profile writes what the search hands it, and a member of the
    # unit is handed the file the public may not see
    url = "/catalog.ttl?profiles=euro_dcat_ap_3"
    member = _editor_token(site["unit"])
    members_page = app.get(url, headers=member)
    assert FILE in members_page.get_data(as_text=True)
    public = app.get(url)
    assert public.status_code == 200 and FILE not in public.get_data(as_text=True)
    assert public.headers["ETag"] != members_page.headers["ETag"]
    # the member's ETag and cached page are the member's alone
    assert app.get(url, headers={"If-None-Match": members_page.headers["ETag"]}).status_code == 200
    for headers in ({}, {"Cookie": "ckan=not-a-session"}, {"X-CKAN-API-Key": "not-a-key"}):
        again = app.get(url, headers=headers)
        assert again.status_code == 200 and FILE not in again.get_data(as_text=True), headers
    # and the public's cached page is never the member's
    assert FILE in app.get(url, headers=member).get_data(as_text=True)
    assert app.get(url, headers={**member, "If-None-Match": public.headers["ETag"]}).status_code == 200
