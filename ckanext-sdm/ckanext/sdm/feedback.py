"""Demands for data and quality reports (R13): what users need and what
they find wrong, answered by the responsible unit.

A *demand* asks for data the catalogue lacks, or for opening a closed or
conditional dataset; it is public (the requester's name and contact are
not), others support it, and the unit's editors answer it
(open → accepted → fulfilled with the dataset, or declined with a reason).
A *quality report* names a problem in one dataset, and the field where the
reporter can; the unit's editors answer and close it.  Both are abuse-safe:
signed-in users only, blacklisted ones refused, a daily limit per user,
length limits, plain text only (templates escape it), every step in the
audit trail.  The text users write is never rendered as HTML.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.sdm import audit, notify
from ckanext.sdm.access_requests import (
    can_decide,
    decidable_package_ids,
    edited_unit_ids,
    of_dataset,
    signed_in,
    title_of,
)
from ckanext.sdm.helpers import bilingual_message
from ckanext.sdm.model import Demand, DemandSupport, QualityReport, utcnow
from sdm_schema import codelist, dataset_field, dataset_fields, evaluation, message
from sdm_schema.validation import decode_json

DEMAND, REPORT = "demand", "quality_report"
#: The statuses a demand may move to from each status.
DEMAND_STEPS = {
    "open": ("accepted", "fulfilled", "declined"),
    "accepted": ("fulfilled", "declined"),
    "fulfilled": (),
    "declined": (),
}
REPORT_STEPS = {"open": ("answered", "closed"), "answered": ("closed",), "closed": ()}
#: Statuses whose step needs a written answer.
_NEEDS_ANSWER = ("declined", "answered", "closed")
SUBJECT_LIMIT, TEXT_LIMIT = 200, 4000


def daily_limit() -> int:
    return tk.config.get("ckanext.sdm.feedback.daily_limit")


# -- what every submission goes through -------------------------------------
def _text(data_dict: dict, name: str, label: str, limit: int, errors: dict, required: bool = True) -> str | None:
    """The stripped text of an input, checked for presence and length."""
    text = str(data_dict.get(name) or "").strip()
    if not text:
        if required:
            errors[name] = [bilingual_message("missing_value", name=message(label))]
        return None
    if len(text) > limit:
        errors[name] = [bilingual_message("feedback_too_long", name=message(label), limit=limit)]
    return text


def _submitter(context: dict, table: type[Demand | QualityReport], action: str) -> model.User:
    """The signed-in user, refused when blacklisted or over the daily limit."""
    user = model.User.get(context.get("user") or "")
    if user is None:
        raise tk.NotAuthorized()
    if audit.blacklisted(user.id, audit.client_address()):
        audit.record(action, audit.BLACKLISTED, user.name)
        model.Session.commit()
        raise tk.NotAuthorized(bilingual_message("feedback_blacklisted"))
    since = utcnow() - dt.timedelta(days=1)
    made = model.Session.query(table).filter(table.user_id == user.id, table.created > since).count()
    if made >= daily_limit():
        raise tk.ValidationError({"user": [bilingual_message("feedback_rate_limited", limit=daily_limit())]})
    return user


def _step(row: Demand | QualityReport, steps: dict, prefix: str, data_dict: dict, errors: dict) -> str:
    """The status asked for, if the row may move there."""
    status = str(data_dict.get("status") or "")
    if status not in steps.get(row.status, ()):
        errors["status"] = [
            bilingual_message(
                "feedback_bad_status",
                current=message(f"{prefix}_status_{row.status}"),
                status=message(f"{prefix}_status_{status}") if status in steps else status,
            )
        ]
    return status


def _answer(context: dict, row: Demand | QualityReport, status: str, answer: str | None, action: str) -> None:
    """`answered` keeps the first answer's time: the evaluation measures
    how long the unit took to answer, not to close."""
    row.status, row.answer, row.answered_by = status, answer, context["user"]
    row.answered = row.answered or utcnow()
    audit.record(action, status, context["user"], getattr(row, "package_id", None), detail=answer)


def _is_editor(context: dict, package_id: str | None = None, owner_org: str | None = None) -> bool:
    user = model.User.get(context.get("user") or "")
    if user is None:
        return False
    if user.sysadmin:
        return True
    if package_id:
        return can_decide(context, package_id)
    return bool(owner_org) and owner_org in edited_unit_ids(user)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- demands --------------------------------------------------------------------
def _demand_dict(context: dict, demand: Demand) -> dict:
    """A demand as anyone may see it; the requester and the contact only
    for the requester and the unit's editors."""
    package = model.Package.get(demand.package_id) if demand.package_id else None
    fulfilled = model.Package.get(demand.fulfilled_by) if demand.fulfilled_by else None
    unit = model.Group.get(demand.owner_org) if demand.owner_org else None
    out = {
        "id": demand.id,
        "subject": demand.subject,
        "purpose": demand.purpose,
        "discipline": demand.discipline,
        "owner_org": demand.owner_org,
        "unit_name": unit.name if unit else None,
        "unit_title": title_of(unit),
        "package_id": demand.package_id,
        "dataset_name": package.name if package else None,
        "dataset_title": title_of(package),
        "status": demand.status,
        "answer": demand.answer,
        "created": _iso(demand.created),
        "answered": _iso(demand.answered),
        "fulfilled_by": fulfilled.name if fulfilled else None,
        "supporters": model.Session.query(DemandSupport).filter_by(demand_id=demand.id).count(),
    }
    user = model.User.get(context.get("user") or "")
    if user is not None and (user.id == demand.user_id or _demand_editor(context, demand)):
        requester = model.User.get(demand.user_id)
        out.update(user=requester.name if requester else None, contact=demand.contact)
    return out


