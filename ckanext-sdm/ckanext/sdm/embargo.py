"""Deferred disclosure ends by itself (R4): find due embargoes and lift them."""
from __future__ import annotations

import datetime as dt

import ckan.model as model
from sqlalchemy.orm import aliased
import ckan.plugins.toolkit as tk

from sdm_schema import disclosure as disclosure_policy


def due_dataset_ids(today: dt.date) -> list:
    """Active datasets still marked deferred whose embargo date has come."""
    disclosure = aliased(model.PackageExtra)
    until = aliased(model.PackageExtra)
    rows = (
        model.Session.query(model.Package.id, until.value)
        .join(disclosure, disclosure.package_id == model.Package.id)
        .join(until, until.package_id == model.Package.id)
        .filter(model.Package.state == "active")
        .filter(disclosure.key == "disclosure", disclosure.value == "deferred")
        .filter(until.key == "embargo_until")
        .order_by(model.Package.id)
    )
    # ISO dates compare correctly as text, but a malformed one must not
    # stop the others, so the policy reads each in Python.
    ends = ((pid, disclosure_policy.embargo_end({"disclosure": "deferred", "embargo_until": value}))
            for pid, value in rows)
    return [pid for pid, end in ends if end is not None and end <= today]


def lift(package_id: str, now: dt.datetime) -> dict:
    """Make one dataset public and record when; safe to repeat."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    return tk.get_action("package_patch")(
        context,
        {"id": package_id, "disclosure": "public", "embargo_lifted": now.isoformat(timespec="seconds")},
    )


def lift_due(today: dt.date | None = None, now: dt.datetime | None = None) -> list:
    now = now or dt.datetime.now(dt.timezone.utc)
    today = today or now.date()
    return [lift(pid, now)["name"] for pid in due_dataset_ids(today)]
