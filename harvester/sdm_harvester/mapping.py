"""From source values to SDM fields and codes.

Sources describe the same things with their own words: `有条件共享`,
`Shared on conditions`, `conditional`, or a department's private `依申请`.
A Mapper turns a source value into the SDM code through the source's
overrides (config `mapping`) first, then the code list (code, zh/en label,
alias).  A value neither knows is passed on unchanged, so validation reports
it with the allowed codes instead of the harvester guessing.

`columns` resolves a spreadsheet header or CKAN extra key to a field, and
RecordBuilder assembles a raw SDM dict from (field, value, language) triples:
each field's kind puts the value (`Kind.harvest` in sdm_schema.kinds), so a
field of a new kind is harvested by what its kind says.  A value that cannot be put (a list where text
belongs, a value that breaks the mapping) costs that field only: it is
dropped and the record carries a quality flag with the value as it came.
Untagged text gets its language from lang.guess; tagged text keeps its tag.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterable, Mapping

from sdm_schema import codelist as _codelist
from sdm_schema import dataset_fields, lang, organization_fields, resource_fields, role_values
from sdm_schema.codelist import _fold
from sdm_schema.validation import decode_json, flag

#: Fields a source never sets: CKAN-internal, derived, or set by the pipeline
#: (`harvested: false` in sdm_dataset.yaml).
NOT_HARVESTED = frozenset(name for name, harvested in role_values("harvested").items() if harvested is False)
#: Pseudo-fields a source may fill beside the schema's.
IDENTIFIER, RESOURCE_URL = "identifier", "resource_url"
#: The record's own responsible unit (责任单位), by name and by USCC: the
#: `organization` the pipeline resolves (units.py), from the columns that
#: sdm_organization.yaml's source_names give.
UNIT_FIELDS = {"title_translated": "unit_name", "uscc": "unit_uscc"}

_LIST_SEPARATORS = re.compile(r"[,，;；、\n]+")

_LANG_SUFFIX = re.compile(r"\s*[（(]\s*(中文|英文|zh|en|zh-hans)\s*[)）]\s*$", re.IGNORECASE)


def _fields_by_name():
    return {f.name: f for f in dataset_fields() if f.name not in NOT_HARVESTED}


def _header_table() -> dict:
    """Header → target: each field's name and labels, then the column names
    department catalogues use (`source_names` in schemas/sdm_schema/sdm_dataset.yaml)."""
    table = {}
    for name, field in _fields_by_name().items():
        for text in (name, *field.label.values()):
            table.setdefault(_fold(text), name)
    targets = [(name, field.raw) for name, field in _fields_by_name().items()]
    targets.append((RESOURCE_URL, next(f.raw for f in resource_fields() if f.name == "url")))
    targets.extend((UNIT_FIELDS[f.name], f.raw) for f in organization_fields() if f.name in UNIT_FIELDS)
    for name, raw in targets:
        for alias in raw.get("source_names", ()):
            table[_fold(alias)] = name
        for alias in raw.get("source_names_en", ()):
            table[_fold(alias)] = f"{name}@en"
    return table


class Columns:
    """Resolves a header (or extra key) to `field` or `field@lang`."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._table = _header_table()
        for header, target in (overrides or {}).items():
            self._table[_fold(header)] = target

    def resolve(self, header: object) -> tuple[str, str | None] | None:
        if header is None:
            return None
        key = _fold(header)
        target = self._table.get(key)
        suffix_lang = None
        if target is None:
            match = _LANG_SUFFIX.search(str(header))
            if match:
                suffix_lang = "en" if match.group(1).lower() in ("英文", "en") else "zh-Hans"
                target = self._table.get(_fold(str(header)[: match.start()]))
        if target is None:
            return None
        name, _, tag = target.partition("@")
        return name, lang.normalise_tag(tag) if tag else suffix_lang


