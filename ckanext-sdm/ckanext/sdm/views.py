"""Pages and downloads of ckanext-sdm: citations, submission certificates,
access requests, the audit export — and the hooks that audit and guard
CKAN's own resource download route."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import ckan.model as model
import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, current_app, g

from ckanext.sdm import access_requests, audit, citation_formats, pages, signing, submission
from ckanext.sdm.access import current_user_name
from ckanext.sdm.certificates import FIELDS as CERTIFICATE_FIELDS
from ckanext.sdm.helpers import citation_elements, sdm_message, ui_language
from ckanext.sdm.model import AccessRequest
from sdm_schema import message

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

sdm = Blueprint("sdm", __name__)


#: Methods that change nothing, so need no CSRF token (RFC 9110 "safe").
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@sdm.before_request
def protect_forms() -> None:
    """CSRF protection for this blueprint's forms.  CKAN 2.11 exempts every
    plugin blueprint unless ckan.csrf_protection.ignore_extensions is off
    (its default is on), so the check CKAN skips is made here; requests
    signed with an API token are exempt, as CKAN exempts them."""
    app = current_app
    if tk.request.method not in _SAFE_METHODS and app.config.get("WTF_CSRF_ENABLED") and not g.get("_csrf_exempt_view"):
        app.extensions["csrf"].protect()


def _context() -> dict:
    return {"user": current_user_name()}


def submit_form(action: str, data: dict, refused: str = "id", refused_default: str = "") -> tuple:
    """Call a form's action; (result, errors), the errors as the form shows
    them (a refusal under the `refused` field)."""
    try:
        return tk.get_action(action)(_context(), data), {}
    except tk.ValidationError as e:
        return None, e.error_dict
    except tk.NotAuthorized as e:
        return None, {refused: [str(e) or refused_default]}


def _dataset_or_404(package_id: str) -> dict:
    """The dataset as the current user may see it; 404 when they may not."""
    try:
        return tk.get_action("package_show")(_context(), {"id": package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404)


# -- citation -----------------------------------------------------------------
@sdm.route("/dataset/<id>/citation")
def citation_page(id: str) -> ResponseReturnValue:
    pkg = _dataset_or_404(id)
    return tk.render("sdm/citation.html", {"pkg": pkg, "formats": citation_formats.NAMES})


@sdm.route("/dataset/<id>/citation.<extension>")
def citation_download(id: str, extension: str) -> ResponseReturnValue:
    if extension not in citation_formats.MEDIA_TYPES:
        return tk.abort(404)
    pkg = _dataset_or_404(id)
    body = citation_formats.render(extension, citation_elements(pkg), ui_language(), key=pkg["name"])
    return Response(
        body,
        content_type=citation_formats.MEDIA_TYPES[extension],
        headers={"Content-Disposition": f'attachment; filename="{pkg["name"]}.{extension}"'},
    )


# -- submission certificates ----------------------------------------------------
@sdm.route("/submission/public-key.pem")
def public_key() -> ResponseReturnValue:
    try:
        key = submission.public_key()
    except tk.ValidationError:
        return tk.abort(404, sdm_message("submission_no_key"))
    return Response(signing.public_pem(key), content_type="application/x-pem-file")


@sdm.route("/submission/verify", methods=["GET", "POST"])
def verify() -> ResponseReturnValue:
    form = tk.request.form if tk.request.method == "POST" else tk.request.args
    query = {k: form[k] for k in ("number", "certificate") if form.get(k)}
    result, error = None, None
    if query:
        try:
            result = tk.get_action("sdm_submission_verify")(_context(), query)
        except tk.ObjectNotFound as e:
            error = str(e.message)
        except tk.ValidationError as e:
            error = "; ".join(m for messages in e.error_dict.values() for m in messages)
    return tk.render("sdm/submission_verify.html", {"query": query, "result": result, "error": error})


def _certificate_or_404(number: str) -> dict:
    try:
        return tk.get_action("sdm_submission_show")(_context(), {"number": number})
    except tk.ObjectNotFound:
        return tk.abort(404)
    except tk.NotAuthorized:
        return tk.abort(403)


@sdm.route("/submission/<number>.json")
def certificate_json(number: str) -> ResponseReturnValue:
    body = json.dumps(_certificate_or_404(number), ensure_ascii=False, indent=2)
    return Response(
        body,
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{number}.json"'},
    )


@sdm.route("/submission/<number>")
def certificate_page(number: str) -> ResponseReturnValue:
    certificate = _certificate_or_404(number)
    # printed in both languages, whatever the UI language
    labels = {key: message(f"cert_{key}") for key in (*CERTIFICATE_FIELDS, "signature") if key in certificate}
    return tk.render(
        "sdm/certificate.html",
        {"certificate": certificate, "labels": labels, "title": message("submission_certificate")},
    )


# -- access requests ---------------------------------------------------------------
def _sign_in_first():
    """To the login form in the reader's language, back here afterwards
    (request.path lacks the /en/ locale prefix; url_for keeps it)."""
    here = tk.h.url_for(tk.request.endpoint, **(tk.request.view_args or {}))
    return tk.redirect_to(tk.h.url_for("user.login", came_from=here))


@sdm.route("/dataset/<id>/access-request", methods=["GET", "POST"])
def access_request(id: str) -> ResponseReturnValue:
    if not tk.current_user.is_authenticated:
        return _sign_in_first()
    pkg = _dataset_or_404(id)
    data, errors = {}, {}
    if tk.request.method == "POST":
        data = dict(tk.request.form, id=pkg["id"])
        _result, errors = submit_form("sdm_access_request_create", data)
        if not errors:
            tk.h.flash_success(sdm_message("access_request_sent"))
            return tk.redirect_to("sdm.my_access_requests")
    return tk.render(
        "sdm/access_request_form.html",
        {"pkg": pkg, "data": data, "errors": errors, "fields": access_requests.APPLICATION_FIELDS},
    )


@sdm.route("/dashboard/access-requests")
def my_access_requests() -> ResponseReturnValue:
    if not tk.current_user.is_authenticated:
        return _sign_in_first()
    requests = tk.get_action("sdm_access_request_list")(_context(), {})
    return tk.render("sdm/access_requests.html", {"requests": requests, "pkg": None, "can_decide": False})


@sdm.route("/dataset/<id>/access-requests")
def dataset_access_requests(id: str) -> ResponseReturnValue:
    pkg = _dataset_or_404(id)
    if not access_requests.can_decide(_context(), pkg["id"]):
        return tk.abort(403)
    requests = tk.get_action("sdm_access_request_list")(_context(), {"id": pkg["id"]})
    return tk.render(
        "sdm/access_requests.html",
        {"requests": requests, "pkg": pkg, "can_decide": True, "default_days": access_requests.grant_days_default()},
    )


@sdm.route("/dashboard/access-requests/queue")
def access_request_queue() -> ResponseReturnValue:
    """Applications awaiting the editor's decision across their datasets."""
    if not tk.current_user.is_authenticated:
        return _sign_in_first()
    requests = tk.get_action("sdm_access_request_queue")(_context(), {})
    counts: dict = {}
    for request in requests:
        counts.setdefault(request["package_id"], {"request": request, "count": 0})["count"] += 1
    return tk.render(
        "sdm/access_requests.html",
        {
            "requests": requests,
            "pkg": None,
            "can_decide": True,
            "queue": list(counts.values()),
            "default_days": access_requests.grant_days_default(),
        },
    )


