"""Submission certificates (汇交凭证, R7) in CKAN: issue, verify, list.

The certificate itself — its keys, digests and signature — is defined in
ckanext.sdm.certificates; this module feeds it the dataset as stored, signs it
with the configured key and keeps the issued copy in sdm_submission.

A file's checksum is its resource `hash` when the provider gave one; for a
file uploaded to CKAN without one, the SHA-256 of the stored file; for a
link without a hash, nothing — then only the URL is bound (docs/submission.md).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import TYPE_CHECKING

import ckan.authz as authz
import ckan.lib.uploader as uploader
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.sdm import access, audit, certificates, signing, site
from ckanext.sdm.helpers import sdm_message
from ckanext.sdm.model import Submission, utcnow
from sdm_schema import disclosure

if TYPE_CHECKING:
    from datetime import datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: The submitter's fields, each required; cert_<name> in messages.yaml labels them.
SUBMISSION_FIELDS = ("project_number", "programme", "lead_unit", "submitter")


def signing_key() -> Ed25519PrivateKey:
    setting = tk.config.get("ckanext.sdm.submission.signing_key")
    if not setting:
        raise tk.ValidationError({"signing_key": [sdm_message("submission_no_key")]})
    return signing.load_private_key(setting)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def _checksum(resource: dict) -> str:
    if resource.get("hash"):
        return str(resource["hash"])
    if resource.get("url_type") == "upload":
        path = uploader.get_resource_uploader(resource).get_path(resource["id"])
        if os.path.isfile(path):
            return certificates.file_checksum(path)
    return ""


def _resource_entries(package: dict) -> list:
    return [
        {"id": r["id"], "url": r.get("url") or "", "checksum": _checksum(r)} for r in package.get("resources") or []
    ]


def _stored(package_ref: str) -> dict:
    """The whole dataset, files included, whoever asks: digests cover it all."""
    return tk.get_action("package_show")({"ignore_auth": True}, {"id": package_ref})


def _new_number(issued: datetime) -> str:
    # HJ = 汇交; the random part keeps numbers unguessable, the unique
    # constraint on sdm_submission.number keeps them unique.
    return f"HJ-{issued:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"


def _validate(data_dict: dict, package: dict) -> dict:
    errors = {
        name: [sdm_message("missing_value", name=sdm_message(f"cert_{name}"))]
        for name in SUBMISSION_FIELDS
        if not str(data_dict.get(name) or "").strip()
    }
    current, given = package.get("version") or "", data_dict.get("version")
    if given and given != current:
        errors["version"] = [sdm_message("submission_version_mismatch", given=given, current=current or "—")]
    elif not current:
        errors["version"] = [sdm_message("submission_no_version")]
    if errors:
        raise tk.ValidationError(errors)
    return {name: str(data_dict[name]).strip() for name in SUBMISSION_FIELDS}


def submission_create(context: dict, data_dict: dict) -> dict:
    """Issue a certificate for `id` (dataset) at its current `version`, with
    `project_number`, `programme`, `lead_unit` and `submitter`."""
    tk.check_access("sdm_submission_create", context, data_dict)
    package = _stored(tk.get_or_bust(data_dict, "id"))
    fields = _validate(data_dict, package)
    issued = utcnow().replace(microsecond=0)
    entries = _resource_entries(package)
    certificate = certificates.sign(
        {
            "number": _new_number(issued),
            "issued": issued.isoformat() + "Z",
            "receiving_centre": site.receiving_centre(),
            **fields,
            "dataset_id": package["id"],
            "dataset_name": package["name"],
            "dataset_title": package.get("title_translated") or package.get("title"),
            "version": package["version"],
            "metadata_digest": certificates.metadata_digest(package),
            "resources_digest": certificates.resources_digest(entries),
            "resources": [{"id": e["id"], "checksum": e["checksum"]} for e in entries],
        },
        signing_key(),
    )
    model.Session.add(
        Submission(
            number=certificate["number"],
            issued=issued,
            package_id=package["id"],
            owner_org=package.get("owner_org"),
            project_number=fields["project_number"],
            created_by=context.get("user"),
            certificate=certificate,
        )
    )
    audit.record(audit.SUBMISSION, "issued", context.get("user"), package["id"], detail=certificate["number"])
    model.Session.commit()
    return certificate


def _presented(data_dict: dict):
    """The certificate the caller presents, as a dict, or None.  Anything
    else (a list, a number, JSON nested past reason) is a validation error,
    never a 500."""
    presented = data_dict.get("certificate")
    if presented in (None, ""):
        return None
    if isinstance(presented, str):
        try:
            presented = json.loads(presented)
        except (ValueError, RecursionError):
            presented = None
    if not isinstance(presented, dict):
        raise tk.ValidationError({"certificate": [sdm_message("bad_certificate_json")]})
    return presented


def _text_or_none(value: object, field: str) -> str | None:
    """A certificate number or dataset id as given: text, or a validation error."""
    if value is None or isinstance(value, str):
        return value or None
    raise tk.ValidationError({field: [sdm_message("submission_not_text", name=field)]})


def normalise_number(number: str | None) -> str:
    """A certificate number as issued: case and spaces as typed do not
    matter (hj-20261202 -abc… finds HJ-20261202-ABC…)."""
    return re.sub(r"\s+", "", number or "").upper()


def _find(number: str | None) -> Submission | None:
    number = normalise_number(number)
    return model.Session.query(Submission).filter_by(number=number).first() if number else None


@tk.side_effect_free
def submission_verify(context: dict, data_dict: dict) -> dict:
    """Verify a `certificate` (the signed JSON, as a dict or text) or the
    certificate numbered `number`.  Genuine means: signed by this centre's
    key and identical to the copy the centre issued.  Then says whether the
    dataset's metadata or files changed since."""
    tk.check_access("sdm_submission_verify", context, data_dict)
    presented = _presented(data_dict)
    number = _text_or_none((presented or {}).get("number") or data_dict.get("number"), "number")
    issued = _find(number)
    if issued is None:
        raise tk.ObjectNotFound(sdm_message("submission_unknown", number=number or "—"))
    certificate = presented or issued.certificate
    genuine = certificates.genuine(certificate, public_key()) and certificate == issued.certificate
    # a number alone names the dataset only to those who may see it (the
    # holder of the certificate has its id in hand already)
    dataset_id = (
        certificate.get("dataset_id")
        if presented or access.visible_package(access.Viewer.of(context), issued.package_id)
        else None
    )
    result = {
        "number": number,
        "genuine": genuine,
        "issued": certificate.get("issued"),
        "dataset_id": dataset_id,
        "version": certificate.get("version"),
        "dataset_exists": False,
        "metadata_changed": None,
        "resources_changed": None,
    }
    if genuine:
        result["number"], result["certified"] = certificate["number"], _certified(certificate)
    package = model.Package.get(_text_or_none(certificate.get("dataset_id"), "dataset_id") or "")
    if genuine and package is not None and package.state == "active":
        current = _stored(package.id)
        result["dataset_exists"] = True
        result.update(
            certificates.changes(
                certificate,
                certificates.metadata_digest(current),
                certificates.resources_digest(_resource_entries(current)),
            )
        )
    return result


