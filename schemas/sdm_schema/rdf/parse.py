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

A rule that cannot read its part of a dataset (a malformed literal, an
unreadable related node) costs that field only: the dataset comes out with a
quality flag naming the field.  Remote JSON-LD contexts are served from the
copies in contexts/ (schema.org, DCAT-AP, project-open-data); any other one
is refused with a message naming it, since parsing never goes to the network.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import pyoxigraph
import yaml

from sdm_schema import lang
from sdm_schema.rdf import dcat
from sdm_schema.rdf.mapping import sorted_objects
from sdm_schema.rdf.namespaces import DCAT, DCT, HYDRA, RDF
from sdm_schema.rdf.terms import IRI
from sdm_schema.rdf.triples import Triples

if TYPE_CHECKING:
    from sdm_schema.rdf.mapping import Rule
    from sdm_schema.rdf.triples import Node

#: Format names and media types → short format names (rdflib's, which
#: ckanext-dcat also takes).
FORMATS = {
    "ttl": "turtle",
    "turtle": "turtle",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "n3": "n3",
    "text/n3": "n3",
    "nt": "nt",
    "ntriples": "nt",
    "n-triples": "nt",
    "application/n-triples": "nt",
    "rdf": "xml",
    "xml": "xml",
    "rdf/xml": "xml",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "jsonld": "json-ld",
    "json-ld": "json-ld",
    "application/ld+json": "json-ld",
    "json": "json-ld",
    "application/json": "json-ld",
}

_PARSERS = {
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "n3": pyoxigraph.RdfFormat.N3,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    "xml": pyoxigraph.RdfFormat.RDF_XML,
    "json-ld": pyoxigraph.RdfFormat.JSON_LD,
}


class ParseError(ValueError):
    """The document is not RDF in the format it claims, or is refused."""


@dataclass
class Page:
    datasets: list[dict]
    next_url: str | None
    #: predicates of the page's datasets that no rule reads: {IRI: datasets}
    unmapped: Counter = field(default_factory=Counter)


_CONTEXTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contexts")


