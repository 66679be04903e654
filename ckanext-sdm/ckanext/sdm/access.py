"""CKAN's doors, each asking sdm_schema.disclosure for the public audience.

Sysadmins and members of the owning organisation see everything; everyone
else sees what the policy allows the public: classified datasets not at all
(auth, search and facet counts via permission labels), withheld files and
download URLs of deferred, conditional and not-open datasets not at all
(package_show, package_search, resource_show and so resource pages and
downloads, activity lists).  Activity details (activity_show with data,
activity_diff) stay editor-only, as CKAN does by default
(ckan.auth.public_activity_stream_detail = false).
"""
from __future__ import annotations

import json

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultPermissionLabels

from ckanext.sdm import access_requests, catalog
from sdm_schema import disclosure, fields_with

#: Package fields the policy reads, as stored in extras (`policy` in
#: sdm_dataset.yaml).
_POLICY_FIELDS = tuple(f.name for f in fields_with("policy"))
#: Search-result keys that carry resource data or URLs.
_RESOURCE_KEYS = ("res_", "urls", "download_url")


def current_user_name():
    """The signed-in user's name, or None (anonymous, or outside a request)."""
    try:
        return tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # outside a request
        return None


def _user_name(context=None):
    if context and context.get("user"):
        return context["user"]
    return current_user_name()


def privileged(owner_org, context=None) -> bool:
    """Sysadmin or a member of the dataset's organisation."""
    user = _user_name(context)
    if not user:
        return False
    if authz.is_sysadmin(user):
        return True
    return bool(owner_org) and authz.has_user_permission_for_group_or_org(owner_org, user, "read")


def _policy_view(package: model.Package) -> dict:
    return {name: package.extras.get(name) for name in _POLICY_FIELDS}


def _decide(pkg_dict: dict):
    return disclosure.decide(pkg_dict, disclosure.PUBLIC)


def _package_from(data_dict, context):
    data_dict = data_dict or {}
    return context.get("package") or model.Package.get(data_dict.get("id") or data_dict.get("name_or_id"))


# -- auth -------------------------------------------------------------------
@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_show(next_auth, context, data_dict):
    result = next_auth(context, data_dict)
    package = _package_from(data_dict, context)
    if result.get("success") and package and not privileged(package.owner_org, context):
        if not _decide(_policy_view(package)).visible:
            return {"success": False, "msg": tk._("Not authorised to see this dataset")}
    return result


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def resource_show(next_auth, context, data_dict):
    result = next_auth(context, data_dict)
    resource = context.get("resource") or model.Resource.get((data_dict or {}).get("id"))
    package = resource.package if resource else None
    if result.get("success") and package and not privileged(package.owner_org, context):
        if not _decide(_policy_view(package)).resources and not access_requests.granted(package.id, _user_name(context)):
            return {"success": False, "msg": tk._("The files of this dataset are not disclosed")}
    return result


AUTH_FUNCTIONS = {"package_show": package_show, "resource_show": resource_show}


# -- showing and searching --------------------------------------------------
def redact_shown(context, pkg_dict: dict) -> None:
    """package_show output, in place: withheld files go, URLs with them."""
    if context.get("ignore_auth") or privileged(pkg_dict.get("owner_org"), context):
        return
    if access_requests.granted(pkg_dict.get("id"), _user_name(context)):  # visible, by auth; grant shows files
        return
    visible = disclosure.redact(pkg_dict, disclosure.PUBLIC)
    if visible is None:  # auth already refused; never hand it out regardless
        pkg_dict.clear()
        return
    for key in list(pkg_dict):
        if key not in visible:
            del pkg_dict[key]
    pkg_dict.update(visible)


def _result_policy_view(result: dict) -> dict:
    if all(name in result for name in ("secrecy", "open_attribute")):
        return result
    package = model.Package.get(result.get("id"))
    return _policy_view(package) if package else {"secrecy": "classified"}


def redact_search_result(result: dict) -> dict:
    """One package_search result (any `fl`), as the public may see it."""
    decision = _decide(_result_policy_view(result))
    if not decision.visible:
        return {"id": result.get("id")}  # labels keep it out; belt and braces
    if decision.resources:
        return result
    out = {k: v for k, v in result.items() if not k.startswith(_RESOURCE_KEYS)}
    if "resources" in out:
        out["resources"] = []
        out["num_resources"] = 0
    for key in ("data_dict", "validated_data_dict"):
        if isinstance(out.get(key), str):
            stored = json.loads(out[key])
            stored["resources"], stored["num_resources"] = [], 0
            out[key] = json.dumps(stored)
    return out


# -- actions ------------------------------------------------------------------
# package_search is chained rather than hooked through after_dataset_search,
# because only the action knows who is asking.
@tk.chained_action
@tk.side_effect_free
def package_search(next_action, context, data_dict):
    # a DCAT catalogue search lists only what its profile's audience may see
    found = next_action(context, catalog.catalogue_search(context, data_dict))
    found["results"] = [
        r if privileged(r.get("owner_org"), context) else redact_search_result(r)
        for r in found.get("results") or []
    ]
    return found


def _public_activity(activity: dict, context):
    """An activity as the public may see it, or None.  The stored dict is
    the dataset as it was; the dataset as it is now decides too, so one
    classified since is hidden from its whole history."""
    package = (activity.get("data") or {}).get("package")
    if package is None or privileged(package.get("owner_org"), context):
        return activity
    current = model.Package.get(activity.get("object_id"))
    if current is not None and not _decide(_policy_view(current)).visible:
        return None
    visible = disclosure.redact(package, disclosure.PUBLIC)
    if visible is None:
        return None
    return dict(activity, data=dict(activity["data"], package=visible))


def _redacting_activities(name):
    @tk.chained_action
    @tk.side_effect_free
    def action(next_action, context, data_dict):
        activities = next_action(context, data_dict)
        return [a for a in (_public_activity(a, context) for a in activities) if a is not None]

    action.__name__ = name
    return action


#: Activity lists return whole dataset dicts, files included.
_ACTIVITY_LISTS = (
    "package_activity_list",
    "organization_activity_list",
    "group_activity_list",
    "user_activity_list",
    "dashboard_activity_list",
    "recently_changed_packages_activity_list",
)

ACTIONS = {"package_search": package_search, **{name: _redacting_activities(name) for name in _ACTIVITY_LISTS}}


class PermissionLabels(DefaultPermissionLabels):
    """Datasets the public may not see carry only their organisation's label,
    so search results and facet counts leave them out for everyone else."""

    def get_dataset_labels(self, dataset_obj):
        labels = super().get_dataset_labels(dataset_obj)
        if "public" in labels and not _decide(_policy_view(dataset_obj)).visible:
            labels = [f"member-{dataset_obj.owner_org}"] if dataset_obj.owner_org else [f"creator-{dataset_obj.creator_user_id}"]
        return labels

