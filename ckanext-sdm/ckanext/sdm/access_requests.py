"""Access requests (R5, R6, R9): a signed-in user applies for a conditional
or customised-service dataset; the responsible unit's editors decide.

An approved, unexpired request is a *grant*: access.py asks `granted()`
before withholding files, so the files become visible to that user alone,
and only until the grant expires.  A request that names one of the six
free-use purposes (Art. 24) and is approved waives the dataset's fee.
"""

from __future__ import annotations

import datetime as dt

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy.orm import Query

from ckanext.sdm import audit, notify
from ckanext.sdm.helpers import bilingual_message
from ckanext.sdm.model import AccessRequest, utcnow
from sdm_schema import codelist, dataset_field, disclosure, message
from sdm_schema.validation import decode_json

PENDING, APPROVED, REJECTED, REVOKED = "pending", "approved", "rejected", "revoked"
_DECISIONS = {"approve": APPROVED, "reject": REJECTED}
#: The applicant's fields: the form's input name -> label message.
APPLICATION_FIELDS = {
    "purpose": "access_request_purpose",
    "intended_use": "access_request_intended_use",
    "applicant_unit": "access_request_unit",
}


def grant_days_default() -> int:
    return tk.config.get("ckanext.sdm.access.grant_days")


def grant_days_max() -> int:
    return tk.config.get("ckanext.sdm.access.grant_days_max")


def eligible(pkg_dict: dict) -> bool:
    """Whether the dataset takes applications (the policy decides)."""
    return disclosure.access_eligible(pkg_dict)


def granted(package_id: str, user_name: str | None) -> bool:
    """Whether the user holds an approved, unexpired grant for the dataset and
    is not blacklisted.  Called by access.py for every withheld file."""
    user = model.User.get(user_name) if user_name else None
    if user is None or not package_id:
        return False
    grant = (
        model.Session.query(AccessRequest.id)
        .filter(
            AccessRequest.package_id == package_id,
            AccessRequest.user_id == user.id,
            AccessRequest.status == APPROVED,
            AccessRequest.expires > utcnow(),
        )
        .first()
    )
    return grant is not None and not audit.blacklisted(user.id, audit.client_address())


def _show_package(package_ref: str) -> dict:
    """The whole dataset, as the policy needs it (redaction is for output)."""
    return tk.get_action("package_show")({"ignore_auth": True}, {"id": package_ref})


def request_dict(request: AccessRequest) -> dict:
    package = model.Package.get(request.package_id)
    user = model.User.get(request.user_id)
    out = {c.name: getattr(request, c.name) for c in AccessRequest.__table__.columns}
    for key in ("created", "decided", "expires"):
        out[key] = out[key].isoformat() if out[key] else None
    out["user"] = user.name if user else None
    out["dataset_name"] = package.name if package else None
    out["dataset_title"] = title_of(package)
    out["owner_org"] = package.owner_org if package else None
    out["active"] = request.status == APPROVED and request.expires is not None and request.expires > utcnow()
    return out


def title_of(package: model.Package | model.Group | None) -> dict:
    """A dataset's (or unit's) bilingual title ({tag: text}) for lists and mails."""
    if package is None:
        return {}
    return decode_json(package.extras.get("title_translated")) or {"zh-Hans": package.title or package.name}


def _validate_application(data_dict: dict) -> dict:
    errors = {
        name: [bilingual_message("missing_value", name=message(label))]
        for name, label in APPLICATION_FIELDS.items()
        if not str(data_dict.get(name) or "").strip()
    }
    purpose = data_dict.get("free_use_purpose") or None
    purposes = codelist("free_use_purpose")
    if purpose and purpose not in purposes:
        errors["free_use_purpose"] = [
            bilingual_message(
                "unknown_code",
                field=dataset_field("free_use_purposes"),
                value=purpose,
                choices=", ".join(purposes.codes),
            )
        ]
    if errors:
        raise tk.ValidationError(errors)
    return {name: str(data_dict[name]).strip() for name in APPLICATION_FIELDS} | {"free_use_purpose": purpose}


