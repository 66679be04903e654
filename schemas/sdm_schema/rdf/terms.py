"""Neutral RDF terms: what the mapping yields and every writer reads.

Plain Python values, cheap to make and to test: an IRI is a str subclass, a
literal a small tuple.  ckanext-dcat's profiles turn them into rdflib terms
(`to_rdflib`); the publisher writes them as text without building a graph.
There are no blank nodes: every node gets an IRI under its dataset, so pages
can be concatenated and a node keeps its name from one run to the next.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from sdm_schema.rdf.namespaces import RDF, XSD

if TYPE_CHECKING:
    import rdflib.term


class IRI(str):
    __slots__ = ()


# Characters an IRI may not hold in N-Triples or Turtle; a URL typed into a
# form can hold any of them.
_IRI_UNSAFE = {ord(c): f"%{ord(c):02X}" for c in ' <>"{}|^`\\'}
_IRI_UNSAFE.update({i: f"%{i:02X}" for i in range(0x21)})
_HAS_UNSAFE = re.compile("[" + re.escape("".join(map(chr, _IRI_UNSAFE))) + "]")


def iri(value: str) -> IRI:
    """An IRI from text that came from a user or a harvested source."""
    text = str(value).strip()
    # most IRIs hold nothing to escape: translate only those that do
    return IRI(text.translate(_IRI_UNSAFE) if _HAS_UNSAFE.search(text) else text)


class Literal(NamedTuple):
    value: str
    lang: str | None = None
    datatype: str | None = None

    def __str__(self) -> str:
        # the lexical form, as for IRIs (and rdflib's terms): the rules
        # read either kind of object back with str()
        return self.value


Term = IRI | Literal
Triple = tuple[IRI, IRI, Term]

TYPE = IRI(RDF + "type")
XSD_DATE = XSD + "date"
XSD_DATETIME = XSD + "dateTime"
XSD_INTEGER = XSD + "integer"
XSD_DECIMAL = XSD + "decimal"
XSD_BOOLEAN = XSD + "boolean"


def to_rdflib(term: Term) -> rdflib.term.Identifier:
    """The rdflib term for a neutral one (for ckanext-dcat's graphs)."""
    import rdflib

    if isinstance(term, IRI):
        return rdflib.URIRef(term)
    datatype = rdflib.URIRef(term.datatype) if term.datatype else None
    return rdflib.Literal(term.value, lang=term.lang, datatype=datatype)