def _demand_editor(context: dict, demand: Demand) -> bool:
    return _is_editor(context, package_id=demand.package_id, owner_org=demand.owner_org)


def _unit_id(value: object, errors: dict) -> str | None:
    if not value:
        return None
    unit = model.Group.get(value)
    if unit is None or not unit.is_organization:
        errors["owner_org"] = [bilingual_message("feedback_no_unit", value=value)]
        return None
    return unit.id


def _package_id(value: object, name: str, errors: dict) -> str | None:
    if not value:
        return None
    package = model.Package.get(value)
    if package is None or package.state != "active":
        errors[name] = [bilingual_message("admin_no_dataset", dataset=value)]
        return None
    return package.id


def demand_create(context: dict, data_dict: dict) -> dict:
    """State a demand: `subject`, `purpose`, optionally `discipline` (code),
    `owner_org` (the unit expected to hold the data), `id` (a closed or
    conditional dataset to be opened), `contact`."""
    tk.check_access("sdm_demand_create", context, data_dict)
    user = _submitter(context, Demand, DEMAND)
    errors: dict = {}
    fields = {
        "subject": _text(data_dict, "subject", "demand_subject", SUBJECT_LIMIT, errors),
        "purpose": _text(data_dict, "purpose", "demand_purpose", TEXT_LIMIT, errors),
        "contact": _text(data_dict, "contact", "demand_contact", SUBJECT_LIMIT, errors, required=False),
        "owner_org": _unit_id(data_dict.get("owner_org"), errors),
        "package_id": _package_id(data_dict.get("id"), "id", errors),
    }
    discipline = data_dict.get("discipline") or None
    if discipline and discipline not in codelist("discipline"):
        errors["discipline"] = [
            bilingual_message("unknown_code", field=dataset_field("discipline"), value=discipline, choices="GB/T 13745")
        ]
    if errors:
        raise tk.ValidationError(errors)
    if fields["package_id"] and not fields["owner_org"]:
        fields["owner_org"] = model.Package.get(fields["package_id"]).owner_org
    demand = Demand(user_id=user.id, discipline=discipline, **fields)
    model.Session.add(demand)
    audit.record(DEMAND, "open", user.name, fields["package_id"], detail=fields["subject"])
    model.Session.commit()
    return _demand_dict(context, demand)


def _demand(data_dict: dict) -> Demand:
    demand = model.Session.get(Demand, tk.get_or_bust(data_dict, "id"))
    if demand is None:
        raise tk.ObjectNotFound()
    return demand


