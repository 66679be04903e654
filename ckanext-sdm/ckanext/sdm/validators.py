"""The schema's validators as CKAN validators.

Each rule lives once in sdm_schema.validation; this module only adapts the
calling convention: CKAN's flattened (key, data, errors, context), JSON
strings in extras, bilingual error messages, per-language form inputs.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Container, Iterable

import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import StopOnError, missing, unflatten
from ckanext.scheming.validation import scheming_validator

from ckanext.sdm import slugs
from sdm_schema import kinds, lang, rules
from sdm_schema.loader import LANGUAGES, Field
from sdm_schema.validation import VALIDATORS, Context, Invalid, apply, decode_json

_TRANSLATED_KINDS = kinds.where(lambda kind: kind.translated)


def site_context() -> Context:
    default = lang.normalise_tag(tk.config.get("ckan.locale_default")) or LANGUAGES[0]
    return Context(
        default_lang=default,
        allow_classified=tk.config.get("ckanext.sdm.allow_classified"),
        embargo_max_years=tk.config.get("ckanext.sdm.embargo_max_years"),
    )


def _record(data: dict) -> dict:
    """Top-level values of CKAN's flattened data, as the rules see a record
    (lists and dicts already stored as JSON are decoded again)."""
    return {key[0]: decode_json(value) for key, value in data.items() if len(key) == 1 and value is not missing}


def _stored(value: Any) -> Any:
    """Extras hold strings: lists and dicts are kept as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _ckan_validator(name: str):
    @scheming_validator
    def factory(field_definition: dict, schema: dict) -> Callable:
        field = Field.from_definition(field_definition, {})

        def validator(key: tuple, data: dict, errors: dict, context: dict) -> None:
            value = data.get(key, missing)
            value = None if value is missing else value
            try:
                result = apply(name, value, field, _record(data), site_context())
            except Invalid as error:
                errors[key].append(error.bilingual())
                raise StopOnError from None
            if result is None:
                data.pop(key, None)
                raise StopOnError
            data[key] = _stored(result)

        return validator

    factory.__name__ = name
    return factory


#: Kinds whose values are lists of dicts.
_NESTED_KINDS = kinds.where(lambda kind: kind.nested)


def form_input_name(field_name: str, tag: str) -> str:
    """The form input holding one language of a translated field, e.g.
    title_translated-zh-Hans; the form snippets name their inputs with it."""
    return f"{field_name}-{tag}"


def _schema_fields(schema: dict) -> list:
    return schema.get("dataset_fields") or schema.get("fields") or []


def _languages(values: dict, name: str) -> dict:
    """Pop the per-language inputs of `name` (name-zh-Hans, name-en) from a
    dict of inputs: {tag: text}, blanks left out."""
    prefix = form_input_name(name, "")
    parts = {
        key[len(prefix) :]: values.pop(key) for key in list(values) if isinstance(key, str) and key.startswith(prefix)
    }
    return {tag: text for tag, text in parts.items() if text not in (None, "")}


def _gather_languages(data: dict, names: Iterable[str]) -> None:
    """Per-language inputs are not fields of the schema, so CKAN's navl has
    filed them under ('__extras',) before any validator runs; give each
    translated field its {tag: text} value (an API value given whole wins)."""
    extras = data.get(("__extras",))
    if not extras:
        return
    for name in names:
        parts = _languages(extras, name)
        if parts and data.get((name,), missing) in (missing, None, ""):
            data[(name,)] = parts


#: The part of a fee item the form gives one input per language.
_ITEM_TRANSLATED = "name_translated"
#: Inputs the fee editor prefills (currency CNY): they alone do not make a row.
_ROW_PREFILLED = ("currency",)


def _form_rows(rows: list) -> list:
    """Rows of a repeating editor (fee items) as the schema's items: the
    per-language inputs gathered, rows left wholly blank dropped."""
    items = []
    for row in rows:
        if not isinstance(row, dict):
            items.append(row)
            continue
        row = dict(row)
        name = _languages(row, _ITEM_TRANSLATED)
        if name:
            row[_ITEM_TRANSLATED] = name
        if any(value not in (None, "", {}) for key, value in row.items() if key not in _ROW_PREFILLED):
            items.append(row)
    return items


