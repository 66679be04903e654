"""The extension's corrections to CKAN's zh_Hans_CN strings, in rendered pages."""

import os
from io import BytesIO

import opencc
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import ckanext.sdm

CATALOGUE = os.path.join(os.path.dirname(ckanext.sdm.__file__), "i18n", "zh_Hans_CN", "LC_MESSAGES")


def test_the_compiled_catalogue_is_the_po_compiled():
    # a .po edited without re-running dev/zh-corrections.py fails here
    with open(os.path.join(CATALOGUE, "ckanext-sdm.po"), "rb") as f:
        compiled = BytesIO()
        write_mo(compiled, read_po(f))
    with open(os.path.join(CATALOGUE, "ckanext-sdm.mo"), "rb") as f:
        assert f.read() == compiled.getvalue()


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestChinesePages:
    def test_dataset_count_is_chinese_for_any_number(self, app, create_dataset):
        for n in range(3):
            create_dataset(name=f"count-{n}", title_translated={"zh-Hans": f"数据集{n}", "en": f"Dataset {n}"})
        body = app.get("/dataset/").body
        assert "找到3个数据集" in body
        assert "datasets found" not in body

    def test_login_is_dengla_and_not_traditional(self, app):
        body = app.get("/user/login").body
        assert "登录" in body and "登陆" not in body

    def test_additional_info_headers(self, app, create_dataset):
        create_dataset(name="headers", title_translated={"zh-Hans": "表头", "en": "Headers"})
        body = app.get("/dataset/headers").body
        assert ">字段</th>" in body and ">值</th>" in body
        assert ">域</th>" not in body and ">价值</th>" not in body

    def test_home_page_has_no_traditional_characters(self, app, create_dataset):
        create_dataset(name="home", title_translated={"zh-Hans": "地面气象资料", "en": "Surface data"})
        body = app.get("/").body
        assert opencc.OpenCC("t2s").convert(body) == body


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.parametrize(("prefix", "title"), [("", "404 未找到"), ("/en", "404 Not Found")])
def test_the_error_page_names_the_error_in_the_readers_language(app, prefix, title):
    body = app.get(f"{prefix}/dataset/no-such-dataset-anywhere", status=404).body
    assert f"<h1>{title}</h1>" in body
