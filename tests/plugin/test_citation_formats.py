"""BibTeX, RIS and DataCite XML from the same citation elements as the
GB/T 7714 text, with and without DOI and CSTR."""

import datetime as dt

import pytest
from lxml import etree

from ckanext.sdm.citation import elements
from ckanext.sdm.citation_formats import DATACITE_NS, bibtex, datacite_xml, render, ris

UNIT = {"title_translated": {"zh-Hans": "国家气象信息中心", "en": "National Meteorological Information Centre"}}
DAY = dt.date(2026, 11, 21)
PAGE = "https://catalogue.example.cn/dataset/cma"
NS = {"d": DATACITE_NS}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Kernel-4 properties: the mandatory ones and every one a record may carry.
MANDATORY = {"creators", "titles", "publisher", "publicationYear", "resourceType"}
KERNEL4 = MANDATORY | {
    "identifier",
    "subjects",
    "contributors",
    "dates",
    "language",
    "alternateIdentifiers",
    "relatedIdentifiers",
    "sizes",
    "formats",
    "version",
    "rightsList",
    "descriptions",
    "geoLocations",
    "fundingReferences",
    "relatedItems",
}


@pytest.fixture
def with_ids(full_dataset):
    return elements(dict(full_dataset, metadata_created="2024-03-01T00:00:00"), UNIT, PAGE, DAY)


@pytest.fixture
def without_ids():
    dataset = {"title_translated": {"zh-Hans": "仅中文数据集"}, "metadata_created": "2025-01-02"}
    return elements(dataset, UNIT, PAGE, DAY)


def _kernel4(xml: bytes):
    root = etree.fromstring(xml)
    assert root.tag == f"{{{DATACITE_NS}}}resource"
    children = {etree.QName(child).localname for child in root}
    assert MANDATORY <= children and children <= KERNEL4
    assert root.find("d:resourceType", NS).get("resourceTypeGeneral") == "Dataset"
    assert all(child.text or len(child) for child in root.iter())  # no empty elements
    return root


def test_bibtex_with_identifiers(with_ids):
    text = bibtex(with_ids, "zh-Hans", "cma")
    assert text.startswith("@misc{cma,\n")
    assert "  author = {{国家气象信息中心}}" in text  # one organisational author, not split into names
    assert "  title = {{中国地面气候资料日值数据集（2024）}}" in text
    assert "  doi = {10.11922/sciencedb.06290}" in text
    assert "  url = {https://doi.org/10.11922/sciencedb.06290}" in text
    assert "  note = {[DS/OL]. CSTR:31253.11.sciencedb.06290}" in text
    assert "  year = {2024}" in text and "  version = {V1}" in text


def test_bibtex_escapes_and_links_the_page_without_identifiers(without_ids):
    text = bibtex(without_ids, "en", "zh-only")
    assert "doi =" not in text
    assert f"  url = {{{PAGE}}}" in text
    assert "  note = {[DS/OL]}" in text
    tricky = elements({"title_translated": {"en": "50% of {rain} & snow_1"}}, UNIT, PAGE, DAY)
    assert r"title = {{50\% of \{rain\} \& snow\_1}}" in bibtex(tricky, "en", "k")


def test_ris(with_ids, without_ids):
    lines = ris(with_ids, "en").split("\r\n")
    assert lines[0] == "TY  - DATA" and lines[-2] == "ER  - "
    assert "AU  - National Meteorological Information Centre" in lines
    assert "DO  - 10.11922/sciencedb.06290" in lines
    assert "N1  - CSTR:31253.11.sciencedb.06290" in lines
    assert "KW  - meteorology" in lines and "ET  - V1" in lines
    bare = ris(without_ids, "en").split("\r\n")
    assert f"UR  - {PAGE}" in bare and not any(line.startswith(("DO", "N1", "ET")) for line in bare)


def test_datacite_with_identifiers(with_ids):
    root = _kernel4(datacite_xml(with_ids))
    identifier = root.find("d:identifier", NS)
    assert (identifier.text, identifier.get("identifierType")) == ("10.11922/sciencedb.06290", "DOI")
    titles = {t.get(XML_LANG): t.text for t in root.findall("d:titles/d:title", NS)}
    assert titles == {
        "zh-Hans": "中国地面气候资料日值数据集（2024）",
        "en": "Daily surface climate data of China (2024)",
    }
    creator = root.find("d:creators/d:creator/d:creatorName", NS)
    assert creator.get("nameType") == "Organizational"
    alternates = {a.get("alternateIdentifierType"): a.text for a in root.findall("d:alternateIdentifiers/*", NS)}
    assert alternates == {"CSTR": "CSTR:31253.11.sciencedb.06290", "URL": PAGE}
    disciplines = root.findall("d:subjects/d:subject[@subjectScheme='GB/T 13745-2009']", NS)
    assert {d.get("classificationCode") for d in disciplines} == {"170", "610"}
    assert root.findtext("d:publicationYear", namespaces=NS) == "2024"
    assert root.findtext("d:version", namespaces=NS) == "V1"


def test_datacite_without_identifiers_is_a_registration_draft(without_ids):
    root = _kernel4(datacite_xml(without_ids))
    assert root.find("d:identifier", NS) is None
    assert [a.get("alternateIdentifierType") for a in root.findall("d:alternateIdentifiers/*", NS)] == ["URL"]
    # the only title is Chinese: given once, not repeated as "English"
    assert [(t.get(XML_LANG), t.text) for t in root.findall("d:titles/d:title", NS)] == [("zh-Hans", "仅中文数据集")]


def test_render_refuses_unknown_formats(with_ids):
    assert render("ris", with_ids, "en", "k").startswith(b"TY  - DATA")
    with pytest.raises(ValueError):
        render("docx", with_ids, "en", "k")
