"""The kinds of value a field holds, each one object.

A field's `kind` (set by its preset in presets.yaml) says what shape its
value has.  Everything that depends on that shape asks the field's Kind
here: which validator checks it, how a stored value is decoded, what Solr
indexes, which RDF terms it becomes and how they are read back.  A kind the registry does not know
fails when the schema is loaded (loader.py), naming the field, instead of
silently being treated as text.
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

from sdm_schema.rdf import mapping as rdf
from sdm_schema.rdf.namespaces import SKOS
from sdm_schema.rdf.terms import XSD_DATE, XSD_DATETIME, XSD_INTEGER, Literal, iri
from sdm_schema.validation import decode_json


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

    def problem(self, field) -> str | None:
        """What is wrong with a field of this kind, for the loader; None if nothing."""
        if self.coded and not field.codelist_name:
            return f"kind {self.name!r} needs a codelist"
        if self.validator and self.validator not in field.validators:
            return f"kind {self.name!r} needs the validator {self.validator}"
        return None

    def decode(self, stored):
        """A value as CKAN stores it (a string in extras) back as a value."""
        return decode_json(stored)

    def index(self, stored):
        """What Solr indexes under the field's name; None: nothing."""
        return stored

    def terms(self, field, value, eu: bool) -> Iterator:
        """The RDF objects of a value (eu: codes as EU authority IRIs)."""
        yield rdf.text_literal(value)

    def read(self, field, objects: list):
        """A value from the RDF objects found for the field (never empty)."""
        return str(objects[0])


class Url(Kind):
    name, validator = "url", "sdm_url"

    def terms(self, field, value, eu):
        yield iri(value)


class Identifier(Kind):
    """DOI, CSTR: written by rdf.dcat.IdentifierRule, recognised by
    sdm_schema.identifiers."""

    name = "identifier"


class TranslatedText(Kind):
    name, translated, validator = "translated_text", True, "sdm_translated_text"

    def terms(self, field, value, eu):
        yield from rdf.translated_literals(value)

    def read(self, field, objects):
        return {rdf.literal_lang(o): str(o) for o in objects if isinstance(o, Literal)} or None


class TranslatedTags(Kind):
    name, translated, validator = "translated_tags", True, "sdm_translated_tags"

    def terms(self, field, value, eu):
        for tag, words in (value or {}).items():
            for word in words:
                yield from rdf.translated_literals({tag: word})

    def read(self, field, objects):
        out: dict = {}
        for o in objects:
            if isinstance(o, Literal):
                out.setdefault(rdf.literal_lang(o), []).append(str(o))
        return {tag: sorted(words) for tag, words in out.items()} or None


class Code(Kind):
    name, coded, validator, range = "code", True, "sdm_code", SKOS + "Concept"

    def terms(self, field, value, eu):
        yield rdf.code_iri(field.codelist_name, str(value), eu)

    def _found(self, field, objects) -> list:
        found = {rdf.code_of(field.codelist, o) for o in objects}
        # RDF keeps no order: codes come back in their code list's order
        return [c for c in field.codelist.codes if c in found]

    def read(self, field, objects):
        found = self._found(field, objects)
        return found[0] if found else None


class Codes(Code):
    name, multivalued, validator, solr_multivalued = "codes", True, "sdm_codes", True

    def index(self, stored):
        return [str(code) for code in decode_json(stored) or []]

    def terms(self, field, value, eu):
        for code in value:
            yield rdf.code_iri(field.codelist_name, str(code), eu)

    def read(self, field, objects):
        return self._found(field, objects) or None


class Date(Kind):
    name, validator, range = "date", "sdm_date", XSD_DATE

    def terms(self, field, value, eu):
        yield Literal(str(value)[:10], datatype=XSD_DATE)

    def read(self, field, objects):
        return str(objects[0])[:10]


class DateTime(Kind):
    name, validator, range = "datetime", "sdm_datetime", XSD_DATETIME

    def terms(self, field, value, eu):
        yield Literal(str(value), datatype=XSD_DATETIME)


class Integer(Kind):
    name, validator, range = "integer", "sdm_non_negative_int", XSD_INTEGER

    def decode(self, stored):
        # extras hold "5"; the API gives back the number it was given
        text = str(stored).strip() if stored is not None else ""
        return int(text) if text.isdigit() else stored

    def terms(self, field, value, eu):
        yield Literal(str(int(value)), datatype=XSD_INTEGER)

    def read(self, field, objects):
        return int(str(objects[0]))


class Records(Kind):
    """A list of dicts that a rule of its own writes and reads: fee items
    (rdf.dcat.FeeRule, schemaorg.OfferRule), harvest provenance, quality
    flags.  Not indexed: kept whole in validated_data_dict."""

    multivalued = True

    def __init__(self, name: str, validator: str, nested: bool = False):
        self.name, self.validator, self.nested = name, validator, nested

    def index(self, stored):
        return None

    def terms(self, field, value, eu):
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
