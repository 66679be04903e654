"""Reads a classic Solr schema.xml: field types, fields, dynamic fields,
copyFields and the uniqueKey."""

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fnmatch import fnmatchcase

# Imported for their side effect: they register the analysis factories.
from . import cjk, filters, tokenizers, word_delimiter  # noqa: F401
from .analysis import ResourceLoader, build_analyzer, short_name
from .errors import SchemaError
from .fieldtypes import TEXT_CLASSES, TextKind, primitive_kind

_TRUE = ("true", "1", "yes", "on")


def _flag(value):
    return value is not None and value.strip().lower() in _TRUE


@dataclass
class FieldType:
    name: str
    class_name: str
    kind: object
    attrs: dict


@dataclass
class Field:
    name: str
    type: FieldType
    indexed: bool
    stored: bool
    multi_valued: bool
    required: bool
    default: object
    omit_norms: bool
    position_gap: int
    sort_missing: str  # "first", "last" or "" (type default)

    def __repr__(self):
        return "Field(%r)" % self.name

    @property
    def kind(self):
        return self.type.kind

    def describe(self):
        """The field as Solr's Schema API lists it."""
        return {"name": self.name, "type": self.type.name,
                "indexed": self.indexed, "stored": self.stored,
                "multiValued": self.multi_valued, "required": self.required}


def _text_kind(element, loader, attrs):
    analyzers = {}
    for child in element:
        if child.tag.lower() == "analyzer":
            analyzers[child.get("type", "both")] = child
    index_el = analyzers.get("index", analyzers.get("both"))
    query_el = analyzers.get("query", analyzers.get("both", index_el))
    if index_el is None:
        raise SchemaError("text field type %r has no analyzer"
                          % attrs.get("name"))
    multiterm_el = analyzers.get("multiterm")
    multiterm = (build_analyzer(multiterm_el, loader) if multiterm_el is not None
                 else build_analyzer(query_el, loader, multiterm=True))
    return TextKind(build_analyzer(index_el, loader),
                    build_analyzer(query_el, loader), multiterm,
                    _flag(attrs.get("autoGeneratePhraseQueries")))


def _field_type(element, loader):
    attrs = dict(element.attrib)
    class_name = short_name(attrs.get("class", ""))
    if class_name in TEXT_CLASSES:
        kind = _text_kind(element, loader, attrs)
    else:
        kind = primitive_kind(class_name)
    return FieldType(attrs["name"], class_name, kind, attrs)


def _field(element, types):
    attrs = element.attrib
    type_name = attrs.get("type")
    if type_name not in types:
        raise SchemaError("field %r has unknown type %r"
                          % (attrs.get("name"), type_name))
    ftype = types[type_name]

    def attr(name, default):
        value = attrs.get(name, ftype.attrs.get(name))
        return default if value is None else _flag(value)

    missing = ("last" if attr("sortMissingLast", False) else
               "first" if attr("sortMissingFirst", False) else "")
    return Field(
        name=attrs["name"], type=ftype,
        indexed=attr("indexed", True), stored=attr("stored", True),
        multi_valued=attr("multiValued", False),
        required=attr("required", False), default=attrs.get("default"),
        omit_norms=attr("omitNorms", not ftype.kind.tokenized),
        position_gap=int(ftype.attrs.get("positionIncrementGap", 0)),
        sort_missing=missing)


def _elements(root, tag):
    """Elements named `tag` (case-insensitively) anywhere in the schema."""
    return [el for el in root.iter() if el.tag.lower() == tag.lower()]


class Schema:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        with open(self.path, "rb") as handle:
            self.raw_xml = handle.read()
        root = ET.fromstring(self.raw_xml)
        self.name = root.get("name", "")
        self.version = root.get("version", "")
        loader = ResourceLoader(os.path.dirname(self.path))
        self.types = {}
        for element in _elements(root, "fieldType"):
            ftype = _field_type(element, loader)
            self.types[ftype.name] = ftype
        self.fields = {}
        for element in _elements(root, "field"):
            field = _field(element, self.types)
            self.fields[field.name] = field
        # Solr tries dynamic field patterns longest first.
        dynamic = [_field(el, self.types) for el in _elements(root, "dynamicField")]
        self.dynamic = sorted(dynamic, key=lambda f: -len(f.name))
        self.copy_fields = [
            (el.get("source"), el.get("dest"), int(el.get("maxChars", 0)))
            for el in _elements(root, "copyField")]
        key = _elements(root, "uniqueKey")
        self.unique_key = key[0].text.strip() if key else None
        self._cache = {}
        self._copy_cache = {}

    def field(self, name):
        """The Field definition for `name` (static or dynamic), or None."""
        if name not in self._cache:
            self._cache[name] = self._resolve(name)
        return self._cache[name]

    def _resolve(self, name):
        if name in self.fields:
            return self.fields[name]
        for pattern in self.dynamic:
            if fnmatchcase(name, pattern.name):
                return Field(**{**pattern.__dict__, "name": name})
        return None

    def copy_targets(self, source):
        """[(dest field name, maxChars)] that copyField rules give `source`."""
        if source not in self._copy_cache:
            self._copy_cache[source] = self._resolve_copies(source)
        return self._copy_cache[source]

    def _resolve_copies(self, source):
        targets = []
        for src, dest, max_chars in self.copy_fields:
            if not fnmatchcase(source, src):
                continue
            if "*" in dest and "*" in src:
                # The part matched by the source glob fills the dest glob.
                prefix, suffix = src.split("*", 1)
                middle = source[len(prefix):len(source) - len(suffix)]
                dest = dest.replace("*", middle, 1)
            targets.append((dest, max_chars))
        return targets

    def describe(self):
        """The schema as Solr's Schema API (`GET /schema`) returns it."""
        return {
            "name": self.name, "version": float(self.version or 0),
            "uniqueKey": self.unique_key,
            "fieldTypes": [{"name": t.name, "class": "solr." + t.class_name}
                           for t in self.types.values()],
            "fields": [f.describe() for f in self.fields.values()],
            "dynamicFields": [f.describe() for f in self.dynamic],
            "copyFields": [{"source": s, "dest": d}
                           for s, d, _ in self.copy_fields],
        }