class Mapper:
    """Source value → SDM code, through a source's overrides then the code list."""

    def __init__(self, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._overrides = {
            field: {_fold(value): code for value, code in table.items()} for field, table in (overrides or {}).items()
        }

    def code(self, field_name: str, value: object) -> str | None:
        if value is None or not str(value).strip():
            return None
        text = str(value).strip()
        override = self._overrides.get(field_name, {}).get(_fold(text))
        if override is not None:
            return override
        field = _fields_by_name()[field_name]
        return _codelist(field.codelist_name).lookup(text) or text

    def known_code(self, field_name: str, value: object) -> str | None:
        """The code when an override or the code list knows the value, else None."""
        code = self.code(field_name, value)
        return code if code in _codelist(_fields_by_name()[field_name].codelist_name) else None

    def codes(self, field_name: str, value: object) -> list:
        out = []
        for item in _items(value):
            code = self.code(field_name, item)
            if code is not None and code not in out:
                out.append(code)
        return out


def _items(value: object) -> list:
    """A value as a list: itself, or its text split at list separators."""
    return list(value) if isinstance(value, (list, tuple)) else _LIST_SEPARATORS.split(str(value or ""))


def _problem(text: str) -> dict:
    return {"zh-Hans": text, "en": text}


class RecordBuilder:
    """Assembles a raw SDM dict; validation normalises and checks it later."""

    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper
        self.record: dict = {}
        self.identifier: str | None = None
        self._fields = _fields_by_name()
        #: input fields (keys, columns, elements) that map to no SDM field
        self.unmapped: list = []
        #: the language of the record's untagged texts when the source says
        #: or the record as a whole reads as one (see `guess_language`)
        self.default_tag: str | None = None

    def guess_language(self, *texts: object) -> None:
        """Tag the record's untagged texts by what all of them read as: a
        short title alone says too little, with its description it does not."""
        joined = "\n".join(str(t) for t in texts if isinstance(t, str) and t.strip())
        found = lang.guess(joined) if joined else lang.UNDETERMINED
        self.default_tag = None if found == lang.UNDETERMINED else found

    def flag(self, name: str, problem: str, value: object = None) -> None:
        self.record.setdefault("quality_flags", []).append(flag(name, _problem(problem), value))

    def not_mapped(self, key: str) -> None:
        if key not in self.unmapped:
            self.unmapped.append(key)

    def put(self, name: str, value: object, tag: str | None = None) -> None:
        """Add one value; empty values are ignored, the first value of a
        single-valued field wins.  A value that cannot be put is flagged."""
        value = decode_json(value) if isinstance(value, str) else value
        if value is None or (isinstance(value, (str, list, tuple, dict)) and not value):
            return
        if isinstance(value, str) and not value.strip():
            return
        try:
            self._put(name, value, tag)
        except Exception as error:  # one odd value must not cost the record
            self.flag(name, f"could not be read: {type(error).__name__}: {error}", value)

    def _put_unit(self, name: str, text: str, tag: str | None) -> None:
        unit = self.record.setdefault("organization", {})
        if name == UNIT_FIELDS["uscc"]:
            unit.setdefault("uscc", text)
        else:
            unit.setdefault("title_translated", {}).setdefault(tag or lang.detect(text), text)

    def _put(self, name: str, value: object, tag: str | None) -> None:
        if name == IDENTIFIER:
            self.identifier = self.identifier or str(value).strip()
            return
        if name in UNIT_FIELDS.values():
            self._put_unit(name, str(value).strip(), tag)
            return
        if name == RESOURCE_URL:
            self.record.setdefault("resources", []).append({"url": str(value).strip()})
            return
        field = self._fields[name]
        field.kind_type.harvest(field, value, lang.canonical_tag(tag) if tag else None, self)

    # -- what the kinds ask of it (sdm_schema.kinds.Harvest) ------------------

    def untagged(self, text: str) -> str:
        """Chinese by its script; other text by the record's language."""
        if lang.has_han(text):
            return lang.guess(text)
        return self.default_tag or lang.guess(text)

    def scalar(self, name: str, value: object) -> str | None:
        """Text from a value; a list or dict where text belongs is flagged
        (its one element is taken when it has exactly one)."""
        if isinstance(value, (list, tuple)) and len(value) == 1 and not isinstance(value[0], (list, dict)):
            value = value[0]
        if isinstance(value, (list, tuple, dict)):
            self.flag(name, "a list or a structure where one value belongs", value)
            return None
        return str(value).strip() or None

    def items(self, value: object) -> list:
        return _items(value)

    def code(self, name: str, value: object) -> str | None:
        return self.mapper.code(name, value)

    def codes(self, name: str, value: object) -> list:
        return self.mapper.codes(name, value)

    def put_all(self, pairs: Iterable[tuple[str, str | None, object]]) -> None:
        for name, tag, value in pairs:
            self.put(name, value, tag)


def matches(rule: Mapping[str, str], identifier: str, record: Mapping) -> bool:
    """Whether a filter rule (every key an fnmatch pattern) matches a record."""
    for key, pattern in rule.items():
        if key == IDENTIFIER:
            values = [identifier]
        else:
            value = record.get(key)
            if isinstance(value, dict):
                values = [v for vs in value.values() for v in (vs if isinstance(vs, list) else [vs])]
            elif isinstance(value, list):
                values = value
            else:
                values = [] if value is None else [value]
        if not any(fnmatch.fnmatchcase(str(v), pattern) for v in values):
            return False
    return True


def selected(identifier: str, record: Mapping, include: Iterable, exclude: Iterable) -> bool:
    include = list(include)
    if include and not any(matches(rule, identifier, record) for rule in include):
        return False
    return not any(matches(rule, identifier, record) for rule in exclude)
