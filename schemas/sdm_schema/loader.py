"""Read the schema files once and hand out fields, code lists and messages."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import yaml

from sdm_schema.codelist import CodeList

if TYPE_CHECKING:
    from sdm_schema.kinds import Kind

#: The schema folder.  SDM_SCHEMA_DIR points at a copy instead: how a
#: contributor tries a new field before touching the real one
#: (CONTRIBUTING.md, tests/plugin/test_add_a_field.py).
HERE = os.path.abspath(os.environ.get("SDM_SCHEMA_DIR") or os.path.dirname(__file__))

#: The languages every bilingual value may carry, in the order shown.
LANGUAGES = ("zh-Hans", "en")


def schema_path(*parts: str) -> str:
    """Absolute path of a file shipped in the schema folder."""
    return os.path.join(HERE, *parts)


def load_yaml(stream: object) -> object:
    """yaml.safe_load, with libyaml's loader where PyYAML has it: several
    times faster, and every harvest job and CKAN process reads these files."""
    return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read_yaml(*parts: str):
    with open(schema_path(*parts), encoding="utf-8") as f:
        return load_yaml(f)


@dataclass(frozen=True)
class Field:
    """One schema field, after its preset is applied (as scheming does)."""

    name: str
    kind: str
    label: Mapping[str, str]
    help_text: Mapping[str, str]
    section: str | None
    codelist_name: str | None
    required: bool
    default: object
    show_if: Mapping[str, list]
    validators: tuple
    from_field: str | None
    raw: Mapping

    @classmethod
    def from_definition(cls, definition: Mapping, presets: Mapping) -> Field:
        data = dict(presets.get(definition.get("preset"), {}), **definition)
        return cls(
            name=data["field_name"],
            kind=data.get("kind", "text"),
            label=data["label"],
            help_text=data.get("help_text") or {},
            section=data.get("section"),
            codelist_name=data.get("codelist"),
            required=bool(data.get("required")),
            default=data.get("default"),
            show_if=data.get("show_if") or {},
            validators=tuple((data.get("validators") or "").split()),
            from_field=data.get("from_field"),
            raw=data,
        )

    @functools.cached_property
    def kind_type(self) -> Kind:
        """The field's Kind (sdm_schema.kinds): how its value is validated,
        indexed, written as RDF and harvested.  Kept: validation asks it
        for every field of every record."""
        from sdm_schema import kinds  # kinds builds on validation and rdf, which read this module

        return kinds.get(self.kind)

    @property
    def codelist(self) -> CodeList | None:
        return codelist(self.codelist_name) if self.codelist_name else None

    def applies(self, record: Mapping) -> bool:
        """Whether the field applies, given the codes its show_if names."""
        return all(record.get(other) in codes for other, codes in self.show_if.items())


class SchemaError(ValueError):
    """A schema file defines a field wrongly; the message names file and field."""


#: The roles a dataset field may have beside scheming's keys (sdm_dataset.yaml
#: explains each), with the type of value each takes.
ROLES: Mapping[str, type] = {
    "facet": int,
    "badge": int,
    "policy": bool,
    "dcat": str,
    "schemaorg": str,
    "english_fallback": bool,
    "harvested": bool,
    "recommended": bool,
}
#: Roles whose value is a position: their fields come in that order.
_ORDERED_ROLES = ("facet", "badge")


def _role_problem(field: Field) -> str | None:
    for role, expected in ROLES.items():
        value = field.raw.get(role)
        # bool is an int to Python; a position must be a number
        if value is not None and (type(value) is not expected):
            return f"role {role!r} takes a {expected.__name__}, not {value!r}"
    return None


def _checked(fields: tuple, source: str) -> tuple:
    """The fields, once each kind is known and fits its field and each role
    has a value of its type."""
    for field in fields:
        try:
            problem = field.kind_type.problem(field) or _role_problem(field)
        except KeyError as error:
            problem = error.args[0]
        if problem:
            raise SchemaError(f"{source}: field {field.name!r}: {problem}")
    return fields


@functools.cache
def _presets() -> Mapping[str, Mapping]:
    return {p["preset_name"]: p["values"] for p in _read_yaml("presets.yaml")["presets"]}


@functools.cache
def dataset_schema() -> Mapping:
    """The raw scheming dataset schema, as ckanext-scheming reads it."""
    return _read_yaml("sdm_dataset.yaml")


@functools.cache
def dataset_fields() -> tuple:
    return _checked(
        tuple(Field.from_definition(d, _presets()) for d in dataset_schema()["dataset_fields"]), "sdm_dataset.yaml"
    )


@functools.cache
def _dataset_fields_by_name() -> Mapping[str, Field]:
    return {f.name: f for f in dataset_fields()}


def dataset_field(name: str) -> Field:
    return _dataset_fields_by_name()[name]


@functools.cache
def resource_fields() -> tuple:
    return _checked(
        tuple(Field.from_definition(d, _presets()) for d in dataset_schema()["resource_fields"]),
        "sdm_dataset.yaml (resource_fields)",
    )


@functools.cache
def organization_fields() -> tuple:
    fields = tuple(Field.from_definition(d, _presets()) for d in _read_yaml("sdm_organization.yaml")["fields"])
    return _checked(fields, "sdm_organization.yaml")


def role_values(role: str) -> Mapping[str, object]:
    """{field name: value} of the dataset fields that give a role, in schema
    order, or in the role's order for positions (facet, badge)."""
    if role not in ROLES:
        raise KeyError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    given = [(f.name, f.raw[role]) for f in dataset_fields() if f.raw.get(role) is not None]
    if role in _ORDERED_ROLES:
        given.sort(key=lambda item: item[1])
    return dict(given)


def fields_with(role: str) -> tuple:
    """The dataset fields whose role is set and not false, in role order."""
    return tuple(dataset_field(name) for name, value in role_values(role).items() if value is not False)


def sections() -> list:
    return list(dataset_schema()["sections"])


@functools.cache
def codelists() -> Mapping[str, CodeList]:
    folder = schema_path("codelists")
    lists = (CodeList(_read_yaml("codelists", name)) for name in sorted(os.listdir(folder)) if name.endswith(".yaml"))
    return {cl.name: cl for cl in lists}


def codelist(name: str) -> CodeList:
    return codelists()[name]


def preload() -> None:
    """Read every schema file now: a process that forks workers (`sdm-harvest
    worker`) then reads them once, not once in each job."""
    codelists()
    dataset_fields()
    resource_fields()
    organization_fields()
    _messages()


@functools.cache
def _messages() -> Mapping[str, Mapping[str, str]]:
    return _read_yaml("messages.yaml")


def message(key: str, field: Field | None = None, **params: object) -> dict:
    """A message in every language, with the field's label in that language."""
    out = {}
    for lang, template in _messages()[key].items():
        label = field.label.get(lang, field.name) if field else ""
        out[lang] = template.format(field=label, **params)
    return out
