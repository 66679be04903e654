"""The public register of authorised use (授权运营公开, R14): to which unit
which dataset was authorised, in what scope, for what purpose, on which
legal basis or agreement, from when until when, and whether it still holds.

Entries come from approved access requests registered as authorisations
(the grant and the entry then end together) and from sysadmins directly.
The register names units only, never the people who applied — unless an
internal catalogue asks for them (`names_individuals`).  It is published as a page (/authorisations), an action (`sdm_authorisation_list`)
and two files (/authorisations.csv, /authorisations.jsonld).
"""

from __future__ import annotations

import datetime as dt
import json

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.sdm import audit
from ckanext.sdm.access_requests import APPROVED, REVOKED, can_decide, title_of
from ckanext.sdm.feedback import SUBJECT_LIMIT, TEXT_LIMIT, _text, anyone
from ckanext.sdm.helpers import bilingual_message
from ckanext.sdm.model import AccessRequest, Authorisation, utcnow
from sdm_schema import message
from sdm_schema.csv_export import csv_text

ACTION = "authorisation"
ACTIVE, EXPIRED = "active", "expired"
COLUMNS = ("unit", "dataset", "dataset_title", "scope", "purpose", "legal_basis", "starts", "ends", "status")
#: The column an internal catalogue adds (names_individuals).
PERSON = "person"
_INPUTS = (
    ("unit", "authorisation_unit", SUBJECT_LIMIT),
    ("scope", "authorisation_scope", TEXT_LIMIT),
    ("purpose", "authorisation_purpose", TEXT_LIMIT),
    ("legal_basis", "authorisation_legal_basis", SUBJECT_LIMIT),
)


def status(entry: Authorisation, now: dt.datetime | None = None) -> str:
    if entry.revoked is not None:
        return REVOKED
    return ACTIVE if entry.starts <= (now or utcnow()) < entry.ends else EXPIRED


def names_individuals() -> bool:
    """Whether the register names the applicant of an entry: only where the
    ini asks for it on an internal catalogue (R14: a public register names
    units, never people)."""
    return tk.asbool(tk.config.get("ckanext.sdm.authorisations.name_individuals")) and tk.asbool(
        tk.config.get("ckanext.sdm.allow_classified")
    )


def columns() -> tuple:
    """The register's columns, the person's where names_individuals()."""
    return (*COLUMNS, PERSON) if names_individuals() else COLUMNS


def _person(entry: Authorisation) -> str | None:
    request = model.Session.get(AccessRequest, entry.access_request_id) if entry.access_request_id else None
    user = model.User.get(request.user_id) if request is not None else None
    return (user.fullname or user.name) if user is not None else None


def entry_dict(entry: Authorisation) -> dict:
    package = model.Package.get(entry.package_id)
    title = title_of(package)
    person = {PERSON: _person(entry)} if names_individuals() else {}
    return {
        "id": entry.id,
        "unit": entry.unit,
        "package_id": entry.package_id,
        "dataset": package.name if package else None,
        "dataset_title": title,
        "scope": entry.scope,
        "purpose": entry.purpose,
        "legal_basis": entry.legal_basis,
        "starts": entry.starts.date().isoformat(),
        "ends": entry.ends.date().isoformat(),
        "status": status(entry),
        "from_access_request": bool(entry.access_request_id),
        **person,
    }


def _date(data_dict: dict, name: str, errors: dict) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(data_dict.get(name) or "").strip()[:10])
    except ValueError:
        errors[name] = [
            bilingual_message(
                "authorisation_bad_date", name=message(f"authorisation_{name}"), value=data_dict.get(name) or ""
            )
        ]
        return None


def _from_request(data_dict: dict, errors: dict) -> dict:
    """What an approved access request says: the unit, the dataset, the
    purpose and the grant's period; the scope and legal basis are given."""
    request = model.Session.get(AccessRequest, data_dict["access_request_id"])
    if request is None:
        raise tk.ObjectNotFound()
    if request.status != APPROVED or request.expires is None:
        errors["access_request_id"] = [bilingual_message("authorisation_not_approved")]
        return {"package_id": request.package_id}
    data = {
        "unit": request.applicant_unit,
        "purpose": request.purpose,
        "scope": request.intended_use,
        **{k: v for k, v in data_dict.items() if k in ("scope", "legal_basis") and v},
    }
    return {
        "package_id": request.package_id,
        "starts": request.decided,
        "ends": request.expires,
        "access_request_id": request.id,
        **_texts(data, errors),
    }


def _texts(data_dict: dict, errors: dict) -> dict:
    return {name: _text(data_dict, name, label, limit, errors) for name, label, limit in _INPUTS}


def _direct(data_dict: dict, errors: dict) -> dict:
    package = model.Package.get(tk.get_or_bust(data_dict, "id"))
    if package is None:
        raise tk.ObjectNotFound()
    starts, ends = _date(data_dict, "starts", errors), _date(data_dict, "ends", errors)
    if starts and ends and ends <= starts:
        errors["ends"] = [bilingual_message("authorisation_bad_period")]
    return {"package_id": package.id, "starts": starts, "ends": ends, **_texts(data_dict, errors)}