@sdm.route("/access-request/<request_id>/revoke", methods=["POST"])
def revoke(request_id: str) -> ResponseReturnValue:
    return _act("sdm_access_request_revoke", dict(tk.request.form, id=request_id))


@sdm.route("/access-request/<request_id>/decide", methods=["POST"])
def decide(request_id: str) -> ResponseReturnValue:
    return _act("sdm_access_request_decide", dict(tk.request.form, id=request_id))


def _act(action: str, data: dict):
    """Decide or revoke, then back to where the editor came from."""
    try:
        decided = tk.get_action(action)(_context(), data)
    except tk.NotAuthorized:
        return tk.abort(403)
    except tk.ObjectNotFound:
        return tk.abort(404)
    except tk.ValidationError as e:
        return _refused_decision(data, e.error_dict)
    tk.h.flash_success(sdm_message(f"access_request_status_{decided['status']}"))
    return tk.redirect_to(tk.request.referrer or tk.h.url_for("sdm.dataset_access_requests", id=decided["package_id"]))


def _refused_decision(data: dict, errors: dict):
    """A refused decision or revocation: the dataset's applications again,
    the editor's typed values kept in that application's form, the
    (bilingual) errors beside it."""
    request = model.Session.get(AccessRequest, data["id"])
    pkg = _dataset_or_404(request.package_id)
    requests = tk.get_action("sdm_access_request_list")(_context(), {"id": pkg["id"]})
    return tk.render(
        "sdm/access_requests.html",
        {
            "requests": requests,
            "pkg": pkg,
            "can_decide": True,
            "default_days": access_requests.grant_days_default(),
            "typed": {data["id"]: data},
            "refused": {data["id"]: errors},
        },
    ), 400


