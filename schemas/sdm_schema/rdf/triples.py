"""The triples of one parsed RDF document, indexed for the mapping rules.

The rules read a document through three look-ups (`objects`, `value`,
`subjects`) that return the neutral terms they write (terms.IRI,
terms.Literal), so one rule definition writes a field and reads it back.
Filling an rdflib graph instead took most of a harvest's parse time
(benchmarks/harvest).  One document is one page of a catalogue: the index
lives while that page is mapped.
"""

from __future__ import annotations

from typing import Iterable

import pyoxigraph

from sdm_schema.rdf.namespaces import XSD
from sdm_schema.rdf.terms import IRI, Literal

_XSD_STRING = XSD + "string"


class Blank(str):
    """A blank node, named "_:b" + its number in the document: no IRI
    starts so, so the two never meet as keys of the index."""

    __slots__ = ()


Node = IRI | Blank | Literal


def term(node: object, blanks: dict[str, Blank]) -> Node | None:
    """The neutral term for a pyoxigraph one; None for an RDF 1.2 triple
    term, which no DCAT property takes.

    pyoxigraph names anonymous blank nodes at random; `blanks` numbers them
    in document order instead, so that a page parses to the same datasets
    every time (the rules sort by node, the harvester compares records).
    """
    kind = type(node)
    if kind is pyoxigraph.NamedNode:
        return IRI(node.value)
    if kind is pyoxigraph.BlankNode:
        name = blanks.get(node.value)
        if name is None:
            name = blanks[node.value] = Blank(f"_:b{len(blanks)}")
        return name
    if kind is not pyoxigraph.Literal:
        return None
    if node.language:
        return Literal(node.value, node.language)
    datatype = node.datatype.value
    return Literal(node.value, None, None if datatype == _XSD_STRING else datatype)


class Triples:
    """Subject → predicate → objects, each list in document order."""

    def __init__(self, quads: Iterable[pyoxigraph.Quad]) -> None:
        index: dict[Node, dict[str, list[Node]]] = {}
        blanks: dict[str, Blank] = {}
        last, predicates = None, None
        for quad in quads:
            obj = term(quad.object, blanks)
            if obj is None:
                continue
            # Turtle groups a subject's triples: convert it once per group
            if quad.subject != last:
                last = quad.subject
                predicates = index.setdefault(term(last, blanks), {})
            predicates.setdefault(quad.predicate.value, []).append(obj)
        self._index = index

    def objects(self, subject: Node | None, predicate: str) -> tuple:
        """The objects of `subject` under `predicate`; of every subject when
        `subject` is None."""
        if subject is None:
            return tuple(o for predicates in self._index.values() for o in predicates.get(predicate, ()))
        return tuple(self._index.get(subject, {}).get(predicate, ()))

    def value(self, subject: Node, predicate: str) -> Node | None:
        """The first object of `subject` under `predicate`, or None."""
        found = self._index.get(subject, {}).get(predicate)
        return found[0] if found else None

    def predicates(self, subject: Node) -> list:
        """The predicates `subject` has, in document order."""
        return list(self._index.get(subject, {}))

    def subjects(self, predicate: str, obj: Node) -> list:
        """The subjects that have `obj` under `predicate`, in document order.

        A scan of every subject: the parser asks once per page (which nodes
        are datasets), so a second index would cost more than it saves.
        """
        return [s for s, predicates in self._index.items() if obj in predicates.get(predicate, ())]