def authorisation_create(context: dict, data_dict: dict) -> dict:
    """Register an authorisation: either `access_request_id` (an approved
    request: the applicant unit, dataset, purpose and period are taken from
    it) with `legal_basis` and optionally `scope`; or `unit`, `id`
    (dataset), `scope`, `purpose`, `legal_basis`, `starts`, `ends` (dates)."""
    errors: dict = {}
    fields = _from_request(data_dict, errors) if data_dict.get("access_request_id") else _direct(data_dict, errors)
    tk.check_access("sdm_authorisation_create", context, {"id": fields.get("package_id")})
    if errors:
        raise tk.ValidationError(errors)
    entry = Authorisation(created_by=context["user"], **fields)
    model.Session.add(entry)
    audit.record(ACTION, ACTIVE, context["user"], entry.package_id, detail=f"{entry.unit}: {entry.scope}")
    model.Session.commit()
    return entry_dict(entry)


def authorisation_revoke(context: dict, data_dict: dict) -> dict:
    """End an authorisation before its time: `id`; a grant it came from ends too."""
    entry = model.Session.get(Authorisation, tk.get_or_bust(data_dict, "id"))
    if entry is None:
        raise tk.ObjectNotFound()
    tk.check_access("sdm_authorisation_create", context, {"id": entry.package_id})
    entry.revoked = utcnow()
    if entry.access_request_id:
        request = model.Session.get(AccessRequest, entry.access_request_id)
        if request is not None and request.status == APPROVED:
            request.status, request.expires = REVOKED, entry.revoked
    audit.record(ACTION, REVOKED, context["user"], entry.package_id, detail=entry.unit)
    model.Session.commit()
    return entry_dict(entry)


@tk.side_effect_free
def authorisation_list(context: dict, data_dict: dict) -> list:
    """The register, newest first; `status` (active, expired, revoked) and
    `id` (dataset) filter it.  Public."""
    tk.check_access("sdm_authorisation_list", context, data_dict)
    query = model.Session.query(Authorisation)
    if data_dict.get("id"):
        package = model.Package.get(data_dict["id"])
        query = query.filter(Authorisation.package_id == (package.id if package else data_dict["id"]))
    entries = [entry_dict(e) for e in query.order_by(Authorisation.starts.desc())]
    if data_dict.get("status"):
        entries = [e for e in entries if e["status"] == data_dict["status"]]
    return entries


# -- the register's files ---------------------------------------------------------
def as_csv(entries: list) -> str:
    """One row per entry (sdm_schema.csv_export: the register holds text
    applicants wrote)."""
    rows = (dict(e, dataset_title=e["dataset_title"].get("zh-Hans") or e["dataset_title"].get("en")) for e in entries)
    header = columns()
    return csv_text(header, ([row.get(column) for column in header] for row in rows))


def _assignee(entry: dict) -> dict:
    """The unit, and on an internal catalogue the person applying for it."""
    unit = {"@type": "foaf:Organization", "foaf:name": entry["unit"]}
    if entry.get(PERSON):
        unit["foaf:member"] = {"@type": "foaf:Person", "foaf:name": entry[PERSON]}
    return unit


def as_jsonld(entries: list, site_url: str) -> str:
    """The register as ODRL permissions (W3C ODRL 2.2): assignee the unit,
    target the dataset, purpose and period as constraints."""
    graph = [
        {
            "@id": f"{site_url}/authorisations#{e['id']}",
            "@type": "odrl:Agreement",
            "odrl:assignee": _assignee(e),
            "odrl:permission": {
                "odrl:target": {"@id": f"{site_url}/dataset/{e['dataset']}"},
                "odrl:action": "odrl:use",
                "odrl:constraint": [
                    {"odrl:leftOperand": "odrl:purpose", "odrl:operator": "odrl:eq", "odrl:rightOperand": e["purpose"]},
                    {
                        "odrl:leftOperand": "odrl:dateTime",
                        "odrl:operator": "odrl:gteq",
                        "odrl:rightOperand": {"@value": e["starts"], "@type": "xsd:date"},
                    },
                    {
                        "odrl:leftOperand": "odrl:dateTime",
                        "odrl:operator": "odrl:lt",
                        "odrl:rightOperand": {"@value": e["ends"], "@type": "xsd:date"},
                    },
                ],
            },
            "dct:description": e["scope"],
            "dct:source": e["legal_basis"],
            "adms:status": e["status"],
        }
        for e in entries
    ]
    context = {
        "odrl": "http://www.w3.org/ns/odrl/2/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "dct": "http://purl.org/dc/terms/",
        "adms": "http://www.w3.org/ns/adms#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    }
    return json.dumps({"@context": context, "@graph": graph}, ensure_ascii=False, indent=1)


# -- auth -------------------------------------------------------------------
def _editor_auth(context: dict, data_dict: dict | None) -> dict:
    return {"success": bool((data_dict or {}).get("id")) and can_decide(context, data_dict["id"])}


ACTIONS = {
    "sdm_authorisation_create": authorisation_create,
    "sdm_authorisation_revoke": authorisation_revoke,
    "sdm_authorisation_list": authorisation_list,
}
AUTH_FUNCTIONS = {
    "sdm_authorisation_create": _editor_auth,
    "sdm_authorisation_list": anyone,
}
