"""The evaluation of the responsible units inside CKAN (R12): the same
scores as the harvester's (sdm_schema.evaluation), with what CKAN knows
beside the records — link checks, submission certificates and whether their
data changed (sdm_submission_verify), access requests and their answers,
demands and quality reports and their answers (feedback.evaluation_inputs).

`ckan sdm evaluate` (cron) evaluates every dataset, keeps each dataset's
latest result and one snapshot per unit per day (tables created by the
migration; a second run on a day replaces its snapshot), and may check the
links first or leave that to a background job on CKAN's queue.  The
actions `sdm_evaluation_list` and `sdm_evaluation_show` read what was kept,
for anyone, through the disclosure policy: a dataset the viewer may not see
is not named, and the file indicators of a dataset whose files the viewer
may not have are left out.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import ckan.model as model
import ckan.plugins.toolkit as tk
import click
from ckan.model import types as _types
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, UnicodeText, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB

from ckanext.sdm import access, audit, cli, feedback
from ckanext.sdm.model import AccessRequest, AuditEvent, Submission, utcnow
from sdm_harvester.evaluate_command import day_option, link_checker, link_options
from sdm_schema import evaluation
from sdm_schema.evaluation import report

if TYPE_CHECKING:
    from rq.job import Job

    from sdm_harvester.linkcheck import LinkChecker

log = logging.getLogger(__name__)
#: Indicators computed from a dataset's files: withheld with them.
FILE_INDICATORS = ("known_formats", "links_reachable")
#: The queue the link check runs on (`ckan jobs worker sdm-links`).
LINK_QUEUE = "sdm-links"


class UnitSnapshot(tk.BaseModel):
    """A unit's scorecard on one day."""

    __tablename__ = "sdm_evaluation"
    __table_args__ = (UniqueConstraint("day", "unit"),)
    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    day = Column(Date, nullable=False, index=True)
    unit = Column(UnicodeText, nullable=False, index=True)
    score = Column(Float)
    band = Column(UnicodeText)
    datasets = Column(Integer, nullable=False)
    card = Column(JSONB, nullable=False)  # report.unit_dict, worst datasets left out


class DatasetResult(tk.BaseModel):
    """A dataset's latest evaluation (report.dataset_dict)."""

    __tablename__ = "sdm_evaluation_dataset"
    package_id = Column(UnicodeText, primary_key=True)
    owner_org = Column(UnicodeText, index=True)
    evaluated = Column(DateTime, nullable=False, default=utcnow)
    score = Column(Float)
    result = Column(JSONB, nullable=False)


class LinkCheck(tk.BaseModel):
    """A URL as last checked (sdm_harvester.linkcheck's cache)."""

    __tablename__ = "sdm_link_check"
    url = Column(UnicodeText, primary_key=True)
    ok = Column(Boolean, nullable=False)
    status = Column(UnicodeText, nullable=False)
    checked = Column(UnicodeText, nullable=False)


class DbLinkCache:
    """The link check's cache in the database.  The checker's threads only
    hand results back; this object writes them from the calling thread."""

    def __init__(self) -> None:
        self._known = {
            row.url: evaluation.LinkResult(row.ok, row.status, row.checked) for row in model.Session.query(LinkCheck)
        }
        self._new: dict = {}

    def get(self, url: str) -> evaluation.LinkResult | None:
        return self._known.get(url)

    def put(self, url: str, result: evaluation.LinkResult) -> None:
        self._new[url] = result

    def all(self) -> dict:
        return {**self._known, **self._new}

    def save(self) -> None:
        for url, result in self._new.items():
            model.Session.merge(LinkCheck(url=url, ok=result.ok, status=result.status, checked=result.checked))
        model.Session.commit()
        self._known.update(self._new)
        self._new = {}


# -- evaluating --------------------------------------------------------------------


def _datasets() -> list:
    """Every active dataset, whole (files included), as the evaluation needs it."""
    from ckanext.sdm.submission import _stored

    ids = [
        row[0]
        for row in model.Session.query(model.Package.id)
        .filter(model.Package.state == "active", model.Package.type == "dataset")
        .order_by(model.Package.name)
    ]
    return [_stored(package_id) for package_id in ids]