@tk.side_effect_free
def demand_show(context: dict, data_dict: dict) -> dict:
    """One demand (public)."""
    tk.check_access("sdm_demand_show", context, data_dict)
    return _demand_dict(context, _demand(data_dict))


@tk.side_effect_free
def demand_list(context: dict, data_dict: dict) -> list:
    """Demands, newest first; `status`, `owner_org` filter them."""
    tk.check_access("sdm_demand_list", context, data_dict)
    query = model.Session.query(Demand)
    if data_dict.get("status"):
        query = query.filter(Demand.status == data_dict["status"])
    if data_dict.get("owner_org"):
        unit = model.Group.get(data_dict["owner_org"])
        query = query.filter(Demand.owner_org == (unit.id if unit else data_dict["owner_org"]))
    return [_demand_dict(context, d) for d in query.order_by(Demand.created.desc()).limit(1000)]


def demand_support(context: dict, data_dict: dict) -> dict:
    """Support ("+1") a demand: `id`; once per user."""
    tk.check_access("sdm_demand_support", context, data_dict)
    demand = _demand(data_dict)
    user = model.User.get(context["user"])
    if model.Session.get(DemandSupport, (demand.id, user.id)) is not None:
        raise tk.ValidationError({"id": [bilingual_message("feedback_already_supported")]})
    model.Session.add(DemandSupport(demand_id=demand.id, user_id=user.id))
    model.Session.commit()
    return _demand_dict(context, demand)


def demand_update(context: dict, data_dict: dict) -> dict:
    """Answer a demand: `id`, `status` (accepted, fulfilled, declined),
    `answer` (needed to decline), `dataset` (needed to fulfil)."""
    demand = _demand(data_dict)
    tk.check_access("sdm_demand_update", context, {"id": demand.id})
    errors: dict = {}
    status = _step(demand, DEMAND_STEPS, "demand", data_dict, errors)
    answer = _text(data_dict, "answer", "demand_answer", TEXT_LIMIT, errors, required=status in _NEEDS_ANSWER)
    if status == "fulfilled":
        demand.fulfilled_by = _package_id(data_dict.get("dataset"), "dataset", errors)
        if not data_dict.get("dataset"):
            errors["dataset"] = [bilingual_message("feedback_needs_dataset")]
    if errors:
        model.Session.rollback()
        raise tk.ValidationError(errors)
    _answer(context, demand, status, answer, DEMAND)
    model.Session.commit()
    notify.feedback_answered(
        model.User.get(demand.user_id),
        demand.subject,
        message(f"demand_status_{status}"),
        answer or "",
        f"/demands/{demand.id}",
    )
    return _demand_dict(context, demand)


# -- quality reports ------------------------------------------------------------
def _report_dict(report: QualityReport) -> dict:
    package = model.Package.get(report.package_id)
    reporter = model.User.get(report.user_id)
    extras = package.extras if package else {}
    return {
        "id": report.id,
        "package_id": report.package_id,
        "dataset_name": package.name if package else None,
        "dataset_title": title_of(package),
        "owner_org": package.owner_org if package else None,
        "user": reporter.name if reporter else None,
        "problem": report.problem,
        "field": report.field,
        "description": report.description,
        "status": report.status,
        "answer": report.answer,
        "created": _iso(report.created),
        "answered": _iso(report.answered),
        "upstream": upstream(extras),
    }


def upstream(extras: dict) -> dict | None:
    """Where a harvested dataset is fixed: the source it was harvested from
    (its name in the harvest configuration), that platform's address and
    unit (the provenance hop of this harvest: the one naming the record's
    identifier there), the identifier, and the dataset's page there.  None
    when it was catalogued here.  `extras`: the package's extras, or its dict."""
    if not extras.get("harvest_source"):
        return None
    identifier = extras.get("harvest_identifier")
    hops = decode_json(extras.get("provenance")) if extras.get("provenance") else None
    hops = [h for h in hops if isinstance(h, dict)] if isinstance(hops, list) else []
    hop = next((h for h in hops if h.get("record") == identifier), hops[0] if len(hops) == 1 else {})
    unit = hop.get("unit") if isinstance(hop.get("unit"), dict) else {}
    page = str(extras.get("landing_page") or extras.get("origin") or "")
    platform = str(hop.get("catalogue") or "")
    return {
        "source": extras["harvest_source"],
        "platform": platform if _web(platform) else None,
        "platform_unit": unit.get("title_translated") or None,
        "record": identifier or hop.get("record"),
        "page": page if _web(page) else None,
    }


