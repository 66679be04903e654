"""The mapping machinery: rules that turn dataset fields into triples and back.

A profile is a list of rules.  Most rules are one `ValueRule` per field,
whose shape of value (the field's `kind`, an object of sdm_schema.kinds)
decides how it becomes RDF terms and how it is read back, so a field added to the schema
needs one line here, not a new serialiser and a new parser.  Fields with a
structure of their own (publisher, contact point, identifiers, fees,
distributions) have a rule class each, in `dcat` and `schemaorg`.

Rules yield neutral triples (`terms`) when writing and read the same terms
back from a parsed document (`triples.Triples`) when parsing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from sdm_schema import disclosure, lang
from sdm_schema.codelist import CodeList
from sdm_schema.loader import Field, codelist, dataset_field
from sdm_schema.rdf.namespaces import DCAT, DCT, EU_AUTHORITY, FOAF, SKOS
from sdm_schema.rdf.terms import (
    IRI,
    TYPE,
    Literal,
    Triple,
)

if TYPE_CHECKING:
    from datetime import date

    from sdm_schema.rdf.triples import Node, Triples


@dataclass
class Context:
    """What rules need besides the record: the profile, IRIs, the decision."""

    profile: Profile
    dataset_iri: IRI
    base_url: str
    decision: disclosure.Decision

    def node(self, name: str) -> IRI:
        """The IRI of a node that belongs to the dataset (no blank nodes)."""
        return IRI(f"{self.dataset_iri}#{name}")


class Rule:
    """Writes some fields of a dataset as triples and reads them back."""

    #: The dataset fields this rule answers for (a test checks that every
    #: SDM field has a rule in the national profile).
    fields: tuple = ()
    #: The code lists whose IRIs the rule writes (described once per page).
    code_lists: tuple = ()
    #: False for fields no feed ever carries (the round-trip test reads it).
    published: bool = True

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        raise NotImplementedError

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        """Add the fields found for `subject` in a parsed document
        (`triples.Triples`) to `out`."""


@dataclass(frozen=True)
class Profile:
    name: str
    audience: str
    rules: tuple
    prefixes: Mapping[str, str]
    #: Write codes as EU authority IRIs where the code list names one.
    eu_codes: bool = False
    #: Turns the record the audience sees into the record written (e.g. the
    #: English fallback of the international profile).
    prepare: Callable[[dict], dict] | None = None
    dataset_class: str = ""
    #: The catalogue's own triples, from catalog_info (catalog.py).
    catalog: Callable[[Mapping], Iterable[Triple]] = lambda info: ()
    #: The predicate linking the catalogue to each of its datasets.
    dataset_link: str = ""
    #: Write the code lists as SKOS beside the datasets (DCAT profiles).
    describe_codes: bool = True


def dataset_iri(record: Mapping, base_url: str) -> IRI:
    """The dataset's IRI: its `uri` when harvested with one, else its page."""
    if record.get("uri"):
        return IRI(record["uri"])
    return IRI(f"{base_url.rstrip('/')}/dataset/{record.get('id') or record['name']}")


def dataset_triples(
    record: Mapping, profile: Profile, base_url: str, today: date | None = None
) -> tuple[IRI | None, list]:
    """The triples the profile's audience may see of one dataset.

    Returns (None, []) when the audience may not see the dataset at all:
    nothing of it, not even its IRI, may be written then.
    """
    decision = disclosure.decide(record, profile.audience, today)
    if not decision.visible:
        return None, []
    seen = disclosure.shown(record, decision)  # decided once
    if profile.prepare:
        seen = profile.prepare(seen)
    subject = dataset_iri(seen, base_url)
    ctx = Context(profile, subject, base_url, decision)
    out = [(subject, TYPE, IRI(profile.dataset_class))]
    get, eu = seen.get, profile.eu_codes
    for rule, name, predicate, terms, field in _plan(profile.rules):
        if rule is not None:
            out.extend(rule.triples(subject, seen, ctx))
        else:  # a plain ValueRule, its `triples` written out here
            value = get(name)
            if value not in _EMPTY:
                out.extend([(subject, predicate, term) for term in terms(field, value, eu)])
    return subject, out


#: rules → their plan (`_plan`), kept with the rules it was made of
_PLANS: dict = {}