def access_request_create(context: dict, data_dict: dict) -> dict:
    """Apply for a dataset: `id` (dataset), `purpose`, `intended_use`,
    `applicant_unit`, optionally `free_use_purpose` (code list free_use_purpose)."""
    tk.check_access("sdm_access_request_create", context, data_dict)
    package = _show_package(tk.get_or_bust(data_dict, "id"))
    user = model.User.get(context["user"])
    if audit.blacklisted(user.id, audit.client_address()):
        audit.record(audit.ACCESS_REQUEST, audit.BLACKLISTED, user.name, package["id"])
        model.Session.commit()
        raise tk.NotAuthorized(bilingual_message("access_request_blacklisted"))
    if not eligible(package):
        raise tk.ValidationError({"id": [bilingual_message("access_request_not_eligible")]})
    application = _validate_application(data_dict)
    pending = (
        model.Session.query(AccessRequest).filter_by(package_id=package["id"], user_id=user.id, status=PENDING).first()
    )
    if pending:
        raise tk.ValidationError({"id": [bilingual_message("access_request_pending_exists")]})
    request = AccessRequest(package_id=package["id"], user_id=user.id, **application)
    model.Session.add(request)
    audit.record(audit.ACCESS_REQUEST, PENDING, user.name, package["id"], detail=application["purpose"])
    model.Session.commit()
    notify.application_received(request_dict(request), package)
    return request_dict(request)


def _days(data_dict: dict) -> int:
    days = data_dict.get("days") or grant_days_default()
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= grant_days_max():
        raise tk.ValidationError({"days": [bilingual_message("access_request_bad_days", max=grant_days_max())]})
    return days