def _web(address: str) -> bool:
    """Only web addresses become links (never javascript: or data:)."""
    return address.startswith(("http://", "https://"))


def quality_report_create(context: dict, data_dict: dict) -> dict:
    """Report a problem in a dataset: `id`, `problem` (code list
    quality_problem), `description`, optionally `field` (a schema field)."""
    tk.check_access("sdm_quality_report_create", context, data_dict)
    package = tk.get_action("package_show")({"user": context["user"]}, {"id": tk.get_or_bust(data_dict, "id")})
    user = _submitter(context, QualityReport, REPORT)
    errors: dict = {}
    description = _text(data_dict, "description", "report_description", TEXT_LIMIT, errors)
    problem = data_dict.get("problem")
    problems = codelist("quality_problem")
    if problem not in problems:
        errors["problem"] = [
            bilingual_message("feedback_unknown_problem", value=problem or "", choices=", ".join(problems.codes))
        ]
    field = data_dict.get("field") or None
    if field and field not in {f.name for f in dataset_fields()}:
        errors["field"] = [bilingual_message("feedback_unknown_field", value=field)]
    if errors:
        raise tk.ValidationError(errors)
    report = QualityReport(
        package_id=package["id"], user_id=user.id, problem=problem, field=field, description=description
    )
    model.Session.add(report)
    audit.record(REPORT, "open", user.name, package["id"], detail=description)
    model.Session.commit()
    shown = _report_dict(report)
    notify.report_received(shown, package)
    return shown


@tk.side_effect_free
def quality_report_list(context: dict, data_dict: dict) -> list:
    """With `id` (dataset): its reports, all of them for its unit's editors,
    the caller's own otherwise.  Without: the caller's inbox — every report
    on the datasets they edit — and their own reports.  `status` filters."""
    tk.check_access("sdm_quality_report_list", context, data_dict)
    user = model.User.get(context["user"])
    query = model.Session.query(QualityReport)
    if data_dict.get("id"):
        query = of_dataset(context, data_dict["id"], query, QualityReport)
    else:
        editable = decidable_package_ids(user.name)
        if editable is not None:
            mine = QualityReport.user_id == user.id
            query = query.filter(mine | QualityReport.package_id.in_(editable) if editable else mine)
    if data_dict.get("status"):
        query = query.filter(QualityReport.status == data_dict["status"])
    return [_report_dict(r) for r in query.order_by(QualityReport.created.desc()).limit(1000)]


def quality_report_update(context: dict, data_dict: dict) -> dict:
    """Answer or close a report: `id`, `status` (answered or closed), `answer`."""
    report = model.Session.get(QualityReport, tk.get_or_bust(data_dict, "id"))
    if report is None:
        raise tk.ObjectNotFound()
    tk.check_access("sdm_quality_report_update", context, {"id": report.package_id})
    errors: dict = {}
    status = _step(report, REPORT_STEPS, "report", data_dict, errors)
    answer = _text(data_dict, "answer", "report_answer", TEXT_LIMIT, errors)
    if errors:
        raise tk.ValidationError(errors)
    _answer(context, report, status, answer, REPORT)
    model.Session.commit()
    shown = _report_dict(report)
    notify.feedback_answered(
        model.User.get(report.user_id),
        shown["dataset_title"],
        message(f"report_status_{status}"),
        answer,
        f"/dataset/{shown['dataset_name']}",
    )
    return shown


def open_report_count(package_id: str) -> int:
    """For the dataset page: reports not yet closed."""
    return (
        model.Session.query(QualityReport)
        .filter(QualityReport.package_id == package_id, QualityReport.status != "closed")
        .count()
    )