# -- a withheld file's page says how to get it, not CKAN's bare 404 -------------
def _is_resource_page() -> bool:
    blueprint, _, view = (tk.request.endpoint or "").rpartition(".")
    return view == "read" and blueprint.endswith("resource")


def _withheld_from_reader(resource: model.Resource):
    """The dataset and why its file is withheld, when the reader may see the
    dataset but not this file; None otherwise (CKAN's own answer stands)."""
    try:
        tk.check_access("resource_show", _context(), {"id": resource.id})
        return None
    except tk.NotAuthorized:
        pass
    try:
        pkg = tk.get_action("package_show")(_context(), {"id": resource.package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return None  # an invisible dataset stays a 404
    withheld = pages.sdm_withheld(pkg)
    return (pkg, withheld) if withheld else None


@sdm.before_app_request
def explain_withheld_file() -> ResponseReturnValue | None:
    if not _is_resource_page():
        return None
    args = tk.request.view_args or {}
    resource = model.Resource.get(args.get("resource_id"))
    package = resource.package if resource is not None and resource.state == "active" else None
    if package is None or args.get("id") not in (package.id, package.name):
        return None
    found = _withheld_from_reader(resource)
    if found is None:
        return None
    pkg, withheld = found
    return tk.render("sdm/withheld_resource.html", {"pkg": pkg, "withheld": withheld}), 403


# -- CKAN's resource download route: refuse the blacklisted, audit everything
def _is_download() -> bool:
    # dataset_resource.download, resource.download and <type>_resource.download
    blueprint, _, view = (tk.request.endpoint or "").rpartition(".")
    return view == "download" and blueprint.endswith("resource")


@sdm.before_app_request
def refuse_blacklisted_download() -> None:
    if _is_download() and audit.user_blacklisted(_context()["user"]):
        g.sdm_blacklisted = True
        return tk.abort(403, sdm_message("access_request_blacklisted"))


def _downloaded_resource() -> model.Resource | None:
    """The resource the download route was asked for, if it exists and
    belongs to the dataset in the path; the URL's text is never stored."""
    args = tk.request.view_args or {}
    resource = model.Resource.get(args.get("resource_id")) if args.get("resource_id") else None
    package = model.Package.get(args.get("id")) if args.get("id") else None
    if resource is None or (package is not None and resource.package_id != package.id):
        return None
    return resource


@sdm.after_app_request
def audit_download(response: Response) -> Response:
    """One audit row per download of a real file by a signed-in user.
    Anonymous requests write nothing: anyone could otherwise fill the
    trail (and it could name no one); the web server's log has them."""
    user = _context()["user"] if _is_download() else None
    resource = _downloaded_resource() if user else None
    if resource is not None:
        outcome = (
            audit.BLACKLISTED
            if g.get("sdm_blacklisted")
            else audit.GRANTED
            if response.status_code < 400
            else audit.REFUSED
        )
        audit.record(audit.DOWNLOAD, outcome, user, resource.package_id, resource.id, detail=str(response.status_code))
        model.Session.commit()
    return response
