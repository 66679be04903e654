"""Streaming RDF writers: neutral triples straight to text, no graph.

Each writer takes the triples of one dataset at a time and writes them at
once, so memory holds one dataset, whatever the catalogue's size.  A run of
triples with the same subject becomes one Turtle block, RDF/XML description
or JSON-LD node; the publisher groups a dataset's triples by subject once
and hands the groups to every format (`write_subjects`).

Speed matters here (benchmarks/README.md): a publish writes every dataset
nine times.  Each writer renders a term once — a predicate, a class, a code
IRI, a literal — and looks the text up after that (`_Renders`: bounded, and
shared by the writers of one format and prefixes, so the pages of a feed
and the feeds of a publish share it); a subject's block is one join of
those texts.  The texts are UTF-8 bytes, encoded once when a term is
rendered: a node is a join of bytes, and no character of it passes through
the encoder again (one Chinese character makes a whole str two bytes a
character, and encoding that str was a tenth of a publish).  Text is
escaped only when a regular expression finds something to escape, and
JSON-LD strings come from the json module's C encoder.  tests/rdf/test_writers.py checks that every format parses (with
rdflib) to the graph the N-Triples output gives, and
tests/rdf/test_writer_bytes.py that the output is byte for byte what it
was.
"""

from __future__ import annotations

import functools
import io
import json
import re
from json.encoder import encode_basestring as _json_string
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Mapping, TextIO

from sdm_schema.rdf.terms import TYPE, Triple

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


class _Renders(dict):
    """Term → its text in one format (UTF-8), made by `render` on first use.

    Bounded, so memory stays flat however long the process runs (a CKAN
    site's): emptied when full, and a long text (a description: one
    dataset's own) is rendered each time rather than kept.  What repeats —
    the vocabulary, codes, a dataset's IRIs and short texts between the
    formats of a feed — is found again long before the dict is emptied.
    """

    LIMIT = 4096
    LONGEST = 512

    def __init__(self, render: Callable[[object], str], encode: bool = True) -> None:
        super().__init__()
        self.render, self.encode = render, encode

    def __missing__(self, term: object) -> bytes:
        text = self.render(term)
        keep = len(text) <= self.LONGEST
        if self.encode:
            text = text.encode("utf-8")
        if keep:
            if len(self) >= self.LIMIT:
                self.clear()
            self[term] = text
        return text


#: (writer class, role, prefixes) → _Renders, shared by equal writers.
_SHARED: dict = {}


def by_subject(triples: Iterable[Triple]) -> list:
    """[(subject, its triples)] for a batch, each subject once, first seen first."""
    groups: dict = {}
    last = group = None
    for triple in triples:
        subject = triple[0]
        if subject != last:  # a run of one subject is looked up once
            group = groups.get(subject)
            if group is None:
                group = groups[subject] = []
            last = subject
        group.append(triple)
    return list(groups.items())


class Writer:
    """Writes to `out`, a text stream (str) or a binary one (UTF-8 bytes)."""

    extension = ""
    media_type = ""
    #: What goes between two nodes' texts, and after the last
    #: (`render` is `between.join(node texts) + tail`).
    between = b""
    tail = b""
    #: What goes between two rendered texts of one document (JSON-LD's
    #: comma between nodes): `separator` gives it before every text but the
    #: first, and the publisher's fragments hold it before every text, so
    #: that the texts of a page lie in one run of bytes.
    lead = b""

    def __init__(self, out: TextIO | BinaryIO, prefixes: Mapping[str, str]) -> None:
        self.out = out
        self.text_out = isinstance(out, io.TextIOBase)
        self.compact = Compactor(prefixes)

    def _renders(self, role: str, make: Callable[[Compactor], Callable], encode: bool = True) -> _Renders:
        """The texts of `role` terms, shared by every writer of this class
        and prefixes, as they render alike; `make(compact)` gives the
        function that renders one (handed this writer's Compactor, never the
        writer, so that the renders keep no file open), as a str to be
        encoded or (`encode` False) as what is kept."""
        key = (type(self), role, tuple(self.compact.prefixes.items()))
        found = _SHARED.get(key)
        if found is None:
            found = _SHARED[key] = _Renders(make(self.compact), encode)
        return found

    def begin(self) -> None:
        pass

    def write(self, triples: Iterable[Triple]) -> None:
        self.write_subjects(by_subject(triples))

    def write_subjects(self, groups: list) -> None:
        """Write [(subject, its triples)], as `by_subject` gives them."""
        self.write_rendered(self.render(groups))

    def render(self, groups: list) -> bytes:
        """The text `write_subjects` writes for these groups (UTF-8),
        standing on its own: the publisher keeps it per dataset and copies
        it into the next publish when the dataset has not changed."""
        node = self.render_node
        return self.between.join([node(subject, group) for subject, group in groups]) + self.tail

    def render_subjects(self, groups: list) -> str:
        """`render` as a str."""
        return self.render(groups).decode("utf-8")

    def render_node(self, subject: str, group: list) -> bytes:
        """One subject's text (a Turtle block, an RDF/XML description, a
        JSON-LD node) in UTF-8: it depends on nothing but its triples, so
        the publisher renders a node the national and international feeds
        of a dataset share once (publish._Renderer)."""
        raise NotImplementedError

    def separator(self, text: str | bytes) -> str:
        """What goes before a rendered `text` at this point of the document
        (JSON-LD's comma between nodes); nothing in the other formats."""
        return ""

    def write_rendered(self, text: str | bytes) -> None:
        """Write text `render` (or `render_subjects`) gave, here or in an earlier run."""
        separator = self.separator(text)
        if separator:
            self.put(separator)
        self.put(text)

    def put(self, text: str | bytes) -> None:
        """Write text or UTF-8 bytes, as `out` takes them."""
        if self.text_out:
            self.out.write(text if isinstance(text, str) else text.decode("utf-8"))
        else:
            self.out.write(text.encode("utf-8") if isinstance(text, str) else text)

    def end(self) -> None:
        pass


