"""Citation downloads (R8): BibTeX, RIS and DataCite XML (kernel 4).

Each writer takes ckanext.sdm.citation.Elements, so every format cites the
same author, title, version, year and identifiers as the GB/T 7714 text.
BibTeX and RIS carry one language (the reader's); DataCite XML carries both,
tagged with xml:lang.  Imports nothing from CKAN.
"""

from __future__ import annotations

import re
from typing import Mapping

from lxml import etree

from ckanext.sdm.citation import Elements
from sdm_schema.loader import LANGUAGES, codelist

DATACITE_NS = "http://datacite.org/schema/kernel-4"
DATACITE_SCHEMA = "http://schema.datacite.org/meta/kernel-4/metadata.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DISCIPLINE_SCHEME = "GB/T 13745-2009"

#: file extension -> the format's name, for download links
NAMES = {"bib": "BibTeX", "ris": "RIS", "xml": "DataCite XML"}
#: file extension -> media type
MEDIA_TYPES = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
}


def _bibtex_escape(text: str) -> str:
    # Braces keep BibTeX from re-casing the title or splitting an
    # organisation's name into given and family names.
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def bibtex(cited: Elements, lang: str, key: str) -> str:
    fields = [
        ("author", "{" + _bibtex_escape(cited.author[lang]) + "}"),
        ("title", "{" + _bibtex_escape(cited.title[lang]) + "}"),
        ("publisher", _bibtex_escape(cited.publisher[lang])),
        ("year", cited.year),
        ("version", cited.version),
        ("doi", cited.doi),
        ("url", cited.link),
        ("urldate", cited.accessed.isoformat()),
        ("note", f"[DS/OL]{'. ' + cited.cstr if cited.cstr else ''}"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}\n"


def ris(cited: Elements, lang: str) -> str:
    lines = [
        ("TY", "DATA"),
        ("AU", cited.author[lang]),
        ("TI", cited.title[lang]),
        ("PB", cited.publisher[lang]),
        ("PY", cited.year),
        ("ET", cited.version),
        ("DO", cited.doi),
        ("UR", cited.link),
        ("Y2", cited.accessed.isoformat()),
        ("AB", cited.description[lang]),
        *(("KW", keyword) for keyword in cited.keywords[lang]),
        ("N1", cited.cstr),
        ("LA", lang),
    ]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines if value) + "ER  - \r\n"


def _sub(parent: etree._Element, tag: str, text: str = "", **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{DATACITE_NS}}}{tag}", **attributes)
    if text:
        element.text = text
    return element


def _per_language(parent: etree._Element, tag: str, values: Mapping[str, str], **attributes: str) -> None:
    """One element per language, skipping a language that only repeats the other."""
    seen = set()
    for lang in LANGUAGES:
        if values[lang] and values[lang] not in seen:
            seen.add(values[lang])
            _sub(parent, tag, values[lang], **{XML_LANG: lang}, **attributes)


def datacite_xml(cited: Elements) -> bytes:
    """DataCite kernel-4 XML.  Without a DOI the <identifier> is left out: the
    record is then a draft for DOI registration (DataCite's REST API adds the
    identifier), and the page URL and CSTR travel as alternate identifiers."""
    root = etree.Element(f"{{{DATACITE_NS}}}resource", nsmap={None: DATACITE_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{DATACITE_NS} {DATACITE_SCHEMA}")
    if cited.doi:
        _sub(root, "identifier", cited.doi, identifierType="DOI")
    creator = _sub(_sub(root, "creators"), "creator")
    _per_language(creator, "creatorName", cited.author, nameType="Organizational")
    _per_language(_sub(root, "titles"), "title", cited.title)
    _sub(root, "publisher", cited.publisher[LANGUAGES[0]] or cited.publisher[LANGUAGES[1]])
    _sub(root, "publicationYear", cited.year)
    _sub(root, "resourceType", "Dataset", resourceTypeGeneral="Dataset")
    subjects = _sub(root, "subjects")
    disciplines = codelist("discipline")
    for code in cited.disciplines:
        if code in disciplines:
            _per_language(
                subjects,
                "subject",
                disciplines[code].label,
                subjectScheme=DISCIPLINE_SCHEME,
                classificationCode=str(code),
            )
    for lang in LANGUAGES:
        for keyword in cited.keywords[lang]:
            _sub(subjects, "subject", keyword, **{XML_LANG: lang})
    if not len(subjects):
        root.remove(subjects)
    alternates = _sub(root, "alternateIdentifiers")
    if cited.cstr:
        _sub(alternates, "alternateIdentifier", cited.cstr, alternateIdentifierType="CSTR")
    _sub(alternates, "alternateIdentifier", cited.page_url, alternateIdentifierType="URL")
    if cited.version:
        _sub(root, "version", cited.version)
    descriptions = _sub(root, "descriptions")
    _per_language(descriptions, "description", cited.description, descriptionType="Abstract")
    if not len(descriptions):
        root.remove(descriptions)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render(extension: str, cited: Elements, lang: str, key: str) -> bytes:
    """The citation as the file `citation.<extension>`."""
    if extension == "bib":
        return bibtex(cited, lang, key).encode("utf-8")
    if extension == "ris":
        return ris(cited, lang).encode("utf-8")
    if extension == "xml":
        return datacite_xml(cited)
    raise ValueError(f"unknown citation format {extension!r}; expected one of {sorted(MEDIA_TYPES)}")
