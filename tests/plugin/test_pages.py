"""The dataset page and form, rendered by real CKAN."""

import json
import re
from html import unescape

import pytest

from sdm_schema import dataset_fields, sections

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_dataset_page_shows_badges_embargo_fees_and_citation(app, full_dataset, create_dataset):
    create_dataset(**full_dataset)
    body = app.get(f"/dataset/{full_dataset['name']}", headers={"Accept-Language": "zh-CN"}).body
    for text in (
        "开放属性：有条件开放",
        "共享属性：有条件共享",
        "数据分级：重要数据",
        "收费属性：非营利收费",
        "延期公开至 2030-06-30",
        "定制数据加工",
        "200.00 CNY",
        "推荐引用",
        "中国地面气候资料日值数据集（2024）[DS/OL]",
        "https://doi.org/10.11922/sciencedb.06290",
        "https://cstr.cn/31253.11.sciencedb.06290",
    ):
        assert text in body, text


def test_page_follows_the_ui_language(app, full_dataset, create_dataset):
    create_dataset(**full_dataset)
    body = app.get(f"/en/dataset/{full_dataset['name']}").body
    assert "Open attribute: Open on conditions" in unescape(body)
    assert "Disclosure deferred until 2030-06-30" in body


def test_editors_are_told_an_open_dataset_lacks_english(app, create_dataset, sysadmin):
    create_dataset(name="zh-only", title_translated={"zh-Hans": "仅中文"}, keywords_translated={"zh-Hans": ["气象"]})
    from ckan.tests.factories import APIToken

    token = APIToken(user=sysadmin["name"])["token"]
    as_editor = app.get("/dataset/zh-only", headers={"Authorization": token}).body
    assert "sdm-untranslated" in as_editor and "名称、关键词" in as_editor
    assert "sdm-untranslated" not in app.get("/dataset/zh-only").body


def test_form_carries_the_schema_layout(app, sysadmin, responsible_unit):
    from ckan.tests.factories import APIToken

    token = APIToken(user=sysadmin["name"])["token"]
    body = app.get("/dataset/new", headers={"Authorization": token}).body
    layout = json.loads(unescape(re.search(r'data-module-layout="([^"]+)"', body).group(1)))
    assert [s["name"] for s in layout["sections"]] == [s["name"] for s in sections()]
    assert layout["fields"]["open_condition"]["show_if"] == {"open_attribute": ["conditional"]}
    assert {f.name for f in dataset_fields()} == set(layout["fields"])
    # one input per language for bilingual fields
    assert 'name="title_translated-zh-Hans"' in body and 'name="title_translated-en"' in body


def test_form_submission_keeps_values_and_reports_bilingual_errors(app, sysadmin, responsible_unit):
    from ckan.tests.factories import APIToken

    token = APIToken(user=sysadmin["name"])["token"]
    response = app.post(
        "/dataset/new",
        headers={"Authorization": token},
        data={
            "name": "form-made",
            "title_translated-zh-Hans": "表单数据集",
            "title_translated-en": "Form dataset",
            "owner_org": responsible_unit["id"],
            "open_attribute": "conditional",
            "contact_email": "bad",
            "save": "continue",
            "_ckan_phase": "dataset_new_1",
        },
    )
    body = response.body
    assert "联系邮箱：邮箱地址 bad 无效。 / Contact email: invalid email address bad." in unescape(body)
    assert "开放条件" in body  # the rule for conditional openness names its field too
    assert 'value="表单数据集"' in body and 'value="Form dataset"' in body  # nothing the user typed is lost


def test_code_values_show_in_the_ui_language_and_empty_rows_are_left_out(app, full_dataset, create_dataset):
    create_dataset(**full_dataset)
    body = app.get(f"/dataset/{full_dataset['name']}").body
    assert re.search(r"资源格式</th>\s*<td[^>]*>\s*文件", body)
    assert re.search(r"更新周期</th>\s*<td[^>]*>\s*每日", body)
    assert "密级</th>" not in body  # secrecy level applies only to classified data
    english = app.get(f"/en/dataset/{full_dataset['name']}").body
    assert re.search(r"Update cycle</th>\s*<td[^>]*>\s*Daily", english)


def test_javascript_locale_of_a_chinese_site_loads(app):
    # CKAN's own JavaScript asks for this spelling; without the fix it gets a
    # 400 and starts no JavaScript module at all
    assert app.get("/api/i18n/zh_Hans-CN").status_code == 200