# -- N-Triples -----------------------------------------------------------------

_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_NT_SPECIAL = re.compile(r'[\\"\n\r]')


def _nt_term(term: Term, compact: Compactor | None = None, end: str = "") -> str:
    """A term in N-Triples syntax, and `end` after it; Turtle passes its
    prefix compaction for datatypes, the only place the two differ.  One
    function, no helpers: it runs once for every new term."""
    if isinstance(term, str):
        return f"<{term}>{end}"
    value, tag, datatype = term
    text = f'"{value.translate(_NT_ESCAPES)}"' if _NT_SPECIAL.search(value) else f'"{value}"'
    if tag:
        return f"{text}@{tag}{end}"
    if datatype:
        return f"{text}^^{(compact and compact(datatype)) or f'<{datatype}>'}{end}"
    return text + end


class NTriplesWriter(Writer):
    extension = "nt"
    media_type = "application/n-triples"

    def __init__(self, out: TextIO, prefixes: Mapping[str, str]) -> None:
        super().__init__(out, prefixes)
        self._subjects = self._renders("subject", lambda _c: lambda s: f"<{s}> ")
        self._predicates = self._renders("predicate", lambda _c: lambda p: f"<{p}> ")
        # the object and the end of its line
        self._objects = self._renders("object", lambda _c: functools.partial(_nt_term, end=" .\n"))

    def write(self, triples: Iterable[Triple]) -> None:
        self.write_subjects([(None, triples)])  # N-Triples needs no grouping

    def render_node(self, subject: str | None, group: list) -> bytes:
        subjects, predicates, objects = self._subjects, self._predicates, self._objects
        if subject is None:  # `write`'s ungrouped triples: any subject on any line
            parts: list = []
            extend = parts.extend
            for s, p, o in group:
                extend((subjects[s], predicates[p], objects[o]))
            return b"".join(parts)
        if not group:
            return b""
        # one subject: every line starts with it, so it joins the rest
        start = subjects[subject]
        return start + start.join([predicates[p] + objects[o] for _s, p, o in group])


# -- Turtle ----------------------------------------------------------------------


def _ttl_iri(compact: Compactor, iri: str) -> str:
    return compact(iri) or f"<{iri}>"