# -- counted by the evaluation (docs/evaluation.md) -----------------------------
def _median_days(pairs: Iterable[tuple[dt.datetime, dt.datetime | None]]) -> float | None:
    days = [(answered - created).total_seconds() / 86400 for created, answered in pairs if answered]
    return round(statistics.median(days), 1) if days else None


def evaluation_inputs(now: dt.datetime, answer_days: int) -> tuple[dict, dict, dict]:
    """What the evaluation counts of the feedback: ({package id: (late, due)}
    of its quality reports, {unit: UnitFacts} of the demands addressed to
    it, {unit: figures} — open demands, unanswered reports, median days to
    the first answer — for every unit with datasets or feedback).  A demand
    naming no unit is counted nowhere."""
    reports: dict = {}
    for row in (
        model.Session.query(
            QualityReport.package_id, model.Package.owner_org, QualityReport.created, QualityReport.answered
        )
        .join(model.Package, model.Package.id == QualityReport.package_id)
        .filter(model.Package.state == "active")
    ):
        reports.setdefault(row.owner_org, {}).setdefault(row.package_id, []).append((row.created, row.answered))
    demands: dict = {}
    for row in model.Session.query(Demand.owner_org, Demand.created, Demand.answered).filter(
        Demand.owner_org.isnot(None)
    ):
        demands.setdefault(row.owner_org, []).append((row.created, row.answered))
    per_package = {
        pid: evaluation.request_counts(pairs, now, answer_days)
        for unit in reports.values()
        for pid, pairs in unit.items()
    }
    unit_facts = {
        unit: evaluation.UnitFacts(demands=evaluation.request_counts(pairs, now, answer_days), answer_days=answer_days)
        for unit, pairs in demands.items()
    }
    publishing = model.Session.query(model.Package.owner_org).filter(
        model.Package.state == "active", model.Package.type == "dataset", model.Package.owner_org.isnot(None)
    )
    figures = {}
    for unit in set(reports) | set(demands) | {row[0] for row in publishing.distinct()}:
        unit_reports = [pair for pairs in reports.get(unit, {}).values() for pair in pairs]
        unit_demands = demands.get(unit, [])
        figures[unit] = {
            "open_demands": sum(1 for _c, answered in unit_demands if answered is None),
            "unanswered_reports": sum(1 for _c, answered in unit_reports if answered is None),
            "demand_answer_days": _median_days(unit_demands),
            "report_answer_days": _median_days(unit_reports),
        }
    return per_package, unit_facts, figures


# -- auth -------------------------------------------------------------------
@tk.auth_allow_anonymous_access
def anyone(context: dict, data_dict: dict | None) -> dict:
    """Auth: everyone, signed in or not (public lists and pages)."""
    return {"success": True}


def _demand_editor_auth(context: dict, data_dict: dict | None) -> dict:
    demand = model.Session.get(Demand, (data_dict or {}).get("id") or "")
    return {"success": demand is not None and _demand_editor(context, demand)}


def _report_editor_auth(context: dict, data_dict: dict | None) -> dict:
    return {"success": _is_editor(context, package_id=(data_dict or {}).get("id"))}


ACTIONS = {
    "sdm_demand_create": demand_create,
    "sdm_demand_show": demand_show,
    "sdm_demand_list": demand_list,
    "sdm_demand_support": demand_support,
    "sdm_demand_update": demand_update,
    "sdm_quality_report_create": quality_report_create,
    "sdm_quality_report_list": quality_report_list,
    "sdm_quality_report_update": quality_report_update,
}
AUTH_FUNCTIONS = {
    "sdm_demand_create": signed_in,
    "sdm_demand_show": anyone,
    "sdm_demand_list": anyone,
    "sdm_demand_support": signed_in,
    "sdm_demand_update": _demand_editor_auth,
    "sdm_quality_report_create": signed_in,
    "sdm_quality_report_list": signed_in,
    "sdm_quality_report_update": _report_editor_auth,
}


def report_fields() -> list:
    """The fields a reporter may name: those the dataset page shows."""
    return [f for f in dataset_fields() if not f.from_field and f.raw.get("display_snippet", "") is not None]


HELPERS = {
    "sdm_open_report_count": open_report_count,
    "sdm_report_fields": report_fields,
    "sdm_report_upstream": upstream,
}