def _submissions() -> dict:
    """{package id: (latest certificate number, changed since?)}."""
    latest: dict = {}
    for row in model.Session.query(Submission).order_by(Submission.issued):
        latest[row.package_id] = row.number
    verify = tk.get_action("sdm_submission_verify")
    out = {}
    for package_id, number in latest.items():
        found = verify({"ignore_auth": True}, {"number": number})
        out[package_id] = (number, bool(found.get("metadata_changed") or found.get("resources_changed")))
    return out


def _submitted_on() -> dict:
    """{package id: the day its first certificate was issued}."""
    first = model.Session.query(Submission.package_id, func.min(Submission.issued)).group_by(Submission.package_id)
    return {package_id: issued.date() for package_id, issued in first}


def _blacklist_hits() -> dict:
    """{unit: times a blacklisted user was refused one of its datasets} — the
    audit trail's rows of outcome `blacklisted` that name a dataset
    (downloads and access requests; a refused demand or report names none)."""
    hits = (
        model.Session.query(model.Package.owner_org, func.count(AuditEvent.id))
        .join(model.Package, model.Package.id == AuditEvent.package_id)
        .filter(AuditEvent.outcome == audit.BLACKLISTED)
        .group_by(model.Package.owner_org)
    )
    return dict(hits)


def _requests(now: dt.datetime, answer_days: int) -> dict:
    """{package id: (late, due)} of the access requests."""
    pairs: dict = {}
    for row in model.Session.query(AccessRequest.package_id, AccessRequest.created, AccessRequest.decided):
        pairs.setdefault(row.package_id, []).append((row.created, row.decided))
    return {pid: evaluation.request_counts(found, now, answer_days) for pid, found in pairs.items()}


def evaluate_site(today: dt.date | None = None, checker: LinkChecker | None = None) -> list:
    """Evaluate every dataset, keep the results and today's unit snapshots;
    the units, best first.  With a LinkChecker the links are checked first."""
    today = today or dt.date.today()
    records = _datasets()
    cache = DbLinkCache()
    if checker is not None:
        checker.cache = cache
        checker.check(url for r in records for url in evaluation.resource_urls(r))
        cache.save()
    links, submissions, submitted_on = cache.all(), _submissions(), _submitted_on()
    days = evaluation.checks.ANSWER_DAYS
    requests = _requests(utcnow(), days)
    reports, unit_facts, figures = feedback.evaluation_inputs(utcnow(), days)
    hits = _blacklist_hits()
    for unit in set(figures) | set(hits):
        figures.setdefault(unit, {})["blacklist_hits"] = hits.get(unit, 0)

    def facts(record: Mapping) -> evaluation.Facts:
        return evaluation.Facts(
            links=links,
            submission=submissions.get(record["id"]),
            certificates=True,
            submitted_on=submitted_on.get(record["id"]),
            requests=requests.get(record["id"]),
            reports=reports.get(record["id"]),
            answer_days=days,
        )

    units = evaluation.evaluate_catalogue(
        records,
        tk.config.get("ckan.site_url") or "",
        facts=facts,
        counts=figures,
        unit_facts=unit_facts,
        today=today,
    )
    _keep(units, today)
    return units


def _keep(units: list, today: dt.date) -> None:
    now = utcnow()
    seen = set()
    for unit in units:
        for e in unit.datasets:
            seen.add(e.record["id"])
            model.Session.merge(
                DatasetResult(
                    package_id=e.record["id"],
                    owner_org=unit.unit,
                    evaluated=now,
                    score=e.score,
                    result=report.dataset_dict(e),
                )
            )
        card = report.unit_dict(unit, worst=0)
        model.Session.query(UnitSnapshot).filter_by(day=today, unit=unit.unit).delete()
        model.Session.add(
            UnitSnapshot(
                day=today,
                unit=unit.unit,
                score=unit.score,
                band=(card["band"] or {}).get("code"),
                datasets=len(unit.datasets),
                card=card,
            )
        )
    # datasets deleted since the last run leave no stale result behind
    model.Session.query(DatasetResult).filter(DatasetResult.package_id.notin_(seen)).delete(synchronize_session=False)
    model.Session.commit()


