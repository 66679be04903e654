"""One function per indicator of indicators.yaml, named by its key.

Each takes the dataset dict, its `Facts` (what the catalogue knows beside
the record: link checks, SHACL findings, certificates, access requests) and
the day of the evaluation (an indicator of `level: unit` takes the unit's
`UnitFacts` alone), and returns an `Outcome`: a value from 0 to 1,
or None when the indicator does not apply to the dataset, and the problems
found, each named after the field to fix.  The fields are read from the
schema's roles (required, recommended, dcat, show_if) and its rules, never
listed here, so a field added to the schema is evaluated with the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Container, Iterable, Mapping

from sdm_schema import disclosure, rules
from sdm_schema.errors import FieldError
from sdm_schema.loader import Field, codelist, dataset_field, dataset_fields, fields_with, message, resource_fields
from sdm_schema.rdf import file_types, licences

#: CKAN's own licence field (no sdm role: CKAN's licence register owns it).
LICENCE_FIELD = "license_id"
#: The DCAT terms MQA's Findability dimension asks for.
FINDABILITY_TERMS = ("dcat:keyword", "dcat:theme")
#: How long an access request may wait for its decision (R13), when the
#: site sets no other.
ANSWER_DAYS = 15


@dataclass(frozen=True)
class LinkResult:
    """One URL as last checked: reachable or not, the HTTP status or error,
    and when."""

    ok: bool
    status: str
    checked: str


@dataclass
class Facts:
    """What the catalogue knows of a dataset beside its record.  None means
    not known here, and the indicators that need it do not apply."""

    #: {url: LinkResult} from the link check.
    links: Mapping[str, LinkResult] = field(default_factory=dict)
    #: DCAT-AP findings of the international record ([] = conforms), None
    #: when not checked or not in the international feed.
    shacl: list | None = None
    #: (certificate number, changed?) of the dataset's latest certificate.
    submission: tuple | None = None
    #: whether the catalogue issues submission certificates (CKAN does): only
    #: then is a dataset without one known to have none
    certificates: bool = False
    #: the day the dataset's first certificate was issued
    submitted_on: dt.date | None = None
    #: (requests answered late or still waiting past the deadline, requests due)
    requests: tuple | None = None
    #: (late, due) of the dataset's quality reports, counted the same way
    reports: tuple | None = None
    answer_days: int = ANSWER_DAYS


@dataclass
class UnitFacts:
    """What the catalogue knows of a unit as a whole, for the indicators of
    `level: unit`.  None means not known here (the harvester holds no
    demands)."""

    #: (late, due) of the demands addressed to the unit (request_counts)
    demands: tuple | None = None
    answer_days: int = ANSWER_DAYS


@dataclass
class Outcome:
    value: float | None
    problems: list = field(default_factory=list)


NOT_APPLICABLE = Outcome(None)


def _given(value: object) -> bool:
    if isinstance(value, Mapping):
        return any(_given(v) for v in value.values())
    return value not in (None, "", [], {})


def _share(good: int, total: int) -> float | None:
    return good / total if total else None


def _problem(field_name: str, key: str, **params: object) -> FieldError:
    """A finding on a dataset field, in both languages (as the rules word theirs)."""
    return rules._error(field_name, key, **params)


def _free(key: str, **params: object) -> FieldError:
    """A finding that is not about one field."""
    return FieldError("", message(key, **params))


def _filled(record: Mapping, fields: Iterable[Field]) -> Outcome:
    applying = [f for f in fields if f.applies(record)]
    missing = [f for f in applying if not _given(record.get(f.name))]
    value = _share(len(applying) - len(missing), len(applying))
    return Outcome(value, [_problem(f.name, "eval_missing") for f in missing])


# -- findability and completeness ----------------------------------------------


def _required_fields() -> tuple:
    return tuple(f for f in dataset_fields() if f.required or "not_empty" in f.validators)


def required_filled(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    return _filled(record, _required_fields())


def recommended_filled(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    return _filled(record, fields_with("recommended"))


def _international(record: Mapping, today: dt.date) -> bool:
    return disclosure.decide(record, disclosure.INTERNATIONAL, today).visible


def bilingual(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    """Open data goes abroad: its translated texts in both languages."""
    if not _international(record, today):
        return NOT_APPLICABLE
    wanted = [
        f
        for f in (*_required_fields(), *fields_with("recommended"))
        if f.kind_type.translated and _given(record.get(f.name))
    ]
    languages = codelist("language")
    problems = [
        _problem(f.name, "eval_missing_language", language=languages[tag].label)
        for f in wanted
        for tag in ("zh-Hans", "en")
        if not _given((record.get(f.name) or {}).get(tag))
    ]
    complete = sum(1 for f in wanted if all(_given((record.get(f.name) or {}).get(t)) for t in ("zh-Hans", "en")))
    return Outcome(_share(complete, len(wanted)), problems)


def keywords_disciplines(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    return _filled(record, [f for f in fields_with("dcat") if f.raw["dcat"] in FINDABILITY_TERMS])


def licence_given(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    return _filled(record, [dataset_field(LICENCE_FIELD)])


# -- conformance ------------------------------------------------------------------


def shacl_conformant(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    if facts.shacl is None:
        return NOT_APPLICABLE
    return Outcome(0.0 if facts.shacl else 1.0, [_free("eval_not_conformant", detail=d) for d in facts.shacl])


def _format_field():
    return next(f for f in resource_fields() if f.name == "format")


def known_formats(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    resources = record.get("resources") or []
    if not resources:
        return NOT_APPLICABLE
    unknown = [
        (n, r.get("format") or "—") for n, r in enumerate(resources, 1) if not file_types.lookup(r.get("format"))
    ]
    problems = [
        FieldError("resources", message("eval_unknown_format", _format_field(), index=n, value=v)) for n, v in unknown
    ]
    return Outcome(_share(len(resources) - len(unknown), len(resources)), problems)


def known_licence(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    given = record.get(LICENCE_FIELD)
    if not _given(given):
        return NOT_APPLICABLE
    if licences.licence_id(given) in licences.LICENCES:
        return Outcome(1.0)
    return Outcome(0.0, [_problem(LICENCE_FIELD, "eval_unknown_licence", value=given)])


# -- accessibility ------------------------------------------------------------------


def resource_urls(record: Mapping) -> list:
    """The URLs the link check visits for a dataset: each file's access and
    download URL (MQA's accessURL/downloadURL), in order, once each."""
    urls = []
    for resource in record.get("resources") or []:
        for key in ("url", "access_url", "download_url"):
            if _given(resource.get(key)) and resource[key] not in urls:
                urls.append(resource[key])
    return urls


def links_reachable(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    checked = [(n, facts.links[u]) for n, u in enumerate(resource_urls(record), 1) if u in facts.links]
    broken = [(n, r) for n, r in checked if not r.ok]
    problems = [
        FieldError(
            "resources",
            message("eval_link_broken", resource_fields()[0], index=n, status=r.status, checked=r.checked[:16]),
        )
        for n, r in broken
    ]
    return Outcome(_share(len(checked) - len(broken), len(checked)), problems)


# -- timeliness ---------------------------------------------------------------------

UPDATE_CYCLE = "update_cycle"
MODIFIED = "metadata_modified"


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def updated_on_time(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    cycle = record.get(UPDATE_CYCLE)
    cl = codelist(dataset_field(UPDATE_CYCLE).codelist_name)
    days = cl[cycle].get("period_days") if cycle in cl else None
    if not days:
        return NOT_APPLICABLE  # irregular, other or none: no promise to keep
    last = _day(record.get(MODIFIED))
    if last is None:
        return Outcome(0.0, [_problem(UPDATE_CYCLE, "eval_never_modified")])
    if (today - last).days > days:
        return Outcome(0.0, [_problem(UPDATE_CYCLE, "eval_overdue", last=last.isoformat(), days=days)])
    return Outcome(1.0)


def embargo_lifted(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    end = disclosure.embargo_end(record)
    if end is None or end > today:
        return NOT_APPLICABLE
    if _given(record.get("embargo_lifted")):
        return Outcome(1.0)
    return Outcome(0.0, [_problem("embargo_until", "eval_embargo_not_lifted", date=end.isoformat())])


# -- openness -------------------------------------------------------------------------

OPEN_ATTRIBUTE = "open_attribute"
#: How open each open attribute is: open by default, closed by exception (R3).
OPENNESS = {"unconditional": 1.0, "conditional": 0.5, "not_open": 0.0}


def open_attribute(record: Mapping) -> str:
    return record.get(OPEN_ATTRIBUTE) or dataset_field(OPEN_ATTRIBUTE).default


def open_by_default(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    code = open_attribute(record)
    value = OPENNESS.get(code, 0.0)
    if value == 1.0:
        return Outcome(value)
    label = codelist("open_attribute")[code].label if code in codelist("open_attribute") else code
    return Outcome(value, [_problem(OPEN_ATTRIBUTE, "eval_not_open", value=label)])


def _condition_fields(record: Mapping, attribute_codes: Container[str]) -> list:
    """The fields the rules ask for with the record's sharing and open
    attributes (rules._CONDITIONS), when the code is one of `attribute_codes`."""
    return [
        dataset_field(name)
        for attribute, by_code in rules._CONDITIONS.items()
        if record.get(attribute) in attribute_codes
        for name in by_code.get(record.get(attribute), ())
    ]


def closed_with_reason(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    if open_attribute(record) != "not_open":
        return NOT_APPLICABLE
    return _filled(record, _condition_fields(record, ("not_open", "not_shared")))


def conditions_stated(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    if open_attribute(record) != "conditional" and record.get("sharing_attribute") != "conditional":
        return NOT_APPLICABLE
    return _filled(record, _condition_fields(record, ("conditional",)))


def grade_respected(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    """Core data never open or shared without conditions (the rules' own
    check); important data not open without conditions either."""
    grade = record.get("data_grade")
    if grade not in ("core", "important"):
        return NOT_APPLICABLE
    # the openness rule's findings on the attributes themselves are its core-data check
    problems = [e for e in rules.openness(record, None) if e.field in rules._CONDITIONS]
    if grade == "important" and open_attribute(record) == "unconditional":
        problems.append(
            _problem(
                OPEN_ATTRIBUTE,
                "eval_important_unconditional",
                attribute=codelist("open_attribute")["unconditional"].label,
            )
        )
    return Outcome(0.0 if problems else 1.0, problems)


# -- submission, service, harvest ----------------------------------------------------


FUNDING_FIELD, DUE_FIELD = "funding_project", "submission_due"


def funded_submitted(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    """A funded project's dataset has a certificate, unless not due yet (R7)."""
    project = record.get(FUNDING_FIELD)
    if not facts.certificates or not _given(project):
        return NOT_APPLICABLE
    if facts.submitted_on is not None:
        return Outcome(1.0)
    due = _day(record.get(DUE_FIELD))
    if due is not None and due >= today:
        return NOT_APPLICABLE
    return Outcome(0.0, [_problem(FUNDING_FIELD, "eval_submission_missing", project=project)])


def submitted_on_time(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    """Submitted (first certificate) by the due date; not applicable while
    neither submitted nor due."""
    due = _day(record.get(DUE_FIELD))
    if not facts.certificates or due is None:
        return NOT_APPLICABLE
    if facts.submitted_on is not None:
        if facts.submitted_on <= due:
            return Outcome(1.0)
        late = _problem(DUE_FIELD, "eval_submission_late", day=facts.submitted_on.isoformat(), due=due.isoformat())
        return Outcome(0.0, [late])
    if due >= today:
        return NOT_APPLICABLE
    return Outcome(0.0, [_problem(DUE_FIELD, "eval_submission_overdue", due=due.isoformat())])


def submission_intact(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    if facts.submission is None:
        return NOT_APPLICABLE
    number, changed = facts.submission
    return Outcome(0.0, [_free("eval_submission_changed", number=number)]) if changed else Outcome(1.0)


def _in_time(counts: tuple | None, key: str, days: int) -> Outcome:
    """The share answered in time of (late, due); not applicable with none due."""
    if not counts or not counts[1]:
        return NOT_APPLICABLE
    late, due = counts
    problems = [_free(key, late=late, total=due, days=days)] if late else []
    return Outcome((due - late) / due, problems)


def requests_answered(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    return _in_time(facts.requests, "eval_requests_late", facts.answer_days)


def reports_answered(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    return _in_time(facts.reports, "eval_reports_late", facts.answer_days)


def demands_answered(unit_facts: UnitFacts) -> Outcome:
    """Of `level: unit`: the unit's demands answered in time (UnitFacts)."""
    return _in_time(unit_facts.demands, "eval_demands_late", unit_facts.answer_days)


def harvest_clean(record: Mapping, facts: Facts, today: dt.date) -> Outcome:
    if not _given(record.get("harvest_source")):
        return NOT_APPLICABLE
    flagged = sorted({f.get("field") or "?" for f in record.get("quality_flags") or []})
    if not flagged:
        return Outcome(1.0)
    return Outcome(0.0, [_free("eval_harvest_flags", fields=", ".join(flagged))])


def request_counts(requests: Iterable[tuple], today: dt.datetime, answer_days: int = ANSWER_DAYS) -> tuple:
    """(late, due) of a dataset's access requests, each a (created, decided
    or None) pair of datetimes: a request is due once decided or once its
    deadline has passed, late when decided after it or still undecided."""
    limit = dt.timedelta(days=answer_days)
    late = due = 0
    for created, decided in requests:
        if decided is None and today - created <= limit:
            continue  # still within its time
        due += 1
        if decided is None or decided - created > limit:
            late += 1
    return late, due
