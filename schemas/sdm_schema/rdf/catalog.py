"""The catalogue around the datasets of a feed, and hydra paging between pages.

`catalog_info` describes the catalogue once for all feeds:
    {"base_url": "https://data.example.cn",          # required
     "title": {"zh-Hans": …, "en": …}, "description": {…},
     "publisher": {"name": {"zh-Hans": …, "en": …}, "uri": …},  # optional
     "homepage": "https://data.example.cn/",          # optional
     "register": "https://data.example.cn/authorisations"}  # optional
`register` is the page of the public register of authorised use (R14);
the national catalogue links it and its files, REGISTER.csv and
REGISTER.jsonld (national_catalog).
"""

from __future__ import annotations

from typing import Iterator, Mapping

from sdm_schema.loader import message
from sdm_schema.rdf.mapping import translated_literals
from sdm_schema.rdf.namespaces import DCAT, DCT, FOAF, HYDRA, RDFS, SCHEMA
from sdm_schema.rdf.terms import IRI, TYPE, XSD_INTEGER, Literal, Triple, iri

DEFAULT_INFO = {
    "title": {"zh-Hans": "科学数据资源目录", "en": "Scientific data catalogue"},
    "description": {
        "zh-Hans": "按《科学数据管理办法》编制的科学数据资源目录。",
        "en": "Catalogue of scientific data under China's Administrative Measures for Scientific Data.",
    },
}


def catalog_iri(info: Mapping) -> IRI:
    return iri(info.get("uri") or f"{info['base_url'].rstrip('/')}/catalog")


def _merged(info: Mapping) -> dict:
    return {**DEFAULT_INFO, **{k: v for k, v in info.items() if v}}


def _titled(catalog: IRI, kind: IRI, title: str, description: str, info: Mapping) -> Iterator[Triple]:
    """The catalogue's type, and its title and description in each language."""
    yield catalog, TYPE, kind
    for key, predicate in (("title", title), ("description", description)):
        for literal in translated_literals(info[key]):
            yield catalog, IRI(predicate), literal


def dcat_catalog(info: Mapping) -> Iterator[Triple]:
    """The dcat:Catalog: title, description and publisher (DCAT-AP requires
    all three), homepage."""
    info = _merged(info)
    catalog = catalog_iri(info)
    yield from _titled(catalog, IRI(DCAT + "Catalog"), DCT + "title", DCT + "description", info)
    publisher = info.get("publisher") or {"name": info["title"]}
    agent = iri(publisher.get("uri") or f"{info['base_url'].rstrip('/')}#publisher")
    yield catalog, IRI(DCT + "publisher"), agent
    yield agent, TYPE, IRI(FOAF + "Agent")
    for literal in translated_literals(publisher["name"]):
        yield agent, IRI(FOAF + "name"), literal
    if info.get("homepage"):
        homepage = iri(info["homepage"])
        yield catalog, IRI(FOAF + "homepage"), homepage
        yield homepage, TYPE, IRI(FOAF + "Document")


#: The register's files (authorisations.py writes them): suffix → IANA media type.
REGISTER_FILES = {"jsonld": "application/ld+json", "csv": "text/csv"}
IANA_MEDIA = "http://www.iana.org/assignments/media-types/"


def register_links(info: Mapping) -> Iterator[Triple]:
    """The public register of authorised use (R14, 2024 Opinions (5)),
    linked from the catalogue: its page (foaf:page) and its files
    (rdfs:seeAlso), each a foaf:Document with its title and media type."""
    register = (info.get("register") or "").rstrip("/")
    if not register:
        return
    catalog = catalog_iri(info)
    page = iri(register)
    yield catalog, IRI(FOAF + "page"), page
    yield page, TYPE, IRI(FOAF + "Document")
    title = message("authorisations_title")
    for suffix, media in REGISTER_FILES.items():
        document = iri(f"{register}.{suffix}")
        yield catalog, IRI(RDFS + "seeAlso"), document
        yield document, TYPE, IRI(FOAF + "Document")
        yield document, IRI(DCT + "format"), IRI(IANA_MEDIA + media)
        for literal in translated_literals(title):
            yield document, IRI(DCT + "title"), literal


def national_catalog(info: Mapping) -> Iterator[Triple]:
    """The national feed's dcat:Catalog: dcat_catalog and the register's links."""
    yield from dcat_catalog(info)
    yield from register_links(info)


def schemaorg_catalog(info: Mapping) -> Iterator[Triple]:
    info = _merged(info)
    catalog = catalog_iri(info)
    yield from _titled(catalog, IRI(SCHEMA + "DataCatalog"), SCHEMA + "name", SCHEMA + "description", info)
    if info.get("homepage"):
        yield catalog, IRI(SCHEMA + "url"), iri(info["homepage"])


def page_triples(
    page: str, first: str, previous: str | None, next_: str | None, items: int | None = None
) -> Iterator[Triple]:
    """Hydra paging, as ckanext-dcat's harvester follows it (hydra:next).

    Pages are written as the datasets stream past, so a page knows its
    neighbours but not the last page or the total: those are left out
    rather than held in memory.
    """
    view = IRI(page)
    yield view, TYPE, IRI(HYDRA + "PartialCollectionView")
    yield view, IRI(HYDRA + "first"), IRI(first)
    if previous:
        yield view, IRI(HYDRA + "previous"), IRI(previous)
    if next_:
        yield view, IRI(HYDRA + "next"), IRI(next_)
    if items is not None:
        yield view, IRI(HYDRA + "itemsPerPage"), Literal(str(items), datatype=XSD_INTEGER)