def _plan(rules: tuple) -> tuple:
    """The profile's rules, each plain ValueRule (no range class, its own
    `triples`) as (None, field name, predicate, the kind's terms, field)
    and every other as (rule, None, None, None, None): every dataset runs
    some thirty ValueRules a profile, and a method call each was a tenth of
    the mapping."""
    found = _PLANS.get(id(rules))
    if found is None or found[0] is not rules:
        plan = tuple(
            (None, rule.name, rule.predicate, rule._terms, rule.field)
            if type(rule) is ValueRule and rule.range_class is None
            else (rule, None, None, None, None)
            for rule in rules
        )
        found = _PLANS[id(rules)] = (rules, plan)
    return found[1]


# -- codes --------------------------------------------------------------------


@functools.cache
def code_iri(list_name: str, code: str, eu: bool) -> IRI:
    """A code's IRI: the EU authority's when asked for and known, else ours."""
    item = codelist(list_name)[code]
    if eu:
        for key, (base, _cls) in EU_AUTHORITY.items():
            if item.get(key):
                return IRI(base + item.get(key))
    return IRI(item.uri)


@functools.cache
def _codes_by_iri(list_name: str) -> Mapping[str, str]:
    """Our IRIs and the EU authority IRIs of a list, each to its code.

    Where two codes share an EU IRI (zh-Hans and zh-Hant are both ZHO), the
    first listed wins.
    """
    out = {}
    for item in codelist(list_name):
        out.setdefault(item.uri, item.code)
        for key, (base, _cls) in EU_AUTHORITY.items():
            if item.get(key):
                out.setdefault(base + item.get(key), item.code)
    return out


def code_of(cl: CodeList, term: Node) -> str | None:
    """The code an RDF object stands for: one of our IRIs, an EU one, a label."""
    if isinstance(term, Literal):
        return cl.lookup(str(term))
    return _codes_by_iri(cl.name).get(str(term))


def vocabulary_triples(list_names: Iterable[str], eu: bool) -> Iterator[Triple]:
    """The code lists as SKOS concept schemes, once per page of a feed.

    Written beside the datasets so that every code IRI a dataset uses is
    typed and labelled in both languages (DCAT-AP's range shapes ask for a
    skos:Concept behind dcat:theme, a dct:Frequency behind
    dct:accrualPeriodicity …).  EU authority IRIs get their class only: the
    EU publishes their labels.
    """
    for name in list_names:
        cl = codelist(name)
        scheme = IRI(cl.uri)
        yield scheme, TYPE, IRI(SKOS + "ConceptScheme")
        for tag, text in cl.scheme_title.items():
            yield scheme, IRI(DCT + "title"), Literal(text, tag)
        for item in cl:
            concept = IRI(item.uri)
            yield concept, TYPE, IRI(SKOS + "Concept")
            yield concept, IRI(SKOS + "inScheme"), scheme
            yield concept, IRI(SKOS + "notation"), Literal(item.code)
            for tag, text in item.label.items():
                yield concept, IRI(SKOS + "prefLabel"), Literal(text, tag)
            for key, (base, cls) in EU_AUTHORITY.items():
                if item.get(key):
                    eu_iri = IRI(base + item.get(key))
                    yield concept, IRI(SKOS + "exactMatch"), eu_iri
                    yield concept, TYPE, IRI(cls)
                    if eu:
                        yield eu_iri, TYPE, IRI(cls)


# -- values, by the kind of field ---------------------------------------------


# Detecting the script (opencc) is the costliest step of mapping; a record's
# texts are written once per profile and names repeat between records.
# Bounded, so memory stays flat.
@functools.lru_cache(maxsize=4096)
def text_literal(text: str) -> Literal:
    """A free-text literal: tagged by its script when it is Chinese.

    Text without Han characters stays untagged: codes, names and numbers
    are no language, and guessing English for them would be wrong as often
    as right.
    """
    text = str(text)
    return Literal(text, lang.detect(text)) if lang.has_han(text) else Literal(text)


def tagged(text: str, tag: str | None) -> Literal:
    """A literal in its language; `und` (undetermined) is written untagged."""
    # the tuple made directly: Literal(...) runs a Python-level __new__, and
    # every translated text of every dataset comes here
    return _new_tuple(Literal, (str(text), None if tag == lang.UNDETERMINED else tag, None))