@functools.cache
def _context_files() -> dict:
    with open(os.path.join(_CONTEXTS, "contexts.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.cache
def shipped_context(url: str) -> Any:
    """The `@context` value of a shipped remote context; ParseError for any
    other URL."""
    name = _context_files().get(url.strip())
    if name is None:
        known = sorted({u.split("://", 1)[1].split("/", 1)[0] for u in _context_files()})
        raise ParseError(
            f"JSON-LD: remote context {url} is not one of those shipped with the parser "
            f"({', '.join(known)}); the parser never fetches contexts — inline it in the document"
        )
    opener = gzip.open if name.endswith(".gz") else open
    with opener(os.path.join(_CONTEXTS, name), "rt", encoding="utf-8") as f:
        return json.load(f)["@context"]


def inline_contexts(node: Any) -> Any:
    """The JSON-LD document with every remote `@context` replaced by its
    shipped copy (nested and scoped contexts too)."""
    if isinstance(node, list):
        return [inline_contexts(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "@context":
            items = value if isinstance(value, list) else [value]
            items = [shipped_context(v) if isinstance(v, str) else inline_contexts(v) for v in items]
            out[key] = items if isinstance(value, list) else items[0]
        else:
            out[key] = inline_contexts(value)
    return out


def _jsonld(data: bytes) -> bytes:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except ValueError as error:
        raise ParseError(f"cannot parse JSON-LD: not JSON: {error}") from None
    return json.dumps(inline_contexts(document), ensure_ascii=False).encode("utf-8")


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
        raise ParseError(
            "refused RDF/XML: the document declares entities, as in entity-expansion or external-entity attacks"
        )


def load_triples(data: bytes | str, format: str, base_url: str | None = None) -> Triples:
    """One RDF document (bytes or str), indexed.  Named graphs are refused:
    DCAT catalogues have none, and N3 formulas (parsed as named graphs) are
    quoted, not asserted."""
    name = format_name(format)
    data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if name == "xml":
        _refuse_entities(data)
    if name == "json-ld":
        data = _jsonld(data)
    try:
        return Triples(pyoxigraph.parse(data, _PARSERS[name], base_iri=base_url, without_named_graphs=True))
    except (SyntaxError, ValueError) as error:
        raise ParseError(f"cannot parse {format}: {error}") from error


#: Predicates read outside the rules, never reported as unmapped.
_READ_ELSEWHERE = {RDF + "type", DCT + "identifier"}


@functools.lru_cache(maxsize=1)
def mapped_predicates() -> frozenset:
    """The dataset predicates some rule reads."""
    return (
        frozenset(str(rule.predicate) for rule in dcat.rules() if getattr(rule, "predicate", None))
        | frozenset(str(p) for p in dcat.DatesRule.terms.values())
        | _READ_ELSEWHERE
    )


def _read(rule: Rule, triples: Triples, subject: Node, out: dict) -> None:
    """One rule's part of a dataset; a failure flags its fields only."""
    try:
        rule.read(triples, subject, out)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        for name in rule.fields or ("dataset",):
            dcat.flag(out, name, f"unreadable in the source: {type(error).__name__}: {error}")


_TEXTS = ("title_translated", "notes_translated", "keywords_translated", "alternative_title")


def _settle_undetermined(out: dict) -> None:
    """Untagged texts too short to tell on their own (a title) take the
    language the dataset's untagged texts read as together."""
    texts = []
    for name in _TEXTS:
        value = (out.get(name) or {}).get(lang.UNDETERMINED)
        texts.extend(value if isinstance(value, list) else [value] if value else [])
    if not texts:
        return
    found = lang.guess("\n".join(texts))
    if found == lang.UNDETERMINED:
        return
    for name in _TEXTS:
        value = out.get(name)
        if value and lang.UNDETERMINED in value and found not in value:
            value[found] = value.pop(lang.UNDETERMINED)


def datasets(triples: Triples, unmapped: Counter | None = None) -> Iterator[dict]:
    """Every dcat:Dataset in a document as an SDM dataset dict, in IRI order.

    A blank-node dataset has no `uri`; its dct:identifier is kept as
    `source_identifier` (whatever its form), so it can still be identified.
    `unmapped` counts the predicates no rule reads.
    """
    rules = dcat.rules()
    for subject in sorted(set(triples.subjects(RDF + "type", IRI(DCAT + "Dataset")))):
        if unmapped is not None:
            unmapped.update(set(triples.predicates(subject)) - mapped_predicates())
        yield dataset(triples, subject, rules)


def dataset(triples: Triples, subject: Node, rules: Iterable[Rule]) -> dict:
    """One dcat:Dataset as an SDM dataset dict (our harvester's reader and
    the CKAN profiles' parse_dataset, for ckanext-dcat's RDF harvester)."""
    out: dict = {}
    if isinstance(subject, IRI):
        out["uri"] = str(subject)
    identifiers = sorted_objects(triples, subject, DCT + "identifier")
    if identifiers:
        out["source_identifier"] = str(identifiers[0]).strip()
    for rule in rules:
        _read(rule, triples, subject, out)
    _settle_undetermined(out)
    return out


def next_page(triples: Triples) -> str | None:
    """hydra:next (or the deprecated hydra:nextPage) of a paged catalogue."""
    for predicate in ("next", "nextPage"):
        for value in triples.objects(None, HYDRA + predicate):
            return str(value)
    return None


def read_page(data: bytes | str, format: str, base_url: str | None = None) -> Page:
    """One page of a DCAT catalogue: its datasets and the next page's URL."""
    triples = load_triples(data, format, base_url)
    unmapped: Counter = Counter()
    return Page(list(datasets(triples, unmapped)), next_page(triples), unmapped)


def iter_datasets(data: bytes | str, format: str, base_url: str | None = None) -> Iterator[dict]:
    """The datasets of one RDF document (bytes or str)."""
    return datasets(load_triples(data, format, base_url))
