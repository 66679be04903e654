"""Streaming RDF writers: neutral triples straight to text, no graph.

Each writer takes the triples of one dataset at a time and writes them at
once, so memory holds one dataset, whatever the catalogue's size.  A run of
triples with the same subject becomes one Turtle block, RDF/XML description
or JSON-LD node; the publisher groups a dataset's triples by subject once
and hands the groups to every format (`write_subjects`).

Speed matters here (benchmarks/README.md): text is escaped only when a
regular expression finds something to escape, and JSON-LD is written with
the json module's C string encoder rather than json.dumps per node.  tests/rdf/test_writers.py checks that every format parses
(with rdflib) to the graph the N-Triples output gives.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring as _json_string
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, TextIO

from sdm_schema.rdf.terms import IRI, TYPE, Triple

if TYPE_CHECKING:
    from sdm_schema.rdf.terms import Term

_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*$")  # matched from the namespace's end


class Compactor:
    """Vocabulary IRIs (predicates, classes, datatypes) to prefixed names.

    Only terms of a vocabulary are asked for, a small set, so every answer
    is cached; subjects and objects are written as full IRIs.  A prefix ""
    is a JSON-LD @vocab: its terms are written bare.
    """

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = dict(prefixes)
        self._namespaces = {ns: prefix for prefix, ns in self.prefixes.items()}
        self._cache: dict = {}

    def __call__(self, iri: str) -> str | None:
        try:
            return self._cache[iri]
        except KeyError:
            cut = max(iri.rfind("/"), iri.rfind("#")) + 1
            prefix = self._namespaces.get(iri[:cut])
            found = None
            if prefix is not None and _LOCAL.match(iri, cut):
                found = f"{prefix}:{iri[cut:]}" if prefix else iri[cut:]
            self._cache[iri] = found
            return found


def by_subject(triples: Iterable[Triple]) -> list:
    """[(subject, its triples)] for a batch, each subject once, first seen first."""
    groups: dict = {}
    for triple in triples:
        groups.setdefault(triple[0], []).append(triple)
    return list(groups.items())


class Writer:
    extension = ""
    media_type = ""

    def __init__(self, out: TextIO, prefixes: Mapping[str, str]) -> None:
        self.out = out
        self.compact = Compactor(prefixes)

    def begin(self) -> None:
        pass

    def write(self, triples: Iterable[Triple]) -> None:
        self.write_subjects(by_subject(triples))

    def write_subjects(self, groups: list) -> None:
        """Write [(subject, its triples)], as `by_subject` gives them."""
        self.write_rendered(self.render_subjects(groups))

    def render_subjects(self, groups: list) -> str:
        """The text `write_subjects` writes for these groups, standing on its
        own: the publisher keeps it per dataset and copies it into the next
        publish when the dataset has not changed."""
        raise NotImplementedError

    def separator(self, text: str) -> str:
        """What goes before a rendered `text` at this point of the document
        (JSON-LD's comma between nodes); nothing in the other formats."""
        return ""

    def write_rendered(self, text: str) -> None:
        """Write text `render_subjects` gave, here or in an earlier run."""
        self.out.write(self.separator(text) + text)

    def end(self) -> None:
        pass


# -- N-Triples -----------------------------------------------------------------

_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_NT_SPECIAL = re.compile(r'[\\"\n\r]')


def _nt_string(text: str) -> str:
    return '"' + (text.translate(_NT_ESCAPES) if _NT_SPECIAL.search(text) else text) + '"'


def _full_iri(iri: str) -> str:
    return f"<{iri}>"


def _nt_term(term: Term, datatype_ref: Callable[[str], str] = _full_iri) -> str:
    """A term in N-Triples syntax; Turtle passes its prefix compaction for
    datatypes, the only place the two differ."""
    if isinstance(term, IRI):
        return f"<{term}>"
    text = _nt_string(term.value)
    if term.lang:
        return f"{text}@{term.lang}"
    if term.datatype:
        return f"{text}^^{datatype_ref(term.datatype)}"
    return text


class NTriplesWriter(Writer):
    extension = "nt"
    media_type = "application/n-triples"

    def write(self, triples: Iterable[Triple]) -> None:
        self.out.write(self._lines(triples))

    @staticmethod
    def _lines(triples: Iterable[Triple]) -> str:
        return "".join([f"<{s}> <{p}> {_nt_term(o)} .\n" for s, p, o in triples])

    def render_subjects(self, groups: list) -> str:
        return self._lines(triple for _subject, group in groups for triple in group)


# -- Turtle ----------------------------------------------------------------------


class TurtleWriter(Writer):
    extension = "ttl"
    media_type = "text/turtle"

    def __init__(self, out: TextIO, prefixes: Mapping[str, str]) -> None:
        super().__init__(out, prefixes)
        self._verbs: dict = {}

    def begin(self) -> None:
        self.out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in self.compact.prefixes.items()))
        self.out.write("\n")

    def _iri(self, iri: str) -> str:
        return self.compact(iri) or f"<{iri}>"

    def _term(self, term: Term) -> str:
        return _nt_term(term, self._iri)

    def _verb(self, predicate: str) -> str:
        """A predicate as written before its objects, cached: there are few."""
        found = self._verbs.get(predicate)
        if found is None:
            found = self._verbs[predicate] = "a " if predicate == TYPE else self._iri(predicate) + " "
        return found

    def render_subjects(self, groups: list) -> str:
        # One pass over the triples, runs of a predicate kept in order; the
        # hottest loop of a publish, so terms are written inline.
        verb, compact, special = self._verb, self._iri, _NT_SPECIAL.search
        chunks = []
        for subject, group in groups:
            parts = [f"<{subject}> "]
            last = None
            for _s, predicate, obj in group:
                if predicate == last:
                    parts.append(" , ")
                else:
                    if last is not None:
                        parts.append(" ;\n    ")
                    parts.append(verb(predicate))
                    last = predicate
                if isinstance(obj, str):  # an IRI; classes are a vocabulary's terms
                    parts.append(compact(obj) if predicate == TYPE else f"<{obj}>")
                    continue
                value, tag, datatype = obj
                text = f'"{value.translate(_NT_ESCAPES)}"' if special(value) else f'"{value}"'
                if tag:
                    text = f"{text}@{tag}"
                elif datatype:
                    text = f"{text}^^{compact(datatype)}"
                parts.append(text)
            parts.append(" .\n")
            chunks.append("".join(parts))
        return "\n".join(chunks) + "\n"


