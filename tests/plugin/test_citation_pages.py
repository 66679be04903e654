"""Citation page and downloads in real CKAN, with and without DOI/CSTR."""

import pytest
from lxml import etree

from ckanext.sdm.citation_formats import DATACITE_NS

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.sdm.allow_classified", "true"),
]
DOI, CSTR = "10.11922/sciencedb.06290", "CSTR:31253.11.sciencedb.06290"


@pytest.fixture
def datasets(create_dataset):
    create_dataset(
        name="with-ids",
        version="V1",
        doi=DOI,
        cstr=CSTR,
        title_translated={"zh-Hans": "地面气候数据", "en": "Surface climate data"},
    )
    create_dataset(name="without-ids", title_translated={"zh-Hans": "仅中文数据集"})
    create_dataset(
        name="classified",
        title_translated={"zh-Hans": "涉密数据"},
        secrecy="classified",
        secrecy_level="confidential",
        secrecy_period_years=5,
        sharing_attribute="not_shared",
        sharing_condition="涉密",
        open_attribute="not_open",
        closed_reason="涉密",
    )


@pytest.mark.usefixtures("datasets")
def test_citation_page_with_identifiers_links_them(app):
    page = app.get("/dataset/with-ids/citation").body
    assert f'href="https://doi.org/{DOI}"' in page and 'href="https://cstr.cn/31253.11.sciencedb.06290"' in page
    assert "国家气象信息中心. 地面气候数据[DS/OL]. V1." in page
    assert "National Meteorological Information Centre. Surface climate data[DS/OL]. V1." in page
    for extension in ("bib", "ris", "xml"):
        assert f"/dataset/with-ids/citation.{extension}" in page


@pytest.mark.usefixtures("datasets")
def test_citation_page_without_identifiers_links_the_dataset(app):
    page = app.get("/dataset/without-ids/citation").body
    assert "doi.org" not in page and "cstr.cn" not in page
    assert "仅中文数据集[DS/OL]." in page and "/dataset/without-ids." in page


@pytest.mark.usefixtures("datasets")
def test_downloads(app):
    bib = app.get("/dataset/with-ids/citation.bib")
    assert bib.headers["Content-Type"].startswith("application/x-bibtex")
    assert 'filename="with-ids.bib"' in bib.headers["Content-Disposition"]
    assert f"doi = {{{DOI}}}" in bib.body
    assert "TY  - DATA" in app.get("/dataset/without-ids/citation.ris").body
    with_ids = etree.fromstring(app.get("/dataset/with-ids/citation.xml").data)
    assert with_ids.findtext(f"{{{DATACITE_NS}}}identifier") == DOI
    without_ids = etree.fromstring(app.get("/dataset/without-ids/citation.xml").data)
    assert without_ids.find(f"{{{DATACITE_NS}}}identifier") is None
    assert app.get("/dataset/with-ids/citation.docx").status_code == 404


@pytest.mark.usefixtures("datasets")
def test_no_citation_of_what_the_public_may_not_see(app):
    assert app.get("/dataset/classified/citation").status_code == 404
    assert app.get("/dataset/classified/citation.xml").status_code == 404
