"""Field type classes: how raw values are stored, indexed and queried.

Every kind turns an input value into a stored Python value, the stored
value into index terms, and query text into terms of the same shape, so
that matching is a plain term comparison. Non-text kinds index one
canonical term per value (e.g. "2024-01-31T00:00:00Z", "42", "true") and
keep the typed value for ranges and sorting.
"""

import base64

from . import datemath
from .errors import SchemaError, SolrError


class FieldKind:
    tokenized = False
    numeric = False
    # Value a document without the field sorts as, unless the field type
    # says sortMissingFirst/Last (Solr's numeric default is 0).
    missing_sort_value = None

    def convert(self, raw):
        """Input value (JSON / XML text) -> stored Python value."""
        raise NotImplementedError

    def term(self, value):
        """Stored value -> its single canonical index term."""
        return str(value)

    def output(self, value):
        """Stored value -> the JSON value Solr returns."""
        return value

    def parse_query_value(self, text):
        """Query text -> a typed value comparable with stored values."""
        return self.convert(text)

    def query_term(self, text):
        return self.term(self.parse_query_value(text))


class StrKind(FieldKind):
    def convert(self, raw):
        if isinstance(raw, bool):
            return "true" if raw else "false"
        return str(raw)

    def parse_query_value(self, text):
        return text


class TextKind(StrKind):
    tokenized = True

    def __init__(self, index_analyzer, query_analyzer, multiterm_analyzer,
                 auto_phrase):
        self.index_analyzer = index_analyzer
        self.query_analyzer = query_analyzer
        self.multiterm_analyzer = multiterm_analyzer
        self.auto_phrase = auto_phrase

    def normalize(self, text):
        """Multiterm analysis for prefix/wildcard/range/fuzzy terms."""
        tokens = self.multiterm_analyzer.analyze(text)
        return tokens[0].text if tokens else text


class _NumberKind(FieldKind):
    numeric = True
    missing_sort_value = 0

    def __init__(self, python_type):
        self.python_type = python_type

    def convert(self, raw):
        if isinstance(raw, bool):
            raise SolrError("Invalid Number: %s" % raw)
        if isinstance(raw, (int, float)):
            return self.python_type(raw)
        try:
            return self.python_type(str(raw).strip())
        except ValueError:
            raise SolrError("Invalid Number: %s" % raw)

    def term(self, value):
        return repr(value) if isinstance(value, float) else str(value)


class DateKind(FieldKind):
    numeric = True
    missing_sort_value = datemath.parse_instant("1970-01-01T00:00:00Z")

    def convert(self, raw):
        return datemath.parse_math(str(raw))

    def term(self, value):
        return datemath.format_instant(value)

    def output(self, value):
        return datemath.format_instant(value)


class BoolKind(FieldKind):
    def convert(self, raw):
        if isinstance(raw, bool):
            return raw
        text = str(raw)
        # Solr's BoolField: true iff the value starts with t, T or 1.
        return bool(text) and text[0] in "tT1"

    def term(self, value):
        return "true" if value else "false"


class BinaryKind(FieldKind):
    """Stored only: Solr cannot search a BinaryField."""

    def convert(self, raw):
        try:
            base64.b64decode(str(raw), validate=True)
        except ValueError:
            raise SolrError("Invalid base64 value for binary field")
        return str(raw)


_PRIMITIVES = {
    "StrField": StrKind, "UUIDField": StrKind,
    "IntPointField": lambda: _NumberKind(int),
    "TrieIntField": lambda: _NumberKind(int),
    "LongPointField": lambda: _NumberKind(int),
    "TrieLongField": lambda: _NumberKind(int),
    "FloatPointField": lambda: _NumberKind(float),
    "TrieFloatField": lambda: _NumberKind(float),
    "DoublePointField": lambda: _NumberKind(float),
    "TrieDoubleField": lambda: _NumberKind(float),
    "DatePointField": DateKind, "TrieDateField": DateKind,
    "BoolField": BoolKind, "BinaryField": BinaryKind,
}
TEXT_CLASSES = {"TextField", "SortableTextField"}


def primitive_kind(class_name):
    if class_name not in _PRIMITIVES:
        raise SchemaError("field type class %r is not emulated by the Solr "
                          "double" % class_name)
    return _PRIMITIVES[class_name]()
