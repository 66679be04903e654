"""Every form of the site saves when it is filled correctly, in Chinese and in
English, as a logged-in browser posts it (CSRF token, one input per
language); cross-field errors come back bilingual with the values kept."""

import re
from html import unescape

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from form_session import FormSession, form_errors, page_form

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
    return {"name": name, "title_translated-zh-Hans": zh, "title_translated-en": en, "uscc": uscc, "save": "save"}


def make_unit(app, admin, locale="", name="met-centre"):
    response = session(app, admin, locale).submit(
        "/organization/new", unit_form(name, "国家气象信息中心", "National Meteorological Information Centre")
    )
    assert form_errors(response) is None, form_errors(response)
    return call_action("organization_show", id=name)


def dataset_form(name, owner_org, **extra):
    fields = {
        "name": name,
        "title_translated-zh-Hans": "地面气候日值",
        "title_translated-en": "Daily surface climate",
        "notes_translated-zh-Hans": "全国站点日值。",
        "notes_translated-en": "Daily values of all stations.",
        "keywords_translated-zh-Hans": "气象, 气候",
        "keywords_translated-en": "meteorology, climate",
        "owner_org": owner_org,
        "license_id": "cc-by",
        "contact_email": "data@example.cn",
        "secrecy": "unclassified",
        "data_grade": "general",
        "sharing_attribute": "unconditional",
        "open_attribute": "unconditional",
        "disclosure": "public",
        "fee_basis": "free",
        "save": "continue",
    }
    fields.update(extra)
    return fields


def create_through_forms(visitor, fields):
    """Stage 1 (the dataset) then stage 2 (its first file), as CKAN's two-page form."""
    response = visitor.submit("/dataset/new", fields)
    assert form_errors(response) is None, form_errors(response)
    # the name given, or the one made from the title: stage 2 is /dataset/<name>/resource/new
    name = re.search(r"/dataset/([^/]+)/resource/new", response.headers["Location"]).group(1)
    response = visitor.submit(
        f"/dataset/{name}/resource/new",
        {
            "url": "https://data.example.cn/files/daily.csv",
            "name": "daily.csv",
            "description": "日值表",
            "format": "CSV",
            "save": "go-metadata",
        },
    )
    assert form_errors(response) is None, form_errors(response)
    return call_action("package_show", id=name)