def _editors_request(context: dict, data_dict: dict) -> tuple:
    """The application an editor of its dataset acts on, the reason given,
    and the errors found so far (a missing reason)."""
    request = model.Session.get(AccessRequest, tk.get_or_bust(data_dict, "id"))
    if request is None:
        raise tk.ObjectNotFound()
    tk.check_access("sdm_access_request_decide", context, {"id": request.package_id})
    reason = str(data_dict.get("reason") or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [bilingual_message("missing_value", name=message("access_request_reason"))]
    return request, reason, errors


def _record_decision(context: dict, request: AccessRequest, status: str, reason: str, now: dt.datetime) -> dict:
    """Store the editor's decision, audit it, tell the applicant."""
    request.status, request.reason, request.decided, request.decided_by = status, reason, now, context["user"]
    applicant = model.User.get(request.user_id)
    audit.record(
        audit.ACCESS_DECISION,
        status,
        context["user"],
        request.package_id,
        detail=f"{applicant.name if applicant else request.user_id}: {reason}",
    )
    model.Session.commit()
    notify.application_decided(request_dict(request), applicant)
    return request_dict(request)


def access_request_decide(context: dict, data_dict: dict) -> dict:
    """Decide an application: `id`, `decision` (approve or reject), `reason`,
    and for an approval optionally `days` of access."""
    request, reason, errors = _editors_request(context, data_dict)
    status = _DECISIONS.get(data_dict.get("decision"))
    if status is None:
        errors["decision"] = [bilingual_message("access_request_bad_decision")]
    if request.status != PENDING:
        errors["id"] = [bilingual_message("access_request_not_pending")]
    if errors:
        raise tk.ValidationError(errors)
    now = utcnow()
    if status == APPROVED:
        request.expires = now + dt.timedelta(days=_days(data_dict))
        package = _show_package(request.package_id)
        request.fee_waived = bool(request.free_use_purpose) and package.get("fee_basis", "free") != "free"
    return _record_decision(context, request, status, reason, now)


def access_request_revoke(context: dict, data_dict: dict) -> dict:
    """End an approved grant before it expires: `id`, `reason`.  The files
    are withheld from the applicant again at once."""
    request, reason, errors = _editors_request(context, data_dict)
    if request.status != APPROVED:
        errors["id"] = [bilingual_message("access_request_not_approved")]
    if errors:
        raise tk.ValidationError(errors)
    now = utcnow()
    request.expires = now
    return _record_decision(context, request, REVOKED, reason, now)


@tk.side_effect_free
def access_request_list(context: dict, data_dict: dict) -> list[dict]:
    """The caller's own applications; with `id` (dataset) and the right to
    edit it, every application for that dataset."""
    tk.check_access("sdm_access_request_list", context, data_dict)
    query = model.Session.query(AccessRequest)
    if data_dict.get("id"):
        query = of_dataset(context, data_dict["id"], query, AccessRequest)
    else:
        query = query.filter(AccessRequest.user_id == model.User.get(context["user"]).id)
    return [request_dict(r) for r in query.order_by(AccessRequest.created.desc())]


def of_dataset(context: dict, package_ref: str, query: Query, row: type) -> Query:
    """A listing of one dataset's rows (`row`: a model with package_id and
    user_id): all of them for those who decide on the dataset, the caller's
    own for everyone else (applications, quality reports)."""
    package = model.Package.get(package_ref)
    if package is None:
        raise tk.ObjectNotFound()
    query = query.filter(row.package_id == package.id)
    if not can_decide(context, package.id):
        query = query.filter(row.user_id == model.User.get(context["user"]).id)
    return query


def edited_unit_ids(user: model.User) -> set:
    """The units a user edits or administers."""
    return {g.id for capacity in ("editor", "admin") for g in user.get_groups("organization", capacity)}


def decidable_package_ids(user_name: str | None) -> set | None:
    """The datasets whose applications the user decides: those of the units
    they edit; None for a sysadmin (all)."""
    user = model.User.get(user_name) if user_name else None
    if user is None:
        return set()
    if user.sysadmin:
        return None
    units = edited_unit_ids(user)
    if not units:
        return set()
    rows = model.Session.query(model.Package.id).filter(model.Package.owner_org.in_(units))
    return {row.id for row in rows}


@tk.side_effect_free
def access_request_queue(context: dict, data_dict: dict) -> list[dict]:
    """Applications across every dataset the caller decides, oldest first;
    `status` (default pending) filters them."""
    tk.check_access("sdm_access_request_queue", context, data_dict)
    status = data_dict.get("status") or PENDING
    query = model.Session.query(AccessRequest).filter(AccessRequest.status == status)
    allowed = decidable_package_ids(context.get("user"))
    if allowed is not None:
        if not allowed:
            return []
        query = query.filter(AccessRequest.package_id.in_(allowed))
    return [request_dict(r) for r in query.order_by(AccessRequest.created)]


def can_decide(context: dict, package_id: str | None) -> bool:
    """Editors and admins of the responsible unit, and sysadmins."""
    try:
        tk.check_access("package_update", {"user": context.get("user")}, {"id": package_id})
    except tk.NotAuthorized:
        return False
    return True


# -- auth -------------------------------------------------------------------
def signed_in(context: dict, data_dict: dict | None) -> dict:
    """Auth: any signed-in user (the action itself limits what they reach)."""
    return {"success": bool(context.get("user") and model.User.get(context["user"]))}


def _decide_auth(context: dict, data_dict: dict | None) -> dict:
    return {"success": can_decide(context, (data_dict or {}).get("id"))}


ACTIONS = {
    "sdm_access_request_create": access_request_create,
    "sdm_access_request_decide": access_request_decide,
    "sdm_access_request_list": access_request_list,
    "sdm_access_request_revoke": access_request_revoke,
    "sdm_access_request_queue": access_request_queue,
}
AUTH_FUNCTIONS = {
    "sdm_access_request_create": signed_in,
    "sdm_access_request_decide": _decide_auth,
    "sdm_access_request_list": signed_in,
    "sdm_access_request_queue": signed_in,
}
HELPERS = {"sdm_access_request_eligible": eligible}