class TurtleWriter(Writer):
    extension = "ttl"
    media_type = "text/turtle"

    def __init__(self, out: TextIO, prefixes: Mapping[str, str]) -> None:
        super().__init__(out, prefixes)
        # a predicate as written first after its subject
        self._verbs = verbs = self._renders("verb", lambda c: lambda p: "a " if p == TYPE else _ttl_iri(c, p) + " ")
        objects = self._renders("object", lambda c: functools.partial(_nt_term, compact=c))
        # the objects of rdf:type: classes, which have prefixed names
        classes = self._renders("class", lambda c: lambda o: _ttl_iri(c, o) if isinstance(o, str) else _nt_term(o, c))
        # a predicate as written after another's, and the texts of its objects
        self._steps = self._renders(
            "step", lambda _c: lambda p: (b" ;\n    " + verbs[p], classes if p == TYPE else objects), encode=False
        )

    def begin(self) -> None:
        self.put("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in self.compact.prefixes.items()))
        self.put("\n")

    between = tail = b"\n"

    def render_node(self, subject: str, group: list) -> bytes:
        # The hottest loop of a publish: every term's text is looked up.
        steps = self._steps
        parts = [f"<{subject}> ".encode()]
        last = objects = None
        for _s, predicate, obj in group:
            if predicate == last:
                parts.append(b" , ")
            else:
                verb, objects = steps[predicate]
                parts.append(verb)
                last = predicate
            parts.append(objects[obj])
        if group:  # the first predicate follows the subject, not a ";"
            parts[1] = self._verbs[group[0][1]]
        parts.append(b" .\n")
        return b"".join(parts)


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


def _xml_object(term: Term) -> str:
    """A property element's text after its opening tag's name: the whole
    rest of an empty element for an IRI, up to the closing tag for a literal."""
    if isinstance(term, str):
        return f' rdf:resource="{_xml_attr(term)}"/>\n'
    value, tag, datatype = term
    if tag:
        return f' xml:lang="{tag}">{_xml_text(value)}'
    if datatype:
        return f' rdf:datatype="{_xml_attr(datatype)}">{_xml_text(value)}'
    return f">{_xml_text(value)}"


def _xml_tags(compact: Compactor, predicate: str) -> tuple:
    """A predicate's opening (indented, unclosed) and closing tag, UTF-8."""
    tag = compact(predicate)
    if not tag:
        raise ValueError(f"RDF/XML needs a declared namespace for predicate {predicate}")
    return (f"    <{tag}".encode(), f"</{tag}>\n".encode())


class RdfXmlWriter(Writer):
    extension = "rdf"
    media_type = "application/rdf+xml"

    def __init__(self, out: TextIO, prefixes: Mapping[str, str]) -> None:
        super().__init__(out, prefixes)
        self._tags = self._renders("tag", lambda c: lambda p: _xml_tags(c, p), encode=False)
        self._objects = self._renders("object", lambda _c: _xml_object)

    def begin(self) -> None:
        namespaces = " ".join(f'xmlns:{p}="{ns}"' for p, ns in self.compact.prefixes.items())
        self.put(f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF {namespaces}>\n')

    def render_node(self, subject: str, group: list) -> bytes:
        tags, objects = self._tags, self._objects
        chunks = [f'  <rdf:Description rdf:about="{_xml_attr(subject)}">\n'.encode()]
        append, extend = chunks.append, chunks.extend
        for _s, predicate, term in group:
            opening, closing = tags[predicate]
            if isinstance(term, str):  # an IRI: an empty element
                extend((opening, objects[term]))
            else:
                extend((opening, objects[term], closing))
        append(b"  </rdf:Description>\n")
        return b"".join(chunks)

    def end(self) -> None:
        self.put("</rdf:RDF>\n")


# -- JSON-LD ---------------------------------------------------------------------


def _json_key(compact: Compactor, iri: str) -> str:
    """A vocabulary term as a JSON string (a prefixed name if it has one)."""
    return _json_string(compact(iri) or iri)


def _json_value(compact: Compactor, term: Term) -> str:
    """An object as a JSON-LD value; `compact` names datatypes."""
    if isinstance(term, str):  # an IRI
        return '{"@id": ' + _json_string(term) + "}"
    text, tag, datatype = term
    if tag:
        return '{"@value": ' + _json_string(text) + ', "@language": ' + _json_string(tag) + "}"
    if datatype:
        return '{"@value": ' + _json_string(text) + ', "@type": ' + _json_key(compact, datatype) + "}"
    return _json_string(text)


class JsonLdWriter(Writer):
    """Compact JSON-LD: one @graph of node objects, keys as prefixed names."""

    extension = "jsonld"
    media_type = "application/ld+json"

    def __init__(self, out: TextIO, prefixes: Mapping[str, str]) -> None:
        super().__init__(out, prefixes)
        self._keys = self._renders("key", lambda c: functools.partial(_json_key, c))
        self._members = self._renders(
            "member", lambda c: lambda p: ', "@type": [' if p == TYPE else f", {_json_key(c, p)}: ["
        )
        self._values = self._renders("value", lambda c: functools.partial(_json_value, c))
        self._first = True

    def begin(self) -> None:
        context = {("@vocab" if not p else p): ns for p, ns in self.compact.prefixes.items()}
        self.put('{"@context": ' + json.dumps(context) + ',\n"@graph": [\n')
        self._first = True

    between = lead = b",\n"

    def render_node(self, subject: str, group: list) -> bytes:
        keys, members, values = self._keys, self._members, self._values
        # predicate → its value, or its values once it has more than one
        properties: dict = {}
        for _s, predicate, term in group:
            value = keys[term] if predicate == TYPE else values[term]
            found = properties.get(predicate)
            if found is None:
                properties[predicate] = value
            elif isinstance(found, list):
                found.append(value)
            else:
                properties[predicate] = [found, value]
        parts = [b'{"@id": ' + _json_string(subject).encode("utf-8")]
        extend = parts.extend
        for p, found in properties.items():
            extend((members[p], found if isinstance(found, bytes) else b", ".join(found), b"]"))
        parts.append(b"}")
        return b"".join(parts)

    def separator(self, text: str | bytes) -> str:
        if not text:
            return ""
        first, self._first = self._first, False
        return "" if first else self.lead.decode()

    def end(self) -> None:
        self.put("\n]}\n")


WRITERS = {w.extension: w for w in (TurtleWriter, RdfXmlWriter, JsonLdWriter, NTriplesWriter)}
