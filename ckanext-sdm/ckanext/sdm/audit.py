"""Behaviour tracing and the blacklist (R9).

Every download through CKAN's resource download route, every access request
and decision and every submission adds a row to sdm_audit: who, what, when,
from which address, and the outcome.  Administrators export the trail as
CSV and keep a blacklist of users and IP networks that may neither download
nor apply for access.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.sdm.helpers import bilingual_message, display_timezone, local_time, sdm_message
from ckanext.sdm.model import AuditEvent, BlacklistEntry
from sdm_schema.csv_export import csv_text

#: What the audit trail records.
DOWNLOAD, ACCESS_REQUEST, ACCESS_DECISION, SUBMISSION = "download", "access_request", "access_decision", "submission"
#: Outcomes of a download or a request refused for a blacklisted user or address.
GRANTED, REFUSED, BLACKLISTED = "granted", "refused", "blacklisted"
CSV_COLUMNS = ("at", "user_name", "address", "action", "package_id", "resource_id", "outcome", "detail")
#: The export adds the dataset's name and title: ids alone say nothing to a reader.
EXPORT_COLUMNS = CSV_COLUMNS[:5] + ("dataset", "dataset_title") + CSV_COLUMNS[5:]


def client_address() -> str | None:
    """The requesting address, or None outside a request.  Behind a reverse
    proxy, have the proxy set REMOTE_ADDR (docs/access.md)."""
    try:
        return tk.request.remote_addr
    except (RuntimeError, AttributeError):
        return None


def record(
    action: str,
    outcome: str,
    user_name: str | None = None,
    package_id: str | None = None,
    resource_id: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add an audit row to the session; the caller's transaction commits it."""
    event = AuditEvent(
        action=action,
        outcome=outcome,
        user_name=user_name,
        address=client_address(),
        package_id=package_id,
        resource_id=resource_id,
        detail=detail,
    )
    model.Session.add(event)
    return event


#: Every action and outcome the trail holds, for the audit page's filters (EVENT_ACTIONS: the
#: module's CKAN actions are ACTIONS, below, which once hid this tuple and filled the filter with them).
EVENT_ACTIONS = (DOWNLOAD, ACCESS_REQUEST, ACCESS_DECISION, SUBMISSION, "demand", "quality_report", "authorisation")
OUTCOMES = (
    GRANTED,
    REFUSED,
    BLACKLISTED,
    "pending",
    "approved",
    "rejected",
    "revoked",
    "issued",
    "open",
    "accepted",
    "fulfilled",
    "declined",
    "answered",
    "closed",
    "active",
)


