import datetime as dt

from ckanext.sdm.citation import gbt7714, links, recommended

UNIT = {"title_translated": {"zh-Hans": "国家气象信息中心", "en": "National Meteorological Information Centre"}}
DAY = dt.date(2026, 11, 21)


def test_citation_with_doi_and_cstr(full_dataset):
    dataset = dict(full_dataset, metadata_created="2024-03-01T00:00:00")
    zh = gbt7714(dataset, UNIT, "zh-Hans", "https://catalogue.example.cn/dataset/x", DAY)
    assert zh == (
        "国家气象信息中心. 中国地面气候资料日值数据集（2024）[DS/OL]. V1. 国家气象信息中心, 2024[2026-11-21]. "
        "https://doi.org/10.11922/sciencedb.06290. DOI:10.11922/sciencedb.06290; CSTR:31253.11.sciencedb.06290."
    )
    en = recommended(dataset, UNIT, "https://x", DAY)["en"]
    assert en.startswith(
        "National Meteorological Information Centre. Daily surface climate data of China (2024)[DS/OL]. V1."
    )
    assert links(dataset) == {
        "doi": "https://doi.org/10.11922/sciencedb.06290",
        "cstr": "https://cstr.cn/31253.11.sciencedb.06290",
    }


def test_citation_without_identifiers_links_the_page():
    dataset = {"title_translated": {"zh-Hans": "仅中文数据集"}, "metadata_created": "2025-01-02"}
    en = gbt7714(dataset, UNIT, "en", "https://catalogue.example.cn/dataset/zh-only", DAY)
    # no English title: the Chinese one stands in
    assert en == (
        "National Meteorological Information Centre. 仅中文数据集[DS/OL]. National Meteorological "
        "Information Centre, 2025[2026-11-21]. https://catalogue.example.cn/dataset/zh-only."
    )