PATHS = {
    "open": {},
    "conditional": {
        "open_attribute": "conditional",
        "open_condition": "签署数据使用协议。",
        "open_audience": ["researchers", "government"],
        "review_procedure": "十个工作日内审核。",
        "sharing_attribute": "conditional",
        "sharing_condition": "仅向政务部门共享。",
    },
    "deferred": {"disclosure": "deferred", "deferral_reason": "paper", "embargo_until": "2027-06-30"},
    "not_open": {"open_attribute": "not_open", "closed_reason": "涉及个人信息。"},
    "fees": {
        "fee_basis": "nonprofit",
        "fee_schedule_url": "https://data.example.cn/fees",
        # the fee editor's first row (form_snippets/sdm_fee_items.html)
        "fee_items__0__name_translated-zh-Hans": "定制数据加工",
        "fee_items__0__name_translated-en": "Custom processing",
        "fee_items__0__amount": "200",
        "fee_items__0__currency": "CNY",
        "fee_items__0__unit": "每站每年",
    },
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
        if not key.startswith("fee_items"):
            assert dataset[key] == value, key
    if path == "fees":
        assert dataset["fee_items"] == [
            {
                "name_translated": {"zh-Hans": "定制数据加工", "en": "Custom processing"},
                "amount": "200",
                "currency": "CNY",
                "unit": "每站每年",
            }
        ]


@pytest.mark.parametrize("locale", ["", "en"])
def test_dataset_edit_form_saves(app, admin, locale):
    unit = make_unit(app, admin)
    visitor = session(app, admin, locale)
    create_through_forms(visitor, dataset_form("to-edit", unit["id"]))
    # only what the editor changes: the page carries everything else
    response = visitor.submit(
        "/dataset/edit/to-edit", {"title_translated-en": "Daily surface climate, revised", "save": ""}
    )
    assert form_errors(response) is None, form_errors(response)
    dataset = call_action("package_show", id="to-edit")
    assert dataset["title_translated"]["en"] == "Daily surface climate, revised"
    assert dataset["title"] == "地面气候日值"


@pytest.mark.parametrize("locale", ["", "en"])
def test_organisation_form_saves_with_uscc(app, admin, locale):
    unit = make_unit(app, admin, locale, name=f"unit-{locale or 'zh'}")
    assert unit["title_translated"] == {
        "zh-Hans": "国家气象信息中心",
        "en": "National Meteorological Information Centre",
    }
    assert unit["title"] == "国家气象信息中心"
    assert unit["uscc"] == USCC
    response = session(app, admin, locale).submit(
        f"/organization/edit/{unit['name']}", {"title_translated-en": "NMIC", "save": "save"}
    )
    assert form_errors(response) is None, form_errors(response)
    assert call_action("organization_show", id=unit["name"])["title_translated"]["en"] == "NMIC"


def test_resource_edit_form_saves(app, admin):
    unit = make_unit(app, admin)
    visitor = session(app, admin)
    dataset = create_through_forms(visitor, dataset_form("with-file", unit["id"]))
    resource = dataset["resources"][0]
    response = visitor.submit(
        f"/dataset/with-file/resource/{resource['id']}/edit",
        {
            "url": "https://data.example.cn/files/daily-v2.csv",
            "name": "daily-v2.csv",
            "save": "",
        },
    )
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


# -- form usability (issue 11, Deliver 7) ----------------------------------

FEE_ROW = {
    "fee_items__0__name_translated-zh-Hans": "定制数据加工",
    "fee_items__0__name_translated-en": "Custom processing",
    "fee_items__0__amount": "200",
    "fee_items__0__unit": "每站每年",
}


def test_fee_items_have_a_structured_editor_that_round_trips(app, admin):
    unit = make_unit(app, admin)
    visitor = session(app, admin)
    page = visitor.client.get("/dataset/new").body
    assert 'name="fee_items"' not in page  # no bare JSON textarea any more
    assert 'name="fee_items__0__amount"' in page and 'name="fee_items__0__name_translated-en"' in page
    create_through_forms(visitor, dataset_form("with-fees", unit["id"], fee_basis="nonprofit", **FEE_ROW))
    first = {
        "name_translated": {"zh-Hans": "定制数据加工", "en": "Custom processing"},
        "amount": "200",
        "currency": "CNY",
        "unit": "每站每年",
    }
    assert call_action("package_show", id="with-fees")["fee_items"] == [first]

    # the edit page shows the item in its row, then a blank row; saving it unchanged keeps the list
    edit = dict(page_form(visitor.client.get("/dataset/edit/with-fees").body)[1])
    assert edit["fee_items__0__name_translated-zh-Hans"] == "定制数据加工" and edit["fee_items__0__amount"] == "200"
    assert edit["fee_items__1__amount"] == "" and "fee_items__2__amount" not in edit
    response = visitor.submit("/dataset/edit/with-fees", {"save": ""})
    assert form_errors(response) is None, form_errors(response)
    assert call_action("package_show", id="with-fees")["fee_items"] == [first]

    # a second row is added, the first one changed; then the first one emptied away
    response = visitor.submit(
        "/dataset/edit/with-fees",
        {
            "fee_items__0__amount": "150.50",
            "fee_items__1__name_translated-zh-Hans": "数据拷贝",
            "fee_items__1__amount": "20",
            "fee_items__1__condition": "介质由用户提供",
            "save": "",
        },
    )
    assert form_errors(response) is None, form_errors(response)
    items = call_action("package_show", id="with-fees")["fee_items"]
    assert [i["amount"] for i in items] == ["150.50", "20"]
    assert items[1] == {
        "name_translated": {"zh-Hans": "数据拷贝"},
        "amount": "20",
        "currency": "CNY",
        "condition": "介质由用户提供",
    }
    blank_first = {
        f"fee_items__0__{key}": "" for key in ("name_translated-zh-Hans", "name_translated-en", "amount", "unit")
    }
    response = visitor.submit("/dataset/edit/with-fees", {**blank_first, "save": ""})
    assert form_errors(response) is None, form_errors(response)
    assert [i["amount"] for i in call_action("package_show", id="with-fees")["fee_items"]] == ["20"]


@pytest.mark.parametrize("locale", ["", "en"])
def test_fee_item_error_is_bilingual_and_keeps_the_rows(app, admin, locale):
    unit = make_unit(app, admin)
    visitor = session(app, admin, locale)
    response = visitor.submit(
        "/dataset/new",
        dataset_form("bad-fee", unit["id"], fee_basis="nonprofit", **{**FEE_ROW, "fee_items__0__amount": "两百"}),
    )
    errors = form_errors(response)
    assert errors and "金额 两百 应为非负数" in errors and "amount 两百 must be a non-negative number" in errors, errors
    kept = dict(page_form(response.body)[1])
    assert kept["fee_items__0__name_translated-zh-Hans"] == "定制数据加工" and kept["fee_items__0__amount"] == "两百"
    assert kept["fee_items__0__unit"] == "每站每年"


def test_new_dataset_is_public_unless_made_private(app, admin):
    """开放为常态: the visibility select starts at Public."""
    unit = make_unit(app, admin)
    visitor = session(app, admin)
    page = visitor.client.get("/dataset/new").body
    assert '<option value="False" selected="selected">' in page
    assert create_through_forms(visitor, dataset_form("open-by-default", unit["id"]))["private"] is False
    assert create_through_forms(visitor, dataset_form("chosen-private", unit["id"], private="True"))["private"] is True


def test_dataset_name_is_made_from_a_chinese_title_unique_and_ascii(app, admin):
    unit = make_unit(app, admin)
    visitor = session(app, admin)
    page = visitor.client.get("/dataset/new").body
    assert 'data-module="sdm-slug"' in page and "slug-preview-slug" not in page  # visible, not behind Edit
    first = create_through_forms(visitor, dataset_form("", unit["id"]))
    assert first["name"] == "dimian-qihou-rizhi"
    response = visitor.submit("/dataset/new", dataset_form("", unit["id"]))
    assert form_errors(response) is None, form_errors(response)
    assert response.headers["Location"].split("?")[0].endswith("/dataset/dimian-qihou-rizhi-2/resource/new")
    english_only = dataset_form("", unit["id"], **{"title_translated-zh-Hans": ""})
    response = visitor.submit("/dataset/new", english_only)
    assert form_errors(response) is None, form_errors(response)
    assert call_action("package_show", id="daily-surface-climate")["title_translated"] == {
        "en": "Daily surface climate"
    }
    # an existing dataset keeps its name: emptying it is an error, not a rename
    response = visitor.submit("/dataset/edit/dimian-qihou-rizhi", {"name": "", "save": ""})
    assert form_errors(response) is not None
    assert call_action("package_show", id="dimian-qihou-rizhi")["name"] == "dimian-qihou-rizhi"


def test_unit_name_is_made_from_its_chinese_title(app, admin):
    response = session(app, admin).submit("/organization/new", unit_form("", "国家气象信息中心", "NMIC"))
    assert form_errors(response) is None, form_errors(response)
    assert call_action("organization_show", id="guojia-qixiang-xinxizhongxin")["uscc"] == USCC


def test_name_suggestion_for_the_form_script(app, admin):
    """The form's script asks sdm_name_suggest by GET, as the title is typed."""
    unit = make_unit(app, admin)
    visitor = session(app, admin)
    create_through_forms(visitor, dataset_form("chongqing-yinhang", unit["id"]))
    reply = visitor.client.get(
        "/api/3/action/sdm_name_suggest", query_string={"title_translated-zh-Hans": "重庆银行", "type": "dataset"}
    ).json
    assert reply["result"] == {"name": "chongqing-yinhang-2"}  # the polyphone read by phrase, and unique
    reply = visitor.client.get(
        "/api/3/action/sdm_name_suggest", query_string={"title_translated-en": "Met Centre", "type": "organization"}
    ).json
    assert reply["result"] == {"name": "met-centre-2"}  # the unit made by make_unit holds met-centre
    anonymous = app.test_client().get("/api/3/action/sdm_name_suggest", query_string={"title_translated-en": "x y"})
    assert anonymous.status_code == 403


USCC_PROBLEMS = [
    ("9111000060003734", "应为 18 位", "must have 18 characters"),
    ("91110000600037341X", "校验位不符", "check character"),
    ("I1110000600037341L", "不允许的字符", "not allowed"),
]


@pytest.mark.parametrize("code,zh,en", USCC_PROBLEMS)
def test_uscc_error_says_each_half_in_its_own_language(app, admin, code, zh, en):
    response = session(app, admin, "en").submit(
        "/organization/new", unit_form("bad-code", "某单位", "Some unit", uscc=code)
    )
    errors = form_errors(response)
    assert errors and zh in errors and en in errors, errors
    chinese = errors[errors.index("统一社会信用代码：" + code) :].split(" / ")[0]
    assert not re.search(r"[A-Za-z]{2,}", chinese.replace(code, "")), chinese  # no English inside the Chinese half


def test_discipline_picker_is_a_searchable_list_of_checkboxes(app, admin):
    unit = make_unit(app, admin)
    visitor = session(app, admin, "en")
    page = visitor.client.get("/en/dataset/new").body
    assert 'data-module="sdm-picker"' in page and '<select id="field-discipline"' not in page
    assert 'data-search="170 地球科学 earth sciences"' in page  # code and both labels, for the filter
    create_through_forms(visitor, dataset_form("with-disciplines", unit["id"], discipline=["180", "170"]))
    assert sorted(call_action("package_show", id="with-disciplines")["discipline"]) == ["170", "180"]
    edit = visitor.client.get("/en/dataset/edit/with-disciplines").body
    checked = re.findall(r'name="discipline"\s+value="(\d+)" checked', edit)
    assert sorted(checked) == ["170", "180"]
    first = re.findall(r'name="discipline"\s+value="(\d+)"', edit)[:2]
    assert sorted(first) == ["170", "180"]  # the chosen ones listed first