#: What a verification names of a genuine certificate: the submission, not the digests.
CERTIFIED = ("receiving_centre", "issued", "project_number", "programme", "lead_unit", "submitter", "version")


def _certified(certificate: dict) -> dict:
    """What a genuine certificate certifies, for whoever holds its number;
    the dataset's title only when the public may see the dataset."""
    out = {key: certificate.get(key) for key in CERTIFIED if certificate.get(key)}
    out["file_count"] = len(certificate.get("resources") or [])
    package = model.Package.get(certificate.get("dataset_id") or "")
    if package is not None and package.state == "active" and not package.private:
        if disclosure.decide(_stored(package.id), disclosure.PUBLIC).visible:
            out["dataset_title"] = certificate.get("dataset_title")
            out["dataset_name"] = package.name
    return out


@tk.side_effect_free
def submission_show(context: dict, data_dict: dict) -> dict:
    """The certificate numbered `number`, as issued."""
    issued = _find(tk.get_or_bust(data_dict, "number"))
    if issued is None:
        raise tk.ObjectNotFound(sdm_message("submission_unknown", number=data_dict["number"]))
    tk.check_access(
        "sdm_submission_show",
        context,
        {"package_id": issued.package_id, "owner_org": issued.owner_org, "created_by": issued.created_by},
    )
    return issued.certificate


@tk.side_effect_free
def submission_list(context: dict, data_dict: dict) -> list:
    """Certificates, newest first, filtered by `project_number` and/or
    `organization` (the responsible unit, id or name); a user sees those of
    the units they belong to, sysadmins all."""
    tk.check_access("sdm_submission_list", context, data_dict)
    query = model.Session.query(Submission)
    if data_dict.get("project_number"):
        query = query.filter(Submission.project_number == data_dict["project_number"])
    if data_dict.get("organization"):
        unit = model.Group.get(data_dict["organization"])
        if unit is None:
            raise tk.ObjectNotFound()
        query = query.filter(Submission.owner_org == unit.id)
    user = context.get("user")
    return [
        s.certificate
        for s in query.order_by(Submission.issued.desc())
        if authz.is_sysadmin(user) or _member(user, s.owner_org)
    ]


def _member(user: str, owner_org: str | None) -> bool:
    return bool(owner_org) and authz.has_user_permission_for_group_or_org(owner_org, user, "read")


# -- auth -------------------------------------------------------------------
def _create_auth(context: dict, data_dict: dict | None) -> dict:
    try:
        tk.check_access("package_update", {"user": context.get("user")}, {"id": (data_dict or {}).get("id")})
    except tk.NotAuthorized:
        return {"success": False}
    return {"success": True}


def _show_auth(context: dict, data_dict: dict) -> dict:
    user = context.get("user")
    return {
        "success": bool(user) and (user == data_dict.get("created_by") or _member(user, data_dict.get("owner_org")))
    }


@tk.auth_allow_anonymous_access
def _verify_auth(context: dict, data_dict: dict | None) -> dict:
    return {"success": True}


def _list_auth(context: dict, data_dict: dict | None) -> dict:
    return {"success": bool(context.get("user"))}


ACTIONS = {
    "sdm_submission_create": submission_create,
    "sdm_submission_verify": submission_verify,
    "sdm_submission_show": submission_show,
    "sdm_submission_list": submission_list,
}
AUTH_FUNCTIONS = {
    "sdm_submission_create": _create_auth,
    "sdm_submission_verify": _verify_auth,
    "sdm_submission_show": _show_auth,
    "sdm_submission_list": _list_auth,
}
