"""Bilingual values in the reader's language, with a marked fallback, in
pages rendered by real CKAN: search results, dataset pages, breadcrumbs,
the unit's sidebar and the unit list."""

import re

import pytest

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

EN_UNIT = "National Meteorological Information Centre"
ZH_UNIT = "国家气象信息中心"


@pytest.fixture
def datasets(create_dataset):
    create_dataset(
        name="both",
        title_translated={"zh-Hans": "地面气候资料", "en": "Surface climate data"},
        notes_translated={"zh-Hans": "中文摘要", "en": "English description"},
    )
    create_dataset(name="zh-only", title_translated={"zh-Hans": "仅有中文的数据集"})


def _spans(body, text):
    """The opening tags of the spans that hold the text."""
    return re.findall(r"(<span[^>]*>)\s*" + re.escape(text), body)


def test_search_results_in_english_with_chinese_marked(app, datasets):
    body = app.get("/en/dataset/").body
    assert '<span lang="en">Surface climate data</span>' in body
    assert "地面气候资料" not in body
    fallback = _spans(body, "仅有中文的数据集")
    assert fallback and 'lang="zh-Hans"' in fallback[0] and "sdm-fallback" in fallback[0]
    assert re.search(r'仅有中文的数据集 <small class="sdm-fallback-marker"[^>]*>中文</small>', body)


def test_search_results_in_chinese(app, datasets):
    body = app.get("/dataset/").body
    assert '<span lang="zh-Hans">地面气候资料</span>' in body
    assert "Surface climate data" not in body
    assert "sdm-fallback-marker" not in body


def test_dataset_page_heading_breadcrumb_sidebar_and_notes(app, datasets):
    body = app.get("/en/dataset/both").body
    heading = re.search(r"<h1>(.*?)</h1>", body, re.S).group(1)
    assert "Surface climate data" in heading and "地面气候资料" not in heading
    breadcrumb = re.search(r'<ol class="breadcrumb">(.*?)</ol>', body, re.S).group(1)
    assert EN_UNIT[:29] in breadcrumb and ZH_UNIT not in breadcrumb and "Surface climate" in breadcrumb
    assert re.search(r'<h1 class="heading"><span lang="en">' + EN_UNIT, body)  # the unit's sidebar
    assert 'lang="en"' in re.search(r'<div class="notes embedded-content"[^>]*>', body).group(0)
    notes = re.search(r'<div class="notes embedded-content"[^>]*>(.*?)</div>', body, re.S).group(1)
    assert "English description" in notes and "中文摘要" not in notes
    assert "<title>Surface climate data" in body
    zh = app.get("/dataset/both").body
    assert ZH_UNIT in re.search(r'<ol class="breadcrumb">(.*?)</ol>', zh, re.S).group(1)


def test_unit_list_and_unit_page_in_the_ui_language(app, datasets):
    body = app.get("/en/organization/").body
    headings = re.findall(r'<h2 class="media-heading">(.*?)</h2>', body, re.S)
    assert headings == [f'<span lang="en">{EN_UNIT}</span>']
    page = app.get("/en/organization/national-meteorological-centre").body
    breadcrumb = re.search(r'<ol class="breadcrumb">(.*?)</ol>', page, re.S).group(1)
    assert EN_UNIT[:30] in breadcrumb and ZH_UNIT not in breadcrumb
    assert ZH_UNIT in app.get("/organization/").body


def test_unit_without_english_is_marked_in_english_pages(app, create_dataset):
    from ckan.tests import factories

    unit = factories.Organization(
        name="zh-unit", title_translated={"zh-Hans": "巴中市气象局"}, uscc="91110000600037341L"
    )
    create_dataset(name="in-zh-unit", owner_org=unit["id"], title_translated={"zh-Hans": "降水", "en": "Rain"})
    body = app.get("/en/dataset/in-zh-unit").body
    breadcrumb = re.search(r'<ol class="breadcrumb">(.*?)</ol>', body, re.S).group(1)
    assert re.search(r'<span lang="zh-Hans" class="sdm-fallback">巴中市气象局 <small', breadcrumb)