def _gather_nested(data: dict, names: Container[str]) -> None:
    """Lists of dicts (fee items) arrive flattened as (field, i, key) — the
    form's fee_items__0__amount —, which CKAN files as junk; give them back
    to their field whole, as the schema's list."""
    junk = data.get(("__junk",))
    if not junk:
        return
    nested = {k: junk.pop(k) for k in list(junk) if k[0] in names}
    for name, value in unflatten(nested).items():
        data[(name,)] = _form_rows(value) if isinstance(value, list) else value
    if not junk:
        del data[("__junk",)]


def _derive_name(data: dict, schema: dict, context: dict) -> None:
    """A new dataset or unit whose URL name is left empty gets one from its
    title (ckanext.sdm.slugs); an existing one keeps what it has."""
    entity = "organization" if "organization_type" in schema else "dataset"
    existing = context.get("group" if entity == "organization" else "package")
    title = data.get(("title_translated",), missing)
    if existing or data.get(("name",), missing) not in (missing, None, "") or not isinstance(title, dict):
        return
    name = slugs.name_in_ckan(title, entity)
    if name:
        data[("name",)] = name


def _translated_from_core(data: dict, fields: Iterable[dict]) -> None:
    """Stock CKAN clients (ckanapi, ckanext-harvest, ckanext-dcat's RDF
    harvester) send core `title`/`notes` only: with no translated value,
    the core text becomes it, untagged, so the translated field's validator
    tags it (by script for Chinese, sdm_schema.lang.guess otherwise)."""
    for field in fields:
        core, translated = field["field_name"], field.get("from_field")
        text = data.get((core,), missing)
        if (
            translated
            and isinstance(text, str)
            and text.strip()
            and data.get((translated,), missing) in (missing, None, "", {})
        ):
            data[(translated,)] = text


@scheming_validator
def collect_form(field: dict, schema: dict) -> Callable:
    """scheming `before_validators` of datasets and organisations: put what
    the form sends apart from its fields back into them before any field
    validator runs, and name a new entry left unnamed.  CKAN validates fields
    in alphabetical order, so core `title` (derived from `title_translated`)
    would otherwise run before the translated value exists."""
    fields = _schema_fields(schema)
    translated = [f["field_name"] for f in fields if f.get("kind") in _TRANSLATED_KINDS]
    nested = {f["field_name"] for f in fields if f.get("kind") in _NESTED_KINDS}

    def validator(key: tuple, data: dict, errors: dict, context: dict) -> None:
        _gather_languages(data, translated)
        _gather_nested(data, nested)
        _translated_from_core(data, fields)
        _derive_name(data, schema, context)

    return validator


@scheming_validator
def dataset_rules(field: dict, schema: dict) -> Callable:
    """scheming `after_validators`: the cross-field rules of sdm_schema.rules."""

    def validator(key: tuple, data: dict, errors: dict, context: dict) -> None:
        if any(errors.values()):
            return  # field errors first; the rules assume valid fields
        for error in rules.check(_record(data), site_context()):
            errors.setdefault((error.field,), []).append(error.bilingual())

    return validator


@scheming_validator
def json_output(field: dict, schema: dict) -> Callable:
    """scheming `output_validators`: a value kept in extras as a string
    back as its kind decodes it (lists, dicts, numbers; text stays text)."""
    kind = kinds.get(field.get("kind", "text"))

    def decode(value: Any) -> Any:  # navl counts a plain function's arguments
        return kind.decode(value)

    return decode


def get_validators() -> dict:
    validators = {name: _ckan_validator(name) for name in VALIDATORS}
    validators["sdm_json_output"] = json_output
    validators["sdm_dataset_rules"] = dataset_rules
    validators["sdm_collect_form"] = collect_form
    return validators