_new_tuple = tuple.__new__


def translated_literals(value: Mapping) -> list:
    return [tagged(text, tag) for tag, text in (value or {}).items() if text]


def unit_node(record: Mapping, base_url: str) -> tuple[IRI, list, Mapping] | None:
    """The responsible unit as every profile writes it: its IRI (its page in
    the catalogue), its names (translated, else CKAN's core title, name or
    id: every profile requires one) and the organisation dict; None when the
    record names no unit."""
    org = record.get("organization") or {}
    org_id = record.get("owner_org") or org.get("id")
    if not org_id:
        return None
    names = list(translated_literals(org.get("title_translated"))) or [
        text_literal(org.get("title") or org.get("name") or org_id)
    ]
    return IRI(f"{base_url.rstrip('/')}/organization/{org_id}"), names, org


def literal_lang(term: Literal) -> str:
    """The catalogue's tag for a literal: its own (BCP 47, case normalised),
    or a guess for an untagged one."""
    return lang.canonical_tag(term.lang) or lang.guess(str(term))


def field_value(field: Field, objects: list) -> Any:
    """A field's value from the RDF objects found for it, as its kind reads
    them; None if none fit."""
    return field.kind_type.read(field, objects) if objects else None


def sorted_objects(triples: Triples, subject: Node | None, predicate: str) -> list:
    """Objects in a stable order, so that a parse gives the same dict twice."""
    return sorted(triples.objects(subject, predicate), key=str)


#: The class DCAT-AP requires of an IRI object of a predicate (sh:class in
#: its shapes): the object is typed with it where it is written.
RANGE_CLASSES = {IRI(DCAT + "landingPage"): IRI(FOAF + "Document")}


#: What an empty field holds (a constant: written in place, the list and
#: dict would be made again at every look-up).
_EMPTY = (None, "", [], {})


@dataclass
class ValueRule(Rule):
    """One field, one predicate, the value written by the field's kind."""

    name: str
    predicate: IRI

    def __post_init__(self) -> None:
        self.fields = (self.name,)
        self.field = dataset_field(self.name)
        self.code_lists = (self.field.codelist_name,) if self.field.codelist_name else ()
        self.range_class = RANGE_CLASSES.get(self.predicate)

    @functools.cached_property
    def _terms(self) -> Callable[[Field, Any, bool], Iterable]:
        """The kind's `terms`, looked up once: every dataset asks every rule."""
        return self.field.kind_type.terms

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterable[Triple]:
        # a list, not a generator: most fields of a record are empty or one value
        value = record.get(self.name)
        if value in _EMPTY:
            return ()
        predicate, range_class = self.predicate, self.range_class
        terms = self._terms(self.field, value, ctx.profile.eu_codes)
        if range_class is None:
            return [(subject, predicate, term) for term in terms]
        out = []
        for term in terms:
            out.append((subject, predicate, term))
            if isinstance(term, IRI):
                out.append((term, TYPE, range_class))
        return out

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        objects = sorted_objects(triples, subject, self.predicate)
        value = field_value(self.field, objects)
        if value is not None:
            out[self.name] = value
        cl = self.field.codelist
        unread = [o for o in objects if code_of(cl, o) is None] if cl else ([] if value is not None else objects)
        for term in unread:  # kept in the flag, never silently dropped
            flag(out, self.name, "not a value the catalogue knows", str(term))


def flag(out: dict, field_name: str, problem: str, value: Any = None) -> None:
    """Note a value the mapping could not take, in validation.flag's shape."""
    from sdm_schema.validation import flag as quality_flag  # validation imports nothing of rdf

    out.setdefault("quality_flags", []).append(quality_flag(field_name, {"zh-Hans": problem, "en": problem}, value))


def code_lists_of(rules: Iterable[Rule]) -> list:
    """The names of the code lists the rules write codes from, once each."""
    return list(dict.fromkeys(name for rule in rules for name in rule.code_lists))


def page_vocabulary(profile: Profile) -> Iterator[Triple]:
    """What a page of the profile's feed says once about the codes it uses."""
    if profile.describe_codes:
        yield from vocabulary_triples(code_lists_of(profile.rules), profile.eu_codes)
