"""Field validators, written once for CKAN and the harvester.

Each validator takes (value, field, record, ctx) and returns the normalised
value, or raises Invalid with a bilingual message.  An empty value never
reaches a validator: `check_field` handles emptiness (required, default) for
all of them.  ckanext-sdm registers every validator in VALIDATORS under its
name as a CKAN validator; the harvester calls `validate_record`.

CKAN's forms are strict: every invalid value is an error.  A harvest is
lenient with what is optional (`validate_record(..., lenient=True)`): a
malformed catalogue code, phone number or discipline code does not cost the
record, the value is dropped and the record carries a quality flag naming
the field, the problem and the value as it came.  What the policy needs —
the fields of the classification and disclosure sections, a title, and the
cross-field rules that keep closed data closed — still rejects the record.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping

from sdm_schema import identifiers, lang, rules
from sdm_schema.errors import FieldError, Invalid
from sdm_schema.loader import Field, dataset_fields, message

#: A field validator: (value, field, record, context) -> the normalised value.
Validator = Callable[[Any, Field, Mapping, "Context"], Any]
#: Form sections whose every field the disclosure policy reads: a bad value
#: there could open what must stay closed, so it rejects the record.
POLICY_SECTIONS = ("classification", "disclosure")
#: Cross-field rules whose breach only lowers a record's quality (rules.py).
FLAGGING_RULES = ("fees",)


@dataclass
class Context:
    """What a rule may need to know beyond the record."""

    default_lang: str = "zh-Hans"
    today: dt.date = dc_field(default_factory=dt.date.today)
    #: Whether classified data may be registered at all (an internal catalogue).
    allow_classified: bool = False
    #: How far ahead a deferred disclosure may end.
    embargo_max_years: int = 5


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return not value
    return False


def decode_json(value: Any) -> Any:
    """Values from forms and extras arrive as JSON strings; decode those."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def _text(value: Any, field: Field) -> str:
    if isinstance(value, (dict, list, tuple)):
        raise Invalid(message("not_text", field))
    return str(value).strip()


def _translated(value: Any, field: Field, item: Callable[[Any, Field], Any]) -> dict:
    """A {tag: X} dict with BCP 47 tags as they came (case normalised, the
    catalogue's own languages by their project tag); untagged input is
    tagged by lang.guess."""
    value = decode_json(value)
    if isinstance(value, str):
        value = {lang.guess(value): value}
    if not isinstance(value, dict):
        raise Invalid(message("not_translated", field))
    out = {}
    for tag, text in value.items():
        norm = lang.canonical_tag(tag)
        if norm is None:
            raise Invalid(message("unknown_language", field, tag=tag))
        cleaned = item(text)
        if not is_empty(cleaned):
            out[norm] = cleaned
    return out


