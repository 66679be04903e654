"""Cross-field rules of the SDM schema (R2–R6), for CKAN and the harvester.

Field validators check one value each; these rules check how values fit
together.  `check(record, ctx)` returns a FieldError per broken rule, named
after the field the user should change.  docs/rules.md lists every rule and
the requirement behind it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from sdm_schema import disclosure, lang
from sdm_schema.errors import FieldError
from sdm_schema.loader import LANGUAGES, codelist, dataset_field, message

if TYPE_CHECKING:  # validation runs these rules: no import at run time
    from sdm_schema.validation import Context


def _labels(list_name: str, code: str) -> dict:
    """Both labels of a code, to quote it inside a message."""
    return dict(codelist(list_name)[code].label)


def _joined_labels(list_name: str, codes: Iterable[str]) -> dict:
    labels = codelist(list_name)
    return {tag: lang.join([labels.label_of(c, tag) for c in codes], tag) for tag in LANGUAGES}


def _error(field_name: str, key: str, **params: object) -> FieldError:
    """An error on a field; a {lang: text} parameter is quoted in each language."""
    field = dataset_field(field_name)
    messages = {}
    for tag in field.label:
        values = {k: (v[tag] if isinstance(v, Mapping) else v) for k, v in params.items()}
        messages[tag] = message(key, field, **values)[tag]
    return FieldError(field_name, messages)


def _present(record: Mapping, name: str) -> bool:
    value = record.get(name)
    return value not in (None, "", [], {})


def classification(record: Mapping, ctx: Context) -> Iterator[FieldError]:
    if not disclosure.marked_classified(record):
        return
    if not ctx.allow_classified:
        yield _error("secrecy", "classified_refused")
        return
    level = record.get("secrecy_level")
    if not level:
        yield _error("secrecy_level", "classified_needs_level")
    terms = [n for n in disclosure.classification_details(record) if n != "secrecy_level"]
    if len(terms) != 1:
        yield _error("secrecy_period_years", "classified_needs_one_term")
    elif terms == ["secrecy_period_years"] and level in codelist("secrecy_level"):
        maximum = codelist("secrecy_level")[level].get("max_years")
        if int(record["secrecy_period_years"]) > maximum:
            yield _error("secrecy_period_years", "period_too_long", level=_labels("secrecy_level", level), max=maximum)
    if record.get("sharing_attribute") != "not_shared":
        yield _error("sharing_attribute", "classified_not_open")
    if record.get("open_attribute") != "not_open":
        yield _error("open_attribute", "classified_not_open")


def classification_details(record: Mapping, ctx: Context) -> Iterator[FieldError]:
    """Secrecy level and declassification terms belong to classified data
    only: an unclassified record giving one contradicts itself, and the
    policy would have to guess which half is true."""
    if disclosure.marked_classified(record):
        return
    secrecy = _labels("secrecy", record.get("secrecy") or "unclassified")
    for name in disclosure.classification_details(record):
        yield _error(name, "classification_detail_unclassified", secrecy=secrecy)


# attribute field -> {code: fields required with it}
_CONDITIONS = {
    "sharing_attribute": {"conditional": ("sharing_condition",), "not_shared": ("sharing_condition",)},
    "open_attribute": {
        "conditional": ("open_condition", "open_audience", "review_procedure"),
        "not_open": ("closed_reason",),
    },
}


def openness(record: Mapping, ctx: Context) -> Iterator[FieldError]:
    for attribute, requirements in _CONDITIONS.items():
        code = record.get(attribute)
        for name in requirements.get(code, ()):
            if not _present(record, name):
                yield _error(name, "condition_required", attribute=_labels(attribute, code))
    if record.get("data_grade") == "core":
        # Core data (GB/T 43697) is under the strictest control: never
        # shared or opened without conditions.
        for attribute in ("open_attribute", "sharing_attribute"):
            if record.get(attribute) == "unconditional":
                yield _error(attribute, "core_not_unconditional", attribute=_labels(attribute, "unconditional"))


def deferral(record: Mapping, ctx: Context) -> Iterator[FieldError]:
    if record.get("disclosure") != "deferred":
        return
    if not _present(record, "deferral_reason"):
        yield _error("deferral_reason", "condition_required", attribute=_labels("disclosure", "deferred"))
    if not record.get("embargo_until"):
        yield _error("embargo_until", "condition_required", attribute=_labels("disclosure", "deferred"))
        return
    until = disclosure.embargo_end(record)
    if until is None:
        return  # the field validator reports the bad date
    limit = _years_after(ctx.today, ctx.embargo_max_years)
    if until <= ctx.today:
        yield _error("embargo_until", "embargo_not_future")
    elif until > limit:
        yield _error("embargo_until", "embargo_too_far", max=ctx.embargo_max_years, limit=limit.isoformat())


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def fees(record: Mapping, ctx: Context) -> Iterator[FieldError]:
    basis = record.get("fee_basis")
    if basis not in ("nonprofit", "commercial"):
        return
    basis_label = _labels("fee_basis", basis)
    if basis == "nonprofit" and not _present(record, "fee_items"):
        yield _error("fee_items", "fee_items_required", basis=basis_label)
    if basis == "commercial" and not (_present(record, "fee_items") or _present(record, "fee_schedule_url")):
        yield _error("fee_items", "pricing_basis_required", basis=basis_label)
    purposes = codelist("free_use_purpose")
    given = record.get("free_use_purposes") or []
    missing = [code for code in purposes.codes if code not in given]
    if given and missing:
        yield _error("free_use_purposes", "free_use_always_free", missing=_joined_labels("free_use_purpose", missing))


RULES = (classification, classification_details, openness, deferral, fees)


def check(record: Mapping, ctx: Context) -> list:
    return [error for rule in RULES for error in rule(record, ctx)]