# -- RDF/XML ---------------------------------------------------------------------

_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
# Characters XML 1.0 cannot hold at all, even escaped.
_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
_XML_FORBIDDEN = re.compile(f"[{_FORBIDDEN}]")
_XML_TEXT_SPECIAL = re.compile(f"[&<>{_FORBIDDEN}]")
_XML_ATTR_SPECIAL = re.compile(f'[&<>"{_FORBIDDEN}]')


def _xml_text(text: str) -> str:
    if not _XML_TEXT_SPECIAL.search(text):
        return text
    return _XML_FORBIDDEN.sub("", text).translate(_XML_TEXT)


def _xml_attr(text: str) -> str:
    if not _XML_ATTR_SPECIAL.search(text):
        return text
    return _XML_FORBIDDEN.sub("", text).translate(_XML_ATTR)


class RdfXmlWriter(Writer):
    extension = "rdf"
    media_type = "application/rdf+xml"

    def __init__(self, out: TextIO, prefixes: Mapping[str, str]) -> None:
        super().__init__(out, prefixes)
        self._tags: dict = {}

    def begin(self) -> None:
        namespaces = " ".join(f'xmlns:{p}="{ns}"' for p, ns in self.compact.prefixes.items())
        self.out.write(f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF {namespaces}>\n')

    def _qname(self, iri: str) -> str:
        qname = self.compact(iri)
        if not qname:
            raise ValueError(f"RDF/XML needs a declared namespace for predicate {iri}")
        return qname

    def _tag(self, predicate: str) -> tuple:
        """A predicate's opening (indented, unclosed) and closing tag, cached."""
        found = self._tags.get(predicate)
        if found is None:
            tag = self._qname(predicate)
            found = self._tags[predicate] = (f"    <{tag}", f"</{tag}>\n")
        return found

    def render_subjects(self, groups: list) -> str:
        tag_of, attr, text_of = self._tag, _xml_attr, _xml_text
        chunks = []
        for subject, group in groups:
            chunks.append(f'  <rdf:Description rdf:about="{attr(subject)}">\n')
            for _s, predicate, term in group:
                opening, closing = tag_of(predicate)
                if isinstance(term, str):  # an IRI
                    chunks.append(f'{opening} rdf:resource="{attr(term)}"/>\n')
                    continue
                value, tag, datatype = term
                if tag:
                    chunks.append(f'{opening} xml:lang="{tag}">{text_of(value)}{closing}')
                elif datatype:
                    chunks.append(f'{opening} rdf:datatype="{attr(datatype)}">{text_of(value)}{closing}')
                else:
                    chunks.append(f"{opening}>{text_of(value)}{closing}")
            chunks.append("  </rdf:Description>\n")
        return "".join(chunks)

    def end(self) -> None:
        self.out.write("</rdf:RDF>\n")


# -- JSON-LD ---------------------------------------------------------------------


class JsonLdWriter(Writer):
    """Compact JSON-LD: one @graph of node objects, keys as prefixed names."""

    extension = "jsonld"
    media_type = "application/ld+json"

    def begin(self) -> None:
        context = {("@vocab" if not p else p): ns for p, ns in self.compact.prefixes.items()}
        self.out.write('{"@context": ' + json.dumps(context) + ',\n"@graph": [\n')
        self._first = True
        self._keys: dict = {}

    def _key(self, iri: str) -> str:
        """A vocabulary term as a JSON string (a prefixed name if it has one);
        cached, as there are few."""
        try:
            return self._keys[iri]
        except KeyError:
            self._keys[iri] = found = _json_string(self.compact(iri) or iri)
            return found

    def render_subjects(self, groups: list) -> str:
        keys, key_of, string = self._keys, self._key, _json_string
        nodes = []
        for subject, group in groups:
            properties: dict = {}
            for _s, predicate, term in group:
                if predicate == TYPE:
                    properties.setdefault('"@type"', []).append(keys.get(term) or key_of(term))
                    continue
                if isinstance(term, str):  # an IRI
                    value = '{"@id": ' + string(term) + "}"
                else:
                    text, tag, datatype = term
                    if tag:
                        value = '{"@value": ' + string(text) + ', "@language": ' + string(tag) + "}"
                    elif datatype:
                        value = (
                            '{"@value": '
                            + string(text)
                            + ', "@type": '
                            + (keys.get(datatype) or key_of(datatype))
                            + "}"
                        )
                    else:
                        value = string(text)
                properties.setdefault(keys.get(predicate) or key_of(predicate), []).append(value)
            members = "".join(f", {key}: [{', '.join(values)}]" for key, values in properties.items())
            nodes.append('{"@id": ' + string(subject) + members + "}")
        return ",\n".join(nodes)

    def separator(self, text: str) -> str:
        if not text:
            return ""
        first, self._first = self._first, False
        return "" if first else ",\n"

    def end(self) -> None:
        self.out.write("\n]}\n")


WRITERS = {w.extension: w for w in (TurtleWriter, RdfXmlWriter, JsonLdWriter, NTriplesWriter)}
