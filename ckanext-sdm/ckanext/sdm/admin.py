"""The extension's administration pages under /ckan-admin/sdm, for
sysadmins: the audit trail (filters, CSV export), the blacklist,
submission certificates (issue, list, print), the applications awaiting a
decision, the harvester's sources and runs (harvest_status.py), and the site identity the ini sets (config_declaration.yml).

Every page calls the extension's actions, so the API and the pages apply
the same rules and give the same bilingual errors.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from ckanext.sdm import access_requests, audit, site, submission
from ckanext.sdm.access import current_user_name
from ckanext.sdm.helpers import sdm_message

admin = Blueprint("sdm_admin", __name__, url_prefix="/ckan-admin/sdm")
#: The audit trail's filters, as query parameters.
AUDIT_FILTERS = ("since", "until", "action", "user", "outcome", "dataset")
#: The tabs of the administration pages: endpoint, message key.
TABS = (
    ("sdm_admin.index", "admin_overview"),
    ("sdm_admin.audit_page", "admin_audit"),
    ("sdm_admin.blacklist", "admin_blacklist"),
    ("sdm_admin.certificates", "admin_certificates"),
    ("sdm_admin.requests", "admin_requests"),
    ("sdm_admin.harvest", "admin_harvest"),
)


def _context() -> dict:
    return {"user": current_user_name()}


@admin.before_request
def sysadmins_only() -> ResponseReturnValue | None:
    if not tk.current_user.is_authenticated:
        return tk.redirect_to(
            tk.h.url_for("user.login", came_from=tk.h.url_for(tk.request.endpoint, **(tk.request.view_args or {})))
        )
    if not tk.current_user.sysadmin:
        return tk.abort(403, sdm_message("admin_sysadmins_only"))
    return None


def _render(template: str, **extra: object) -> str:
    return tk.render(template, {"tabs": TABS, **extra})


@admin.route("/")
def index() -> ResponseReturnValue:
    identity = {key: site.text(key) for key in ("title", "intro", "about")}
    return _render(
        "sdm/admin/index.html",
        identity=identity,
        logo=site.logo(),
        share=site.share_targets(),
        centre=site.receiving_centre(),
        pending=len(tk.get_action("sdm_access_request_queue")(_context(), {})),
    )


# -- audit -------------------------------------------------------------------------
def _filters() -> dict:
    return {k: tk.request.args[k].strip() for k in AUDIT_FILTERS if (tk.request.args.get(k) or "").strip()}


def _events(filters: dict) -> list:
    """The filtered trail; a filter that is no time answers 400, saying why."""
    try:
        return audit.events(**filters)
    except tk.ValidationError as e:
        return tk.abort(400, "; ".join(m for messages in e.error_dict.values() for m in messages))


@admin.route("/audit")
def audit_page() -> ResponseReturnValue:
    filters = _filters()
    rows = _events(filters)
    return _render(
        "sdm/admin/audit.html",
        filters=filters,
        rows=[audit.row_dict(r) for r in rows[-500:]][::-1],
        total=len(rows),
        actions=audit.EVENT_ACTIONS,
        outcomes=audit.OUTCOMES,
    )


@admin.route("/audit.csv")
def audit_csv() -> ResponseReturnValue:
    body = audit.to_csv(_events(_filters()))
    return Response(
        body.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sdm-audit.csv"'},
    )


# -- blacklist ---------------------------------------------------------------------
@admin.route("/blacklist", methods=["GET", "POST"])
def blacklist() -> ResponseReturnValue:
    data, errors = {}, {}
    if tk.request.method == "POST":
        data = dict(tk.request.form)
        try:
            if data.get("remove"):
                tk.get_action("sdm_blacklist_remove")(_context(), {"id": data["remove"]})
                tk.h.flash_success(sdm_message("blacklist_removed"))
            else:
                tk.get_action("sdm_blacklist_add")(_context(), data)
                tk.h.flash_success(sdm_message("blacklist_added"))
            return tk.redirect_to("sdm_admin.blacklist")
        except tk.ValidationError as e:
            errors = e.error_dict
        except tk.ObjectNotFound:
            return tk.abort(404)
    entries = tk.get_action("sdm_blacklist_list")(_context(), {})
    return _render("sdm/admin/blacklist.html", entries=entries, data=data, errors=errors)


# -- certificates ------------------------------------------------------------------
@admin.route("/certificates", methods=["GET", "POST"])
def certificates() -> ResponseReturnValue:
    data, errors = {}, {}
    if tk.request.method == "POST":
        data = dict(tk.request.form)
        try:
            certificate = tk.get_action("sdm_submission_create")(_context(), data)
        except tk.ValidationError as e:
            errors = e.error_dict
        except tk.ObjectNotFound:
            errors = {"id": [sdm_message("admin_no_dataset", dataset=data.get("id") or "—")]}
        else:
            tk.h.flash_success(sdm_message("admin_certificate_issued", number=certificate["number"]))
            return tk.redirect_to("sdm.certificate_page", number=certificate["number"])
    issued = tk.get_action("sdm_submission_list")(_context(), {})
    return _render(
        "sdm/admin/certificates.html", issued=issued, data=data, errors=errors, fields=submission.SUBMISSION_FIELDS
    )


# -- applications ------------------------------------------------------------------
@admin.route("/requests")
def requests() -> ResponseReturnValue:
    pending = tk.get_action("sdm_access_request_queue")(_context(), {})
    return _render("sdm/admin/requests.html", requests=pending, default_days=access_requests.grant_days_default())


# -- harvest -----------------------------------------------------------------------
@admin.route("/harvest")
def harvest() -> ResponseReturnValue:
    try:
        status, problem = tk.get_action("sdm_harvest_status_show")(_context(), {}), None
    except tk.ObjectNotFound as e:  # not configured, never run, or the store cannot be read
        status, problem = None, e.message
    return _render("sdm/admin/harvest.html", status=status, problem=problem)
