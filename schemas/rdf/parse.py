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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional

import pyoxigraph
import rdflib

from sdm_schema.rdf import dcat
from sdm_schema.rdf.namespaces import DCAT, HYDRA

#: Format names and media types → rdflib parser names.
FORMATS = {
    "ttl": "turtle", "turtle": "turtle", "text/turtle": "turtle",
    "application/x-turtle": "turtle", "n3": "n3", "text/n3": "n3",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt",
    "rdf": "xml", "xml": "xml", "rdf/xml": "xml", "application/rdf+xml": "xml",
    "application/xml": "xml", "text/xml": "xml",
    "jsonld": "json-ld", "json-ld": "json-ld", "application/ld+json": "json-ld",
    "json": "json-ld", "application/json": "json-ld",
}


class ParseError(ValueError):
    """The document is not RDF in the format it claims."""


@dataclass
class Page:
    datasets: List[dict]
    next_url: Optional[str]


def rdflib_format(name: str) -> str:
    key = (name or "").split(";")[0].strip().lower()
    if key not in FORMATS:
        raise ParseError(f"unknown RDF format {name!r}; expected one of {sorted(FORMATS)}")
    return FORMATS[key]


#: Formats pyoxigraph reads, about twice as fast as rdflib's own parsers
#: (benchmarks/harvest); the rules still read an rdflib graph.
_OXIGRAPH_FORMATS = {"turtle": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _rdflib_term(term):
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def load_graph(data, format: str, base_url: Optional[str] = None) -> rdflib.Graph:
    graph = rdflib.Graph()
    name = rdflib_format(format)
    try:
        if name in _OXIGRAPH_FORMATS:
            triples = pyoxigraph.parse(data.encode("utf-8") if isinstance(data, str) else data,
                                       _OXIGRAPH_FORMATS[name], base_iri=base_url)
            graph.addN((_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object), graph)
                       for t in triples)
        else:
            graph.parse(data=data, format=name, publicID=base_url)
    except ParseError:
        raise
    except Exception as error:  # rdflib's parsers share no exception class
        raise ParseError(f"cannot parse {format}: {error}") from error
    return graph


def graph_datasets(graph: rdflib.Graph) -> Iterator[dict]:
    """Every dcat:Dataset in a graph as an SDM dataset dict, in IRI order."""
    rules = dcat.rules()
    subjects = sorted(set(graph.subjects(rdflib.RDF.type, rdflib.URIRef(DCAT + "Dataset"))), key=str)
    for subject in subjects:
        out: dict = {}
        if isinstance(subject, rdflib.URIRef):
            out["uri"] = str(subject)
        for rule in rules:
            rule.read(graph, subject, out)
        yield out


def next_page(graph: rdflib.Graph) -> Optional[str]:
    """hydra:next (or the deprecated hydra:nextPage) of a paged catalogue."""
    for predicate in ("next", "nextPage"):
        for value in graph.objects(None, rdflib.URIRef(HYDRA + predicate)):
            return str(value)
    return None


def read_page(data, format: str, base_url: Optional[str] = None) -> Page:
    """One page of a DCAT catalogue: its datasets and the next page's URL."""
    graph = load_graph(data, format, base_url)
    return Page(list(graph_datasets(graph)), next_page(graph))


def iter_datasets(data, format: str, base_url: Optional[str] = None) -> Iterator[dict]:
    """The datasets of one RDF document (bytes or str)."""
    return graph_datasets(load_graph(data, format, base_url))
