"""Deferred disclosure ends by itself (R4): find due embargoes and lift them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy.orm import aliased

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
    ends = (
        (pid, disclosure_policy.embargo_end({"disclosure": "deferred", "embargo_until": value})) for pid, value in rows
    )
    return [pid for pid, end in ends if end is not None and end <= today]


def lift(package_id: str, now: dt.datetime) -> dict:
    """Make one dataset public and record when; safe to repeat."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    return tk.get_action("package_patch")(
        context,
        {"id": package_id, "disclosure": "public", "embargo_lifted": now.isoformat(timespec="seconds")},
    )


@dataclass
class LiftReport:
    """What one run lifted, and what it could not lift with the reason."""

    lifted: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # [(dataset name or id, message)]


def _failure(error: Exception) -> str:
    if isinstance(error, tk.ValidationError):
        return "; ".join(f"{k}: {v}" for k, v in (error.error_dict or {}).items()) or str(error)
    return f"{type(error).__name__}: {error}"


def lift_due(today: dt.date | None = None, now: dt.datetime | None = None) -> LiftReport:
    """Lift every due embargo; a dataset that cannot be saved (a stored
    value the schema now refuses, …) is reported and the others still go."""
    now = now or dt.datetime.now(dt.UTC)
    today = today or now.date()
    report = LiftReport()
    for package_id in due_dataset_ids(today):
        try:
            report.lifted.append(lift(package_id, now)["name"])
        except Exception as error:  # one bad dataset must not keep the others deferred
            model.Session.rollback()
            package = model.Package.get(package_id)
            report.failed.append((package.name if package else package_id, _failure(error)))
    return report
