"""RDF → SDM dataset dicts: for round trips and for harvesting DCAT sources.

Reads the national and international feeds back field for field, and maps
what it can of generic DCAT / DCAT-AP (ckanext-dcat's output, data.europa.eu
examples): titles, descriptions and keywords in every language, themes and
frequencies given as our or EU authority IRIs, publisher, contact point,
identifiers, licence, distributions.  Values are not validated here: the
harvester runs sdm_schema.validation on what comes out.

    page = read_page(body, "text/turtle")
    for dataset in page.datasets: ...
    page.next_url        # hydra:next, or None on the last page

pyoxigraph parses every format into a `triples.Triples` index, which the
mapping rules read; no rdflib graph is built.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional

import pyoxigraph

from sdm_schema.rdf import dcat
from sdm_schema.rdf.namespaces import DCAT, HYDRA, RDF
from sdm_schema.rdf.terms import IRI
from sdm_schema.rdf.triples import Triples

#: Format names and media types → short format names (rdflib's, which
#: ckanext-dcat also takes).
FORMATS = {
    "ttl": "turtle", "turtle": "turtle", "text/turtle": "turtle",
    "application/x-turtle": "turtle", "n3": "n3", "text/n3": "n3",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt",
    "rdf": "xml", "xml": "xml", "rdf/xml": "xml", "application/rdf+xml": "xml",
    "application/xml": "xml", "text/xml": "xml",
    "jsonld": "json-ld", "json-ld": "json-ld", "application/ld+json": "json-ld",
    "json": "json-ld", "application/json": "json-ld",
}

_PARSERS = {
    "turtle": pyoxigraph.RdfFormat.TURTLE, "n3": pyoxigraph.RdfFormat.N3,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES, "xml": pyoxigraph.RdfFormat.RDF_XML,
    "json-ld": pyoxigraph.RdfFormat.JSON_LD,
}


class ParseError(ValueError):
    """The document is not RDF in the format it claims, or is refused."""


@dataclass
class Page:
    datasets: List[dict]
    next_url: Optional[str]


def format_name(name: str) -> str:
    """The short name ("turtle", "xml" …) of a format name or media type."""
    key = (name or "").split(";")[0].strip().lower()
    if key not in FORMATS:
        raise ParseError(f"unknown RDF format {name!r}; expected one of {sorted(FORMATS)}")
    return FORMATS[key]


def _refuse_entities(data: bytes) -> None:
    """pyoxigraph expands the entities an RDF/XML document declares, nested
    ones too (a billion-laughs attack).  No DCAT document needs them.  The
    parser reads UTF-8 only, so the bytes are what it would see."""
    if b"<!ENTITY" in data:
        raise ParseError("refused RDF/XML: the document declares entities, "
                         "as in entity-expansion or external-entity attacks")


def load_triples(data, format: str, base_url: Optional[str] = None) -> Triples:
    """One RDF document (bytes or str), indexed.  Named graphs are refused:
    DCAT catalogues have none, and N3 formulas (parsed as named graphs) are
    quoted, not asserted."""
    name = format_name(format)
    data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if name == "xml":
        _refuse_entities(data)
    try:
        return Triples(pyoxigraph.parse(data, _PARSERS[name], base_iri=base_url, without_named_graphs=True))
    except (SyntaxError, ValueError) as error:
        raise ParseError(f"cannot parse {format}: {error}") from error


def datasets(triples: Triples) -> Iterator[dict]:
    """Every dcat:Dataset in a document as an SDM dataset dict, in IRI order."""
    rules = dcat.rules()
    for subject in sorted(set(triples.subjects(RDF + "type", IRI(DCAT + "Dataset")))):
        out: dict = {}
        if isinstance(subject, IRI):
            out["uri"] = str(subject)
        for rule in rules:
            rule.read(triples, subject, out)
        yield out


def next_page(triples: Triples) -> Optional[str]:
    """hydra:next (or the deprecated hydra:nextPage) of a paged catalogue."""
    for predicate in ("next", "nextPage"):
        for value in triples.objects(None, HYDRA + predicate):
            return str(value)
    return None


def read_page(data, format: str, base_url: Optional[str] = None) -> Page:
    """One page of a DCAT catalogue: its datasets and the next page's URL."""
    triples = load_triples(data, format, base_url)
    return Page(list(datasets(triples)), next_page(triples))


def iter_datasets(data, format: str, base_url: Optional[str] = None) -> Iterator[dict]:
    """The datasets of one RDF document (bytes or str)."""
    return datasets(load_triples(data, format, base_url))