def _utc(name: str, value: str) -> dt.datetime:
    """A filter's date or time; without an offset it is read in the display
    time zone (ckan.display_timezone), as the pages show times."""
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise tk.ValidationError({name: [bilingual_message("audit_bad_time", value=value)]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=display_timezone())
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def events(
    since: str | None = None,
    until: str | None = None,
    action: str | None = None,
    user: str | None = None,
    outcome: str | None = None,
    dataset: str | None = None,
) -> list:
    """Audit rows, oldest first, filtered by time (since inclusive, until
    exclusive), action, user name, outcome and dataset (name or id)."""
    query = model.Session.query(AuditEvent)
    if since:
        query = query.filter(AuditEvent.at >= _utc("since", since))
    if until:
        query = query.filter(AuditEvent.at < _utc("until", until))
    for column, value in ((AuditEvent.action, action), (AuditEvent.user_name, user), (AuditEvent.outcome, outcome)):
        if value:
            query = query.filter(column == value)
    if dataset:
        package = model.Package.get(dataset)
        query = query.filter(AuditEvent.package_id == (package.id if package else dataset))
    return query.order_by(AuditEvent.at, AuditEvent.id).all()


def row_dict(row: AuditEvent) -> dict:
    """One audit row for people: its time with the display time zone's
    offset, the dataset's name and title beside its id."""
    package = model.Package.get(row.package_id) if row.package_id else None
    out = {c: getattr(row, c) for c in CSV_COLUMNS}
    out["at"] = local_time(row.at).isoformat(timespec="seconds")
    out["dataset"] = package.name if package else ""
    out["dataset_title"] = (package.title or "") if package else ""
    return out


def to_csv(rows: Iterable[AuditEvent]) -> str:
    """The export (sdm_schema.csv_export): times with their offset; dataset
    names and titles."""
    return csv_text(EXPORT_COLUMNS, ([shown[c] for c in EXPORT_COLUMNS] for shown in map(row_dict, rows)))


# -- the blacklist -----------------------------------------------------------
def _ip(address: str):
    """The address, an IPv4-mapped IPv6 one (::ffff:203.0.113.9) read as the
    IPv4 address it is, so IPv4 networks on the blacklist hold for it."""
    parsed = ipaddress.ip_address(address)
    mapped = getattr(parsed, "ipv4_mapped", None)
    return mapped or parsed


def _in_network(address: str | None, network: str) -> bool:
    try:
        if not address:
            return False
        net = ipaddress.ip_network(network, strict=False)
        mapped = getattr(net.network_address, "ipv4_mapped", None)
        if mapped is not None:  # an ::ffff:a.b.c.d/N entry is the IPv4 network it maps
            net = ipaddress.ip_network(f"{mapped}/{max(net.prefixlen - 96, 0)}", strict=False)
        return _ip(address) in net
    except ValueError:
        return False


def blacklisted(user_id: str | None, address: str | None) -> bool:
    """Whether this user, or this address, is on the blacklist."""
    entries = model.Session.query(BlacklistEntry)
    return any(
        (user_id and entry.user_id == user_id) or (entry.network and _in_network(address, entry.network))
        for entry in entries
    )


def user_blacklisted(user_name: str | None) -> bool:
    """The blacklist asked about a user by name, and the current address."""
    user = model.User.get(user_name) if user_name else None
    return blacklisted(user.id if user else None, client_address())


def _entry_dict(entry: BlacklistEntry) -> dict:
    user = model.User.get(entry.user_id) if entry.user_id else None
    return {
        "id": entry.id,
        "user": user.name if user else None,
        "network": entry.network,
        "reason": entry.reason,
        "created_by": entry.created_by,
        "created": entry.created.isoformat(),
    }


def blacklist_add(context: dict, data_dict: dict) -> dict:
    """Blacklist a user (`user`, name or id) and/or an IP network (`network`,
    CIDR such as 203.0.113.0/24); `reason` is required."""
    tk.check_access("sdm_blacklist_add", context, data_dict)
    errors = {}
    user_ref, network = data_dict.get("user"), (data_dict.get("network") or "").strip() or None
    user = model.User.get(user_ref) if user_ref else None
    if user_ref and not user:
        errors["user"] = [bilingual_message("blacklist_user_unknown", user=user_ref)]
    if network:
        try:
            network = str(ipaddress.ip_network(network, strict=False))
        except ValueError:
            errors["network"] = [bilingual_message("blacklist_bad_network", value=network)]
    if not (user_ref or network):
        errors["user"] = [bilingual_message("blacklist_needs_target")]
    if not (data_dict.get("reason") or "").strip():
        errors["reason"] = [bilingual_message("missing_value", name=sdm_message("blacklist_reason"))]
    if errors:
        raise tk.ValidationError(errors)
    entry = BlacklistEntry(
        user_id=user.id if user else None,
        network=network,
        reason=data_dict["reason"].strip(),
        created_by=context.get("user"),
    )
    model.Session.add(entry)
    model.Session.commit()
    return _entry_dict(entry)


def blacklist_remove(context: dict, data_dict: dict) -> None:
    tk.check_access("sdm_blacklist_remove", context, data_dict)
    entry = model.Session.get(BlacklistEntry, tk.get_or_bust(data_dict, "id"))
    if entry is None:
        raise tk.ObjectNotFound()
    model.Session.delete(entry)
    model.Session.commit()


@tk.side_effect_free
def blacklist_list(context: dict, data_dict: dict | None) -> list:
    tk.check_access("sdm_blacklist_list", context, data_dict)
    return [_entry_dict(e) for e in model.Session.query(BlacklistEntry).order_by(BlacklistEntry.created)]


@tk.side_effect_free
def audit_list(context: dict, data_dict: dict) -> list:
    """The audit trail, oldest first; `since` and `until` are ISO dates or times."""
    tk.check_access("sdm_audit_list", context, data_dict)
    rows = events(data_dict.get("since"), data_dict.get("until"))
    return [row_dict(r) for r in rows]


def sysadmin_only(context: dict, data_dict: dict | None) -> dict:
    """For sysadmins only: they pass every auth function before it is called."""
    return {"success": False}


ACTIONS = {
    "sdm_blacklist_add": blacklist_add,
    "sdm_blacklist_remove": blacklist_remove,
    "sdm_blacklist_list": blacklist_list,
    "sdm_audit_list": audit_list,
}
AUTH_FUNCTIONS = {name: sysadmin_only for name in ACTIONS}
