"""Mail about access requests and quality reports, through CKAN's mailer
(smtp.* settings).

The responsible unit's editors and admins hear of each new application and
each new quality report; the applicant hears of the decision and of a
revocation, the reporter and the requester of a demand of each answer.  Mail is a
courtesy: a mail server that refuses is logged, and the application or
decision stands.  `ckanext.sdm.notify.editors = false` turns it off.
"""

from __future__ import annotations

import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer

from sdm_schema import codelist, lang, message
from sdm_schema.loader import LANGUAGES

log = logging.getLogger(__name__)
#: Member capacities that decide applications.
_DECIDING = ("editor", "admin")


def enabled() -> bool:
    return tk.config.get("ckanext.sdm.notify.editors")


def unit_editors(owner_org: str | None) -> list:
    """The users who decide applications for a unit's datasets, with a mail address."""
    if not owner_org:
        return []
    members = (
        model.Session.query(model.User)
        .join(model.Member, model.Member.table_id == model.User.id)
        .filter(
            model.Member.group_id == owner_org,
            model.Member.table_name == "user",
            model.Member.state == "active",
            model.Member.capacity.in_(_DECIDING),
            model.User.state == "active",
        )
    )
    return [user for user in members if user.email]


def _both(key: str, separator: str, **params: object) -> str:
    """A subject or body in both languages, Chinese first; a parameter given
    per language (the dataset title, the status) is used in each."""
    texts = []
    for tag in LANGUAGES:
        resolved = {k: (lang.pick(v, tag) if isinstance(v, dict) else v) for k, v in params.items()}
        texts.append(message(key, **resolved)[tag])
    return separator.join(texts)


def _send(user: model.User, subject: str, body: str) -> bool:
    try:
        mailer.mail_recipient(user.display_name, user.email, subject, body)
    except mailer.MailerException as error:
        log.warning("access-request mail to %s not sent: %s", user.name, error)
        return False
    return True


def _site() -> str:
    return tk.config.get("ckan.site_url").rstrip("/")


def application_received(request: dict, package: dict) -> int:
    """Tell the unit's editors; returns how many were mailed."""
    if not enabled():
        return 0
    title = request.get("dataset_title") or {"zh-Hans": request.get("dataset_name")}
    subject = _both("mail_application_subject", " / ", title=title)
    body = _both(
        "mail_application_body",
        "\n\n",
        title=title,
        applicant=request.get("user"),
        unit=request.get("applicant_unit"),
        purpose=request.get("purpose"),
        url=f"{_site()}/dashboard/access-requests/queue",
    )
    return sum(_send(user, subject, body) for user in unit_editors(package.get("owner_org")))


def application_decided(request: dict, applicant: model.User | None) -> bool:
    """Tell the applicant of a decision or a revocation."""
    if not enabled() or applicant is None or not applicant.email:
        return False
    title = request.get("dataset_title") or {"zh-Hans": request.get("dataset_name")}
    status = message(f"access_request_status_{request['status']}")
    subject = _both("mail_decision_subject", " / ", title=title, status=status)
    body = _both(
        "mail_decision_body",
        "\n\n",
        title=title,
        status=status,
        reason=request.get("reason") or "",
        url=f"{_site()}/dashboard/access-requests",
    )
    return _send(applicant, subject, body)


def report_received(report: dict, package: dict) -> int:
    """Tell the unit's editors of a new quality report."""
    if not enabled():
        return 0
    title = report.get("dataset_title") or {"zh-Hans": report.get("dataset_name")}
    problem = {tag: codelist("quality_problem").label_of(report["problem"], tag) for tag in LANGUAGES}
    subject = _both("mail_report_subject", " / ", title=title)
    body = _both(
        "mail_report_body",
        "\n\n",
        title=title,
        reporter=report.get("user"),
        problem=problem,
        description=report.get("description"),
        url=f"{_site()}/dashboard/quality-reports",
        upstream=_upstream(report.get("upstream")),
    )
    return sum(_send(user, subject, body) for user in unit_editors(package.get("owner_org")))


def _upstream(found: dict | None) -> dict | str:
    """A harvested dataset's report names the platform to fix it at
    (feedback.upstream), in each language; nothing for a dataset catalogued here."""
    if not found:
        return ""
    where = {"platform": found.get("platform") or found["source"], "source": found["source"]}
    text = message("mail_report_upstream", page=found.get("page") or found.get("record") or "", **where)
    return {tag: "\n\n" + text[tag] for tag in LANGUAGES}


def feedback_answered(user: model.User | None, title: str | dict, status: dict, answer: str, path: str) -> bool:
    """Tell a reporter or the requester of a demand of the unit's answer."""
    if not enabled() or user is None or not user.email:
        return False
    title = title if isinstance(title, dict) else {tag: title for tag in LANGUAGES}
    subject = _both("mail_answer_subject", " / ", title=title)
    body = _both("mail_answer_body", "\n\n", title=title, status=status, answer=answer, url=f"{_site()}{path}")
    return _send(user, subject, body)
