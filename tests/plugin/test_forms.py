"""Every form of the site saves when it is filled correctly, in Chinese and in
English, as a logged-in browser posts it (CSRF token, one input per
language); cross-field errors come back bilingual with the values kept."""
from html import unescape

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from form_session import FormSession, form_errors

USCC = "91110000600037341L"
PASSWORD = "form-tester-pass"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def admin(app):
    user = factories.Sysadmin(password=PASSWORD)
    return user


def session(app, user, locale=""):
    return FormSession(app, locale).login(user["name"], PASSWORD)


def unit_form(name, zh, en, uscc=USCC):
    return {"name": name, "title_translated-zh-Hans": zh, "title_translated-en": en, "uscc": uscc,
            "save": "save"}


def make_unit(app, admin, locale="", name="met-centre"):
    response = session(app, admin, locale).submit(
        "/organization/new", unit_form(name, "国家气象信息中心", "National Meteorological Information Centre"))
    assert form_errors(response) is None, form_errors(response)
    return call_action("organization_show", id=name)


def dataset_form(name, owner_org, **extra):
    fields = {
        "name": name, "title_translated-zh-Hans": "地面气候日值", "title_translated-en": "Daily surface climate",
        "notes_translated-zh-Hans": "全国站点日值。", "notes_translated-en": "Daily values of all stations.",
        "keywords_translated-zh-Hans": "气象, 气候", "keywords_translated-en": "meteorology, climate",
        "owner_org": owner_org, "license_id": "cc-by", "contact_email": "data@example.cn",
        "secrecy": "unclassified", "data_grade": "general", "sharing_attribute": "unconditional",
        "open_attribute": "unconditional", "disclosure": "public", "fee_basis": "free",
        "save": "continue",
    }
    fields.update(extra)
    return fields


def create_through_forms(visitor, fields):
    """Stage 1 (the dataset) then stage 2 (its first file), as CKAN's two-page form."""
    response = visitor.submit("/dataset/new", fields)
    assert form_errors(response) is None, form_errors(response)
    name = fields["name"]
    response = visitor.submit(f"/dataset/{name}/resource/new", {
        "url": "https://data.example.cn/files/daily.csv", "name": "daily.csv", "description": "日值表",
        "format": "CSV", "save": "go-metadata",
    })
    assert form_errors(response) is None, form_errors(response)
    return call_action("package_show", id=name)


PATHS = {
    "open": {},
    "conditional": {
        "open_attribute": "conditional", "open_condition": "签署数据使用协议。",
        "open_audience": ["researchers", "government"], "review_procedure": "十个工作日内审核。",
        "sharing_attribute": "conditional", "sharing_condition": "仅向政务部门共享。",
    },
    "deferred": {"disclosure": "deferred", "deferral_reason": "paper", "embargo_until": "2027-06-30"},
    "not_open": {"open_attribute": "not_open", "closed_reason": "涉及个人信息。"},
    "fees": {"fee_basis": "nonprofit", "fee_schedule_url": "https://data.example.cn/fees",
             "fee_items": '[{"name_translated": {"zh-Hans": "定制数据加工", "en": "Custom processing"},'
                          ' "amount": "200", "currency": "CNY", "unit": "每站每年"}]'},
}


@pytest.mark.parametrize("locale", ["", "en"])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_dataset_form_saves_on_every_show_if_path(app, admin, locale, path):
    unit = make_unit(app, admin)
    visitor = session(app, admin, locale)
    dataset = create_through_forms(visitor, dataset_form(f"ds-{path}", unit["id"], **PATHS[path]))
    assert dataset["state"] == "active"
    assert dataset["title_translated"] == {"zh-Hans": "地面气候日值", "en": "Daily surface climate"}
    assert dataset["title"] == "地面气候日值"  # core title follows the site's default language
    assert dataset["notes"] == "全国站点日值。"
    assert dataset["keywords_translated"]["en"] == ["meteorology", "climate"]
    assert dataset["resources"][0]["url"] == "https://data.example.cn/files/daily.csv"
    for key, value in PATHS[path].items():
        if key != "fee_items":
            assert dataset[key] == value, key
    if path == "fees":
        assert dataset["fee_items"] == [{"name_translated": {"zh-Hans": "定制数据加工", "en": "Custom processing"},
                                         "amount": "200", "currency": "CNY", "unit": "每站每年"}]


@pytest.mark.parametrize("locale", ["", "en"])
def test_dataset_edit_form_saves(app, admin, locale):
    unit = make_unit(app, admin)
    visitor = session(app, admin, locale)
    create_through_forms(visitor, dataset_form("to-edit", unit["id"]))
    # only what the editor changes: the page carries everything else
    response = visitor.submit("/dataset/edit/to-edit", {"title_translated-en": "Daily surface climate, revised",
                                                        "save": ""})
    assert form_errors(response) is None, form_errors(response)
    dataset = call_action("package_show", id="to-edit")
    assert dataset["title_translated"]["en"] == "Daily surface climate, revised"
    assert dataset["title"] == "地面气候日值"


@pytest.mark.parametrize("locale", ["", "en"])
def test_organisation_form_saves_with_uscc(app, admin, locale):
    unit = make_unit(app, admin, locale, name=f"unit-{locale or 'zh'}")
    assert unit["title_translated"] == {"zh-Hans": "国家气象信息中心", "en": "National Meteorological Information Centre"}
    assert unit["title"] == "国家气象信息中心"
    assert unit["uscc"] == USCC
    response = session(app, admin, locale).submit(
        f"/organization/edit/{unit['name']}", {"title_translated-en": "NMIC", "save": "save"})
    assert form_errors(response) is None, form_errors(response)
    assert call_action("organization_show", id=unit["name"])["title_translated"]["en"] == "NMIC"


def test_resource_edit_form_saves(app, admin):
    unit = make_unit(app, admin)
    visitor = session(app, admin)
    dataset = create_through_forms(visitor, dataset_form("with-file", unit["id"]))
    resource = dataset["resources"][0]
    response = visitor.submit(f"/dataset/with-file/resource/{resource['id']}/edit", {
        "url": "https://data.example.cn/files/daily-v2.csv", "name": "daily-v2.csv", "save": "",
    })
    assert form_errors(response) is None, form_errors(response)
    assert call_action("resource_show", id=resource["id"])["url"].endswith("daily-v2.csv")


CROSS_FIELD = [
    ({"open_attribute": "conditional"}, "开放条件", "Open condition"),
    ({"disclosure": "deferred", "deferral_reason": "paper"}, "延期截止日期", "Embargo end date"),
    ({"fee_basis": "commercial"}, "收费", "fee"),
    ({"open_attribute": "not_open"}, "不予开放理由", "Reason for not opening"),
]


@pytest.mark.parametrize("extra,zh,en", CROSS_FIELD)
@pytest.mark.parametrize("locale", ["", "en"])
def test_cross_field_errors_are_reachable_and_bilingual(app, admin, locale, extra, zh, en):
    unit = make_unit(app, admin)
    visitor = session(app, admin, locale)
    response = visitor.submit("/dataset/new", dataset_form("refused", unit["id"], **extra))
    errors = form_errors(response)
    assert errors is not None, "the form saved although a cross-field rule is broken"
    assert zh in errors and en in errors, errors
    assert " / " in errors  # both halves, whatever the UI language
    body = unescape(response.body)
    assert 'value="地面气候日值"' in body and 'value="Daily surface climate"' in body
