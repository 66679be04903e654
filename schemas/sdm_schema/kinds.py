"""The kinds of value a field holds, each one object.

A field's `kind` (set by its preset in presets.yaml) says what shape its
value has.  Everything that depends on that shape asks the field's Kind
here: which validator checks it, how a stored value is decoded, what Solr
indexes, which RDF terms it becomes and how they are read back, and how
the harvester puts a value a source gave into a record (`harvest`).  A kind the registry does not know
fails when the schema is loaded (loader.py), naming the field, instead of
silently being treated as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Protocol

from sdm_schema.rdf import mapping as rdf
from sdm_schema.rdf.namespaces import SKOS
from sdm_schema.rdf.terms import XSD_DATE, XSD_DATETIME, XSD_INTEGER, Literal, iri
from sdm_schema.validation import decode_json

if TYPE_CHECKING:  # loader asks this module for kinds: no import at run time
    from sdm_schema.loader import Field


class Harvest(Protocol):
    """Where a kind puts harvested values: the harvester's RecordBuilder
    (sdm_harvester.mapping), which knows the source's code overrides and
    the record's language."""

    record: dict

    def put(self, name: str, value: Any, tag: str | None = None) -> None:
        """Put a value (one of a structured one's parts) as the builder does."""

    def scalar(self, name: str, value: Any) -> str | None:
        """One text from a value; a list or structure flagged (None)."""

    def untagged(self, text: str) -> str:
        """The language tag of a text the source did not tag."""

    def items(self, value: Any) -> list:
        """A value as a list: itself, or its text split at list separators."""

    def code(self, name: str, value: Any) -> str | None:
        """The field's code for a source value (overrides, then the code list)."""

    def codes(self, name: str, value: Any) -> list:
        """The field's codes for a source value holding several."""


class Kind:
    """A plain text value: the default behaviour every kind starts from."""

    name = "text"
    #: The value is {language tag: value}.
    translated = False
    #: The value is a list: several values, a multiValued Solr field.
    multivalued = False
    #: The values are codes of the field's code list.
    coded = False
    #: A list of dicts, which CKAN's forms send flattened.
    nested = False
    #: The validator (sdm_schema.validation) its fields must run, if any.
    validator: str | None = None
    #: rdfs:range of its property in the SDM vocabulary.
    range: str | None = None
    #: Solr holds it as several values under the field's own name (facets,
    #: fq); schemas/solr/schema.xml declares such fields multiValued.
    solr_multivalued = False
    #: A harvested value is kept as it came, for validation to parse and
    #: check (False: it must read as one text; a list or structure is flagged).
    verbatim = False

    def problem(self, field: Field) -> str | None:
        """What is wrong with a field of this kind, for the loader; None if nothing."""
        if self.coded and not field.codelist_name:
            return f"kind {self.name!r} needs a codelist"
        if self.validator and self.validator not in field.validators:
            return f"kind {self.name!r} needs the validator {self.validator}"
        return None

    def holds(self, field: Field, value: Any) -> bool:
        """Whether a stored value has this kind's shape (validation.shape_errors)."""
        return isinstance(value, str)

    def decode(self, stored: Any) -> Any:
        """A value as CKAN stores it (a string in extras) back as a value."""
        return decode_json(stored)

    def index(self, stored: Any) -> Any:
        """What Solr indexes under the field's name; None: nothing."""
        return stored

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        """The RDF objects of a value (eu: codes as EU authority IRIs)."""
        yield rdf.text_literal(value)

    def read(self, field: Field, objects: list) -> Any:
        """A value from the RDF objects found for the field (never empty)."""
        return str(objects[0])

    def harvest(self, field: Field, value: Any, tag: str | None, into: Harvest) -> None:
        """Put a value a source gave for the field into the record being
        built (`tag`: its language when the source says); the first value
        of a single-valued field wins."""
        if field.name not in into.record:
            text = value if self.verbatim else into.scalar(field.name, value)
            if text is not None:
                into.record[field.name] = text


class Url(Kind):
    name, validator, verbatim = "url", "sdm_url", True

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        yield iri(value)


class Identifier(Kind):
    """DOI, CSTR: written by rdf.dcat.IdentifierRule, recognised by
    sdm_schema.identifiers."""

    name, verbatim = "identifier", True


class TranslatedText(Kind):
    name, translated, validator = "translated_text", True, "sdm_translated_text"

    def holds(self, field: Field, value: Any) -> bool:
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        yield from rdf.translated_literals(value)

    def read(self, field: Field, objects: list) -> Any:
        return {rdf.literal_lang(o): str(o) for o in objects if isinstance(o, Literal)} or None

    def harvest(self, field: Field, value: Any, tag: str | None, into: Harvest) -> None:
        if isinstance(value, dict):  # a fluent value: {tag: text}
            for key, text in value.items():
                into.put(field.name, text, key)
            return
        text = into.scalar(field.name, value)
        given = into.record.setdefault(field.name, {})
        if text is not None and (tag or text not in given.values()):  # core title beside its fluent one
            given.setdefault(tag or into.untagged(text), text)