def check_links(options: dict | None = None) -> int:
    """The link check alone, as a background job: every file URL, cached;
    the number of URLs asked."""
    from sdm_harvester.linkcheck import LinkChecker

    checker = LinkChecker(**(options or {}))
    cache = DbLinkCache()
    checker.cache = cache
    checker.check(url for r in _datasets() for url in evaluation.resource_urls(r))
    cache.save()
    return checker.asked


def enqueue_link_check(options: dict | None = None) -> Job:
    return tk.enqueue_job(
        check_links, [options or {}], title="sdm link check", queue=LINK_QUEUE, rq_kwargs={"timeout": 6 * 3600}
    )


# -- reading, through the policy ---------------------------------------------------


def _viewer_sees(context: dict, package_id: str) -> bool:
    try:
        tk.check_access("package_show", dict(context), {"id": package_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True


def _shown(context: dict, result: dict) -> dict | None:
    """A stored dataset result as the viewer may see it; None when the
    viewer may not know the dataset."""
    if not _viewer_sees(context, result["id"]):
        return None
    files = access.entitlement(access.Viewer.of(context), access._stored_package(result["id"])).files
    if files:
        return result
    return {
        **result,
        "indicators": {k: (None if k in FILE_INDICATORS else v) for k, v in result["indicators"].items()},
        "problems": [p for p in result["problems"] if p["indicator"] not in FILE_INDICATORS],
    }


def _organization(ref: object) -> model.Group | None:
    group = model.Group.get(ref) if isinstance(ref, str) and ref else None
    return group if group is not None and group.is_organization and group.state == "active" else None


def _unit_titles(group: model.Group) -> dict:
    from ckanext.sdm.validators import decode_json

    titles = decode_json(group.extras.get("title_translated")) if group.extras.get("title_translated") else None
    return titles if isinstance(titles, dict) and titles else {"zh-Hans": group.title or group.name}


def _unit_entry(snapshot: UnitSnapshot, group: model.Group) -> dict:
    return {
        **snapshot.card,
        "unit": group.id,
        "name": group.name,
        "title": _unit_titles(group),
        "day": snapshot.day.isoformat(),
    }


def _latest_day():
    row = model.Session.query(UnitSnapshot.day).order_by(UnitSnapshot.day.desc()).first()
    return row[0] if row else None


@tk.side_effect_free
def evaluation_list(context: dict, data_dict: dict) -> list:
    """Every unit's latest scorecard, ranked (best first): score, band,
    dimension and indicator values, openness, counts, overdue count."""
    tk.check_access("sdm_evaluation_list", context, data_dict)
    day = _latest_day()
    if day is None:
        return []
    out = []
    for snapshot in model.Session.query(UnitSnapshot).filter_by(day=day):
        group = _organization(snapshot.unit)
        if group is not None:
            entry = _unit_entry(snapshot, group)
            entry["overdue"] = len(entry["overdue"])
            out.append(entry)
    return sorted(out, key=lambda u: (-(u["score"] if u["score"] is not None else -1), u["name"]))


def _visible_names(context: dict, names: Iterable[str]) -> list:
    rows = model.Session.query(model.Package.id, model.Package.name).filter(model.Package.name.in_(list(names)))
    return [name for pid, name in rows if _viewer_sees(context, pid)]


@tk.side_effect_free
def evaluation_show(context: dict, data_dict: dict) -> dict:
    """`id`: a unit (organisation id or name) — its latest scorecard, its
    history (`trend`) and its worst datasets the viewer may see, with their
    problems; or a dataset (id or name) — its latest result."""
    tk.check_access("sdm_evaluation_show", context, data_dict)
    ref = tk.get_or_bust(data_dict, "id")
    group = _organization(ref)
    if group is None:
        return _dataset_show(context, ref)
    snapshots = model.Session.query(UnitSnapshot).filter_by(unit=group.id).order_by(UnitSnapshot.day).all()
    if not snapshots:
        raise tk.ObjectNotFound(tk.h.sdm_message("eval_not_evaluated"))
    entry = _unit_entry(snapshots[-1], group)
    entry["overdue"] = _visible_names(context, entry["overdue"])
    entry["trend"] = [{"day": s.day.isoformat(), "score": s.score, "band": s.band} for s in snapshots]
    entry["worst"] = _worst(context, group.id, int(data_dict.get("worst") or 10))
    return entry


def _worst(context: dict, unit: str, limit: int) -> list:
    out = []
    query = model.Session.query(DatasetResult).filter_by(owner_org=unit).order_by(DatasetResult.score.asc().nullslast())
    for row in query:
        shown = _shown(context, row.result)
        if shown and shown["problems"]:
            out.append(shown)
        if len(out) >= limit:
            break
    return out


def _dataset_show(context: dict, ref: str) -> dict:
    package = model.Package.get(ref)
    row = model.Session.get(DatasetResult, package.id) if package is not None else None
    shown = _shown(context, row.result) if row is not None else None
    if shown is None:  # not evaluated, or not the viewer's to know: the same answer
        raise tk.ObjectNotFound(tk.h.sdm_message("eval_not_evaluated"))
    return {**shown, "evaluated": row.evaluated.isoformat()}


@tk.auth_allow_anonymous_access
def _public(context: dict, data_dict: dict | None) -> dict:
    return {"success": True}


ACTIONS = {"sdm_evaluation_list": evaluation_list, "sdm_evaluation_show": evaluation_show}
AUTH_FUNCTIONS = {"sdm_evaluation_list": _public, "sdm_evaluation_show": _public}


def editor_badge(pkg: dict) -> dict | None:
    """The band of a dataset's latest evaluation, for its editors only."""
    if not pkg.get("id") or not access.privileged(pkg.get("owner_org")):
        return None
    row = model.Session.get(DatasetResult, pkg["id"])
    return row.result if row is not None else None


# -- ckan sdm evaluate -----------------------------------------------------------


@click.command("evaluate")
@day_option
@link_options
@click.option(
    "--enqueue-link-check",
    is_flag=True,
    help="Put the link check on CKAN's job queue (queue sdm-links) instead of evaluating now.",
)
def evaluate_command(today: dt.date, enqueue_link_check: bool, **link: Any) -> None:
    """Score every responsible unit and dataset (docs/evaluation.md) and
    keep today's snapshot per unit; a second run on a day replaces it.

    \b
    Daily at 03:30, links checked first (cached for --link-max-age days):
        30 3 * * *  ckan -c /etc/ckan/default/ckan.ini sdm evaluate --check-links
    or with the check as a background job (`ckan jobs worker sdm-links`):
        0 3 * * *   ckan -c /etc/ckan/default/ckan.ini sdm evaluate --enqueue-link-check
        30 4 * * *  ckan -c /etc/ckan/default/ckan.ini sdm evaluate
    """
    if enqueue_link_check:
        checker = link_checker({**link, "check_links": True})
        job = enqueue_link_check_for(checker)
        click.echo(f"link check queued: job {job.id} on {LINK_QUEUE}")
        return
    units = evaluate_site(today=today, checker=link_checker(link))
    for unit in units:
        found = unit.band
        click.echo(
            f"{unit.unit}: {unit.score if unit.score is not None else '-'} "
            f"({found.label['en'] if found else '-'}), {len(unit.datasets)} datasets, "
            f"{len(unit.overdue())} overdue"
        )
    click.echo(f"{len(units)} unit(s) evaluated for {today.isoformat()}")


cli.sdm.add_command(evaluate_command)  # `ckan sdm evaluate`, beside the group's other commands


def enqueue_link_check_for(checker: LinkChecker) -> Job:
    """The job for a checker's settings (the job rebuilds the checker)."""
    return enqueue_link_check(
        {
            "timeout": checker.timeout,
            "workers": checker.workers,
            "interval": checker.pace.interval,
            "limit": checker.limit,
            "max_age": checker.max_age,
            "allow_networks": list(checker.allow_networks),
        }
    )
