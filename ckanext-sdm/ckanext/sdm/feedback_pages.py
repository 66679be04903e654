"""Pages of the demands, the quality reports and the register of
authorised use (feedback.py, authorisations.py): forms that call the
`sdm_*` actions, lists that show what they return, the register's files."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from ckanext.sdm import authorisations, feedback
from ckanext.sdm.helpers import sdm_message
from ckanext.sdm.views import _context, _dataset_or_404, _sign_in_first, protect_forms, submit_form

blueprint = Blueprint("sdm_feedback", __name__)
blueprint.before_request(protect_forms)


def _submit(action: str, data: dict) -> tuple:
    """The form's action; a refusal is the user's (a blacklisted reader)."""
    return submit_form(action, data, "user", sdm_message("feedback_blacklisted"))


# -- demands --------------------------------------------------------------------
@blueprint.route("/demands")
def demands() -> ResponseReturnValue:
    status = tk.request.args.get("status") or None
    listed = tk.get_action("sdm_demand_list")(_context(), {"status": status})
    return tk.render(
        "sdm/feedback/demands.html", {"demands": listed, "status": status, "statuses": tuple(feedback.DEMAND_STEPS)}
    )


@blueprint.route("/demands/new", methods=["GET", "POST"])
def demand_new() -> ResponseReturnValue:
    if not tk.current_user.is_authenticated:
        return _sign_in_first()
    data, errors = {}, {}
    if tk.request.method == "POST":
        data = dict(tk.request.form)
        created, errors = _submit("sdm_demand_create", data)
        if created:
            return tk.redirect_to("sdm_feedback.demand", demand_id=created["id"])
    return tk.render("sdm/feedback/demand_form.html", {"data": data, "errors": errors})


@blueprint.route("/demands/<demand_id>")
def demand(demand_id: str) -> ResponseReturnValue:
    try:
        shown = tk.get_action("sdm_demand_show")(_context(), {"id": demand_id})
    except tk.ObjectNotFound:
        return tk.abort(404)
    can_answer = tk.current_user.is_authenticated and _may("sdm_demand_update", demand_id)
    return tk.render(
        "sdm/feedback/demand.html",
        {"demand": shown, "can_answer": can_answer, "steps": feedback.DEMAND_STEPS[shown["status"]]},
    )


def _may(action: str, object_id: str) -> bool:
    try:
        return tk.check_access(action, _context(), {"id": object_id})
    except tk.NotAuthorized:
        return False


@blueprint.route("/demands/<demand_id>/<step>", methods=["POST"])
def demand_step(demand_id: str, step: str) -> ResponseReturnValue:
    """`support` (+1) or `answer` (the unit's editors)."""
    if not tk.current_user.is_authenticated:
        return _sign_in_first()
    actions = {"support": "sdm_demand_support", "answer": "sdm_demand_update"}
    if step not in actions:
        return tk.abort(404)
    try:
        _result, errors = _submit(actions[step], dict(tk.request.form, id=demand_id))
    except tk.ObjectNotFound:
        return tk.abort(404)
    if errors:
        tk.h.flash_error("; ".join(m for messages in errors.values() for m in messages))
    return tk.redirect_to("sdm_feedback.demand", demand_id=demand_id)


# -- quality reports ------------------------------------------------------------
@blueprint.route("/dataset/<id>/report", methods=["GET", "POST"])
def report_new(id: str) -> ResponseReturnValue:
    if not tk.current_user.is_authenticated:
        return _sign_in_first()
    pkg = _dataset_or_404(id)
    data, errors = {}, {}
    if tk.request.method == "POST":
        data = dict(tk.request.form, id=pkg["id"])
        created, errors = _submit("sdm_quality_report_create", data)
        if created:
            tk.h.flash_success(sdm_message("report_status_open"))
            return tk.redirect_to("dataset.read", id=pkg["name"])
    return tk.render("sdm/feedback/report_form.html", {"pkg": pkg, "data": data, "errors": errors})


@blueprint.route("/dashboard/quality-reports")
def reports() -> ResponseReturnValue:
    if not tk.current_user.is_authenticated:
        return _sign_in_first()
    listed = tk.get_action("sdm_quality_report_list")(_context(), {})
    answerable = {r["id"] for r in listed if _may("sdm_quality_report_update", r["package_id"])}
    return tk.render(
        "sdm/feedback/reports.html", {"reports": listed, "answerable": answerable, "steps": feedback.REPORT_STEPS}
    )


@blueprint.route("/quality-report/<report_id>/answer", methods=["POST"])
def report_answer(report_id: str) -> ResponseReturnValue:
    try:
        _result, errors = _submit("sdm_quality_report_update", dict(tk.request.form, id=report_id))
    except tk.ObjectNotFound:
        return tk.abort(404)
    if errors:
        tk.h.flash_error("; ".join(m for messages in errors.values() for m in messages))
    return tk.redirect_to("sdm_feedback.reports")


# -- the register of authorised use ---------------------------------------------
@blueprint.route("/authorisations")
def register() -> ResponseReturnValue:
    entries = tk.get_action("sdm_authorisation_list")(_context(), {"status": tk.request.args.get("status")})
    return tk.render("sdm/feedback/authorisations.html", {"entries": entries})


@blueprint.route("/authorisations.<extension>")
def register_file(extension: str) -> ResponseReturnValue:
    entries = tk.get_action("sdm_authorisation_list")(_context(), {})
    if extension == "csv":
        return Response(
            authorisations.as_csv(entries),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="authorisations.csv"'},
        )
    if extension == "jsonld":
        site = tk.config.get("ckan.site_url").rstrip("/")
        return Response(authorisations.as_jsonld(entries, site), mimetype="application/ld+json")
    return tk.abort(404)