class TranslatedTags(Kind):
    name, translated, validator = "translated_tags", True, "sdm_translated_tags"

    def holds(self, field: Field, value: Any) -> bool:
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(w, str) for w in v) for k, v in value.items()
        )

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        for tag, words in (value or {}).items():
            for word in words:
                yield from rdf.translated_literals({tag: word})

    def read(self, field: Field, objects: list) -> Any:
        out: dict = {}
        for o in objects:
            if isinstance(o, Literal):
                out.setdefault(rdf.literal_lang(o), []).append(str(o))
        return {tag: sorted(words) for tag, words in out.items()} or None

    def harvest(self, field: Field, value: Any, tag: str | None, into: Harvest) -> None:
        if isinstance(value, dict):
            for key, words in value.items():
                into.put(field.name, words, key)
            return
        given = into.record.setdefault(field.name, {})
        for item in (str(i).strip() for i in into.items(value)):
            if item and (tag or not any(item in words for words in given.values())):
                bucket = given.setdefault(tag or into.untagged(item), [])
                if item not in bucket:
                    bucket.append(item)


class Code(Kind):
    name, coded, validator, range = "code", True, "sdm_code", SKOS + "Concept"

    def holds(self, field: Field, value: Any) -> bool:
        return isinstance(value, str) and value in field.codelist

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        yield rdf.code_iri(field.codelist_name, str(value), eu)

    def _found(self, field: Field, objects: list) -> list:
        found = {rdf.code_of(field.codelist, o) for o in objects}
        # RDF keeps no order: codes come back in their code list's order
        return [c for c in field.codelist.codes if c in found]

    def read(self, field: Field, objects: list) -> Any:
        found = self._found(field, objects)
        return found[0] if found else None

    def harvest(self, field: Field, value: Any, tag: str | None, into: Harvest) -> None:
        into.record.setdefault(field.name, into.code(field.name, value))


class Codes(Code):
    name, multivalued, validator, solr_multivalued = "codes", True, "sdm_codes", True

    def holds(self, field: Field, value: Any) -> bool:
        return isinstance(value, list) and all(Code.holds(self, field, code) for code in value)

    def index(self, stored: Any) -> Any:
        return [str(code) for code in decode_json(stored) or []]

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        for code in value:
            yield rdf.code_iri(field.codelist_name, str(code), eu)

    def read(self, field: Field, objects: list) -> Any:
        return self._found(field, objects) or None

    def harvest(self, field: Field, value: Any, tag: str | None, into: Harvest) -> None:
        bucket = into.record.setdefault(field.name, [])
        bucket.extend(c for c in into.codes(field.name, value) if c not in bucket)


class Date(Kind):
    name, validator, range = "date", "sdm_date", XSD_DATE
    verbatim = True

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        yield Literal(str(value)[:10], datatype=XSD_DATE)

    def read(self, field: Field, objects: list) -> Any:
        return str(objects[0])[:10]


class DateTime(Kind):
    name, validator, range = "datetime", "sdm_datetime", XSD_DATETIME
    verbatim = True

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        yield Literal(str(value), datatype=XSD_DATETIME)


class Integer(Kind):
    name, validator, range = "integer", "sdm_non_negative_int", XSD_INTEGER
    verbatim = True

    def holds(self, field: Field, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def decode(self, stored: Any) -> Any:
        # extras hold "5"; the API gives back the number it was given
        text = str(stored).strip() if stored is not None else ""
        return int(text) if text.isdigit() else stored

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        yield Literal(str(int(value)), datatype=XSD_INTEGER)

    def read(self, field: Field, objects: list) -> Any:
        return int(str(objects[0]))


class Records(Kind):
    """A list of dicts that a rule of its own writes and reads: fee items
    (rdf.dcat.FeeRule, schemaorg.OfferRule), harvest provenance, quality
    flags.  Not indexed: kept whole in validated_data_dict."""

    multivalued = verbatim = True

    def __init__(self, name: str, validator: str, nested: bool = False) -> None:
        self.name, self.validator, self.nested = name, validator, nested

    def holds(self, field: Field, value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)

    def index(self, stored: Any) -> Any:
        return None

    def terms(self, field: Field, value: Any, eu: bool) -> Iterator:
        raise TypeError(f"{field.name}: a list of records is written by a rule of its own (sdm_schema.rdf.dcat)")


#: Every kind, by the name presets.yaml gives it.
KINDS: Mapping[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(),
        Url(),
        Identifier(),
        TranslatedText(),
        TranslatedTags(),
        Code(),
        Codes(),
        Date(),
        DateTime(),
        Integer(),
        # lists of records arrive flattened by CKAN (from its form, or from
        # sdm-harvest's CKAN target through the API) and are gathered back whole
        Records("fee_items", "sdm_fee_items", nested=True),
        Records("provenance", "sdm_provenance", nested=True),
        Records("flags", "sdm_quality_flags", nested=True),
    )
}


def get(name: str) -> Kind:
    """The kind of that name; KeyError naming the known kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown kind {name!r}; known kinds: {', '.join(KINDS)}") from None


def where(test: Callable[[Kind], bool]) -> frozenset:
    """The names of the kinds passing a test, e.g. where(lambda k: k.translated)."""
    return frozenset(name for name, kind in KINDS.items() if test(kind))