def translated_text(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    out = _translated(value, field, lambda text: _text(text, field))
    if not out:
        raise Invalid(message("one_language_required", field))
    return lang.settle_chinese(out, lang.to_simplified)


def _tag_list(value: Any, field: Field) -> list:
    value = decode_json(value)
    if isinstance(value, str):
        value = re.split(r"[,，;；、]", value)
    if not isinstance(value, (list, tuple)):
        raise Invalid(message("not_a_list", field))
    seen = []
    for tag in (_text(v, field) for v in value):
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def translated_tags(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    out = _translated(value, field, lambda tags: _tag_list(tags, field))
    if not out:
        raise Invalid(message("one_language_required", field))
    return lang.settle_chinese(out, lambda tags: [lang.to_simplified(t) for t in tags])


def text(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    return _text(value, field)


def _one_code(value: Any, field: Field) -> str:
    codes = field.codelist
    value = str(value).strip()
    if value not in codes:
        raise Invalid(message("unknown_code", field, value=value, choices=", ".join(codes.codes)))
    return value


def code(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    return _one_code(value, field)


def codes(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    values = decode_json(value)
    if isinstance(values, str):
        values = [v for v in re.split(r"[,，;；、\s]+", values) if v]
    if not isinstance(values, (list, tuple)):
        raise Invalid(message("not_a_list", field))
    out = []
    for v in values:
        c = _one_code(v, field)
        if c not in out:
            out.append(c)
    return out


# 2023年5月1日, 2023/5/1, 2023.05.01: the ways department catalogues write a day
_LOCAL_DATE = re.compile(r"^(\d{4})\s*(?:年|/|\.|-)\s*(\d{1,2})\s*(?:月|/|\.|-)\s*(\d{1,2})\s*日?$")


def date(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raw = _text(value, field)
    local = _LOCAL_DATE.match(raw)
    try:
        if local:
            return dt.date(*(int(part) for part in local.groups())).isoformat()
        return dt.date.fromisoformat(raw[:10] if re.match(r"^\d{4}-\d\d-\d\dT", raw) else raw).isoformat()
    except ValueError:
        raise Invalid(message("bad_date", field, value=raw)) from None


def datetime(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raw = _text(value, field)
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise Invalid(message("bad_datetime", field, value=raw)) from None


def non_negative_int(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(message("bad_integer", field, value=value)) from None
    if number < 0 or isinstance(value, float) and value != number:
        raise Invalid(message("bad_integer", field, value=value))
    return number


# the local part without `/` or `:`, so that a relative address resolved
# into file:///… or http://host/…@… is never taken for one
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _matching(pattern: re.Pattern, message_key: str) -> Validator:
    """A validator accepting text that matches a pattern, as it is."""

    def validate(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
        raw = _text(value, field)
        if not pattern.match(raw):
            raise Invalid(message(message_key, field, value=raw))
        return raw

    return validate


email = _matching(_EMAIL, "bad_email")


# Mainland mobile, landline with area code and extension, 400/800 service
# numbers, each optionally after +86 / 0086.
_PHONE = re.compile(
    r"^(?:(?:\+|00)86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8}(?:[- ]?(?:转|ext\.?|x)?\d{1,6})?|[48]00[- ]?\d{3}[- ]?\d{4})$"
)


def _international_phone(raw: str) -> bool:
    """E.164 and its common spellings (+49 40 123 45678, 0049-40-…), by
    Google's libphonenumber data."""
    import phonenumbers  # imported late: its metadata takes a moment to load

    try:
        number = phonenumbers.parse(re.sub(r"^00", "+", raw), None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def phone(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    raw = _text(value, field)
    bare = raw.replace("（", "(").replace("）", ")").replace("(", "").replace(")", "")
    if not (_PHONE.match(bare) or (bare.startswith(("+", "00")) and _international_phone(bare))):
        raise Invalid(message("bad_phone", field, value=raw))
    return raw


def uscc(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    raw = _text(value, field)
    try:
        return identifiers.uscc(raw)
    except identifiers.UsccError as error:
        raise Invalid(message(f"bad_uscc_{error.problem}", field, value=raw)) from None


def _identifier(read: Callable[[str], Any], code: str) -> Validator:
    """A validator for an identifier that sdm_schema.identifiers recognises."""

    def check(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
        raw = _text(value, field)
        found = read(raw)
        if not found:
            raise Invalid(message(code, field, value=raw))
        return found

    return check


cstr = _identifier(identifiers.cstr, "bad_cstr")
doi = _identifier(identifiers.doi, "bad_doi")


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


url = _matching(_URL, "bad_url")


# GB/T 21063.4 style: a classification prefix, a slash, a sequence code, e.g.
# 11000/A00034VG345 or 366010000/00001.
_RESOURCE_CODE = re.compile(r"^[0-9A-Za-z]+(?:[./-][0-9A-Za-z]+)*/[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*$")


resource_code = _matching(_RESOURCE_CODE, "bad_resource_code")


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def fee_items(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    items = decode_json(value)
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, (list, tuple)):
        raise Invalid(message("not_a_list", field))
    out = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise Invalid(message("not_a_list", field))
        try:
            name = translated_text(item.get("name_translated") or item.get("name"), field, record, ctx)
        except Invalid:
            raise Invalid(message("fee_item_name", field, index=index)) from None
        raw_amount = str(item.get("amount", "")).strip()
        try:
            amount = Decimal(raw_amount)
        except InvalidOperation:
            raise Invalid(message("bad_amount", field, value=raw_amount)) from None
        if not amount.is_finite() or amount < 0:
            raise Invalid(message("bad_amount", field, value=raw_amount))
        currency = str(item.get("currency") or "CNY").strip().upper()
        if not _CURRENCY.match(currency):
            raise Invalid(message("bad_currency", field, value=currency))
        entry = {"name_translated": name, "amount": str(amount), "currency": currency}
        for key in ("unit", "condition"):
            if not is_empty(item.get(key)):
                entry[key] = _text(item[key], field)
        out.append(entry)
    return out


def quality_flags(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    """The harvester's notes on a record: [{field, problem, value?}]."""
    flags = decode_json(value)
    if not isinstance(flags, (list, tuple)):
        raise Invalid(message("not_a_list", field))
    out = []
    for flag in flags:
        if not isinstance(flag, dict) or is_empty(flag.get("field")) or is_empty(flag.get("problem")):
            raise Invalid(message("not_a_list", field))
        entry = {"field": str(flag["field"]), "problem": flag["problem"]}
        if not is_empty(flag.get("value")):
            entry["value"] = (
                flag["value"]
                if isinstance(flag["value"], str)
                else json.dumps(flag["value"], ensure_ascii=False, default=str)
            )
        if entry not in out:
            out.append(entry)
    return out


def _unit(value: Any, field: Field, record: Mapping, ctx: Context) -> dict:
    """A responsible or harvesting unit: {uscc, title_translated}."""
    if not isinstance(value, dict) or is_empty(value.get("uscc")):
        raise Invalid(message("provenance_hop", field))
    out = {"uscc": uscc(value["uscc"], field, record, ctx)}
    names = translated_text(value.get("title_translated") or {}, field, record, ctx)
    if names:
        out["title_translated"] = names
    return out


def provenance(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    """The harvests that brought a dataset here, each once, in a stable
    order: {catalogue, record, unit}, the unit being the harvesting one."""
    hops = decode_json(value)
    if isinstance(hops, dict):
        hops = [hops]
    if not isinstance(hops, (list, tuple)):
        raise Invalid(message("not_a_list", field))
    out = {}
    for hop in hops:
        if not isinstance(hop, dict) or is_empty(hop.get("catalogue")) or is_empty(hop.get("record")):
            raise Invalid(message("provenance_hop", field))
        clean = {
            "catalogue": _text(hop["catalogue"], field),
            "record": _text(hop["record"], field),
            "unit": _unit(hop.get("unit"), field, record, ctx),
        }
        out[(clean["catalogue"], clean["record"], clean["unit"]["uscc"])] = clean
    return [out[key] for key in sorted(out)]


def core_from_translated(value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    """Core title/notes follow the site's default language, so core templates,
    ckanapi clients and other extensions keep working."""
    source = decode_json(record.get(field.from_field))
    if isinstance(source, dict) and source:
        chosen = lang.pick(source, ctx.default_lang)
        if chosen is not None:
            return str(chosen).strip()
    return None if is_empty(value) else _text(value, field)


#: Validators by the name the schema files give them.
VALIDATORS: Mapping[str, Callable] = {
    "sdm_translated_text": translated_text,
    "sdm_translated_tags": translated_tags,
    "sdm_text": text,
    "sdm_code": code,
    "sdm_codes": codes,
    "sdm_date": date,
    "sdm_datetime": datetime,
    "sdm_non_negative_int": non_negative_int,
    "sdm_email": email,
    "sdm_phone": phone,
    "sdm_uscc": uscc,
    "sdm_cstr": cstr,
    "sdm_doi": doi,
    "sdm_url": url,
    "sdm_resource_code": resource_code,
    "sdm_fee_items": fee_items,
    "sdm_provenance": provenance,
    "sdm_quality_flags": quality_flags,
    "sdm_core_from_translated": core_from_translated,
}

#: Validators that compute their value from elsewhere, so they run even when
#: the field itself is empty.
DERIVING = {"sdm_core_from_translated"}


def empty_value(field: Field, record: Mapping) -> Any:
    """What an empty field becomes: its default where it applies, else None;
    Invalid when it is required."""
    if field.default is not None and field.applies(record):
        # `__all__`: every code of the field's list (the free-use purposes)
        return field.codelist.codes if field.default == "__all__" else field.default
    if field.required:
        raise Invalid(message("required", field))
    return None


def apply(name: str, value: Any, field: Field, record: Mapping, ctx: Context) -> Any:
    """Run one named validator, handling an empty value the same way for all."""
    if is_empty(value) and name not in DERIVING:
        return empty_value(field, record)
    return VALIDATORS[name](value, field, record, ctx)


def check_field(field: Field, value: Any, record: Mapping, ctx: Context) -> Any:
    """Validate one field's value; None means the field stays empty."""
    names = [n for n in field.validators if n in VALIDATORS]
    if not names and field.kind == "text":
        # CKAN's own validators guard such a field in CKAN; outside it, a
        # list or dict there (a legacy extra `licence: "[]"`) is no text
        names = ["sdm_text"]
    for name in names:
        value = apply(name, value, field, record, ctx)
    return value


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _shape_checks(fields: Iterable[Field]) -> tuple:
    """(name, its kind's `holds`, field) of each field."""
    return tuple((field.name, field.kind_type.holds, field) for field in fields)


@functools.cache
def _dataset_shape_checks() -> tuple:
    """`_shape_checks` of every dataset field, looked up once: a publish
    asks them of every stored record."""
    return _shape_checks(dataset_fields())


def shape_errors(record: Mapping, fields: Iterable[Field] | None = None) -> list:
    """A FieldError per field whose stored value has not the shape of its
    kind (a list where text belongs, an unknown code): the cheap check a
    reader of stored records makes before trusting them."""
    errors = []
    get = record.get
    for name, holds, field in _shape_checks(fields) if fields else _dataset_shape_checks():
        value = get(name)
        if value is not None and not holds(field, value):
            errors.append(
                FieldError(
                    field.name,
                    message(
                        "stored_value_malformed", field, value=json.dumps(value, ensure_ascii=False, default=str)[:200]
                    ),
                )
            )
    resources = record.get("resources")
    if resources is not None and not (
        isinstance(resources, list)
        and all(isinstance(r, dict) and all(_is_text(v) for v in r.values()) for r in resources)
    ):
        errors.append(FieldError("resources", message("stored_value_malformed", None, value=str(resources)[:200])))
    return errors


def rejects(field: Field) -> bool:
    """Whether a bad value of the field costs a harvested record: policy
    fields and required ones do, every other is flagged and dropped."""
    return field.required or field.section in POLICY_SECTIONS


def flag(field_name: str, problem: Mapping[str, str], value: Any = None) -> dict:
    """A quality flag: which field, what is wrong (bilingual), the value as it came."""
    out = {"field": field_name, "problem": problem}
    if not is_empty(value):
        out["value"] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return out


def validate_record(
    record: Mapping, ctx: Context | None = None, fields: Iterable[Field] | None = None, lenient: bool = False
) -> tuple[dict, list]:
    """Validate a whole dataset dict outside CKAN.

    Returns (clean, errors): clean holds every valid field's normalised
    value and passes through keys the schema does not define (resources,
    harvest provenance); errors lists a FieldError per invalid field and per
    broken cross-field rule.  With `lenient`, errors of fields that do not
    `reject` and of FLAGGING_RULES are not errors: the value is dropped and
    a flag (see `flag`) added to clean["quality_flags"].
    """
    ctx = ctx or Context()
    fields = tuple(fields or dataset_fields())
    defined = {f.name for f in fields}  # once, not once per key
    clean = {k: v for k, v in record.items() if k not in defined}
    errors, flags = [], list(decode_json(record.get("quality_flags")) or []) if lenient else []
    for field in fields:
        if lenient and field.name == "quality_flags":
            continue
        try:
            value = check_field(field, record.get(field.name), record, ctx)
        except Invalid as error:
            if lenient and not rejects(field):
                flags.append(flag(field.name, error.messages, record.get(field.name)))
                continue
            errors.append(FieldError(field.name, error.messages))
            continue
        if value is not None:
            clean[field.name] = value
    if not errors:
        for rule in rules.RULES:
            for error in rule(clean, ctx):
                if lenient and rule.__name__ in FLAGGING_RULES:
                    flags.append(flag(error.field, error.messages))
                else:
                    errors.append(error)
    if flags:
        clean["quality_flags"] = quality_flags(flags, None, clean, ctx)
    return clean, errors
