"""gather → fetch → map → validate → diff → store → load → report, per source.

Each source's items are mapped by the source, filtered, checked for
classification, validated with the schema's own validators and stored only
when their content hash changed.  Classified records stay home: their
content is never stored, loaded or published, only counted.  A full listing
withdraws what vanished upstream, unless the circuit breaker finds the run
untrustworthy.  With a load target, what changed in the store is then
loaded into it (sdm_harvester.targets).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Iterable, Sequence

from sdm_harvester import report as reports
from sdm_harvester import targets
from sdm_harvester.config import Config, Department, Source
from sdm_harvester.http import Fetcher, FetchError
from sdm_harvester.mapping import Mapper, selected
from sdm_harvester.safexml import UnsafeXML
from sdm_harvester.sources import harvester_for
from sdm_harvester.sources.base import (
    Broken,
    Context,
    Deleted,
    Harvester,
    Item,
    PageRange,
    Record,
    SourceError,
    Unchanged,
    Withheld,
)
from sdm_harvester.store import Busy, Incoming, LeaseLost, Store, now_iso
from sdm_harvester.units import Units
from sdm_schema import disclosure
from sdm_schema.errors import FieldError, Invalid
from sdm_schema.validation import Context as ValidationContext
from sdm_schema.validation import validate_record

log = logging.getLogger(__name__)

#: Records written per transaction: small enough that a killed run loses
#: little work, large enough that SQLite is not committing per record.
BATCH = 100
#: How far back an incremental harvest reaches before the last success, for
#: clocks that disagree and records modified during that run.
INCREMENTAL_OVERLAP = dt.timedelta(hours=1)
#: Why a failed source's run withdraws nothing (here, and when a job of it died).
SOURCE_FAILED = "the source failed, so absences prove nothing"
_NAME_MAX = 100

EXIT_OK, EXIT_PARTIAL, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3


def content_hash(dataset: dict) -> str:
    canonical = json.dumps(dataset, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_due(source: Source, state: dict | None, now: dt.datetime) -> bool:
    last = state and state.get("last_success")
    return not last or now - dt.datetime.fromisoformat(last) >= source.schedule


def _slug(text: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]+", "-", text.lower())).strip("-_")


def dataset_names(source: str, identifier: str, hint: str | None) -> tuple[str, str]:
    """A CKAN-valid name, stable for a record, and the one it takes instead
    when another record holds that (the store picks, `put_many`)."""
    digest = hashlib.sha1(f"{source}\n{identifier}".encode()).hexdigest()[:10]
    base = _slug(hint or identifier)
    name = f"{source}-{base}" if base and not re.search(r"[^\x00-\x7f]", hint or identifier) else f"{source}-{digest}"
    if len(name) > _NAME_MAX:
        name = f"{name[: _NAME_MAX - 11].rstrip('-_')}-{digest}"
    return name, f"{name[: _NAME_MAX - 11].rstrip('-_')}-{digest}"


_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def origin(source: Source, item: Record) -> str:
    """Where a record was first catalogued: what an upstream catalogue says,
    else the record's IRI, else the platform's address and its identifier
    there.  Every copy of the record, by whatever path, has the same."""
    data = item.data
    if data.get("origin"):
        return str(data["origin"])
    if data.get("uri"):
        return str(data["uri"])
    return item.identifier if _IRI.match(item.identifier) else f"{source.url}#{item.identifier}"


def hop(source: Source, identifier: str) -> dict:
    """This harvest, as a provenance entry: the catalogue read, the record's
    identifier there, and the harvesting unit (the source's department)."""
    return {
        "catalogue": source.url,
        "record": identifier,
        "unit": {"uscc": source.department.uscc, "title_translated": dict(source.department.name)},
    }


def _fetcher(store: Store, source: Source, deadline: float) -> Fetcher:
    """The source's fetcher; its credentials go to the source's origin only."""
    token, username = source.secret("token_env"), source.secret("username_env")
    return Fetcher(
        timeout=source.request_timeout,
        retries=source.retries,
        max_bytes=source.max_bytes,
        allow_hosts=source.allow_hosts,
        allow_networks=source.allow_networks,
        credentials={"Authorization": token} if token else {},
        basic_auth=(username, source.secret("password_env") or "") if username else None,
        base_url=source.url,
        cache=store,
        deadline=deadline,
    )


class _PageMemo:
    """The store's DCAT page memo, closed once the run met a record it must
    not keep: a memo lists a page's identifiers."""

    def __init__(self, store: Store, fetcher: Fetcher) -> None:
        self.store, self.fetcher = store, fetcher

    def page_memo(self, source: str, url: str) -> tuple[str, str | None, list] | None:
        return self.store.page_memo(source, url)

    def remember_page(
        self, source: str, url: str, digest: str, next_url: str | None, identifiers: Iterable[str]
    ) -> None:
        if not self.fetcher.tainted:
            self.store.remember_page(source, url, digest, next_url, identifiers)


@dataclass
class Options:
    full: bool = False
    force: bool = False
    only: Sequence[str] = ()
    progress: Callable[[str], None] = lambda message: None
    #: where the store's changes are loaded after each source (None: the store only)
    target: targets.Target | None = None
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    #: source name → a context manager holding the source's lease (a shared store), or None
    lease: Callable[[str], ContextManager] | None = None


class SourceRun:
    """One source harvested into the store."""

    def __init__(self, store: Store, source: Source, options: Options, known: Sequence[Department] = ()) -> None:
        self.store, self.source, self.options = store, source, options
        self.report = reports.SourceReport(source.name, source.type, source.url)
        self.seen: set[str] = set()
        #: identifiers the source says it deleted (OAI-PMH status="deleted")
        self.deleted: set[str] = set()
        #: classified or private records listed: only counted, never named,
        #: yet listed upstream all the same (the circuit breaker counts them)
        self.hidden = 0
        self.now = now_iso()
        self.units = Units(source.department, known)
        self.validation = ValidationContext(default_lang=source.default_language)
        #: records validated and not yet stored: written BATCH at a time (_flush)
        self.pending: list[Incoming] = []
        #: why nothing was withdrawn when the source failed
        self.failure_reason = SOURCE_FAILED
        self.fetcher: Fetcher | None = None  # open()'s

    def run(self) -> reports.SourceReport:
        """The whole source: read every page, then decide what it no longer lists."""
        self.read()
        return self.settle()

    def open(self, pages: PageRange | None = None) -> Harvester:
        """The source's harvester, reading `pages` only when given (a page
        job), with the run's fetcher and the store's marks; the clock starts."""
        report, source = self.report, self.source
        report.started, self.clock = report.started or self.now, time.monotonic()
        state = self.store.source_state(source.name)
        self.previous = self.store.active_count(source.name)
        since = None
        if source.options.get("incremental") and not self.options.full and state and state["last_success"]:
            since = dt.datetime.fromisoformat(state["last_success"]) - INCREMENTAL_OVERLAP
        self.deadline = self.clock + source.timeout
        self.fetcher = _fetcher(self.store, source, self.deadline)
        ctx = Context(
            source,
            self.fetcher,
            Mapper(source.mapping),
            self.store.modified_marks(source.name),
            since,
            lambda message: self.options.progress(f"{source.name}: {message}"),
            _PageMemo(self.store, self.fetcher),
            page_range=pages,
        )
        return harvester_for(ctx)

    def page_plan(self, per_job: int) -> list[PageRange]:
        """The source's listing cut into ranges of `per_job` pages, the last
        one open-ended (what is added meanwhile is read too); [] when the
        source's pages are not addressable up front, when it has no more
        than `per_job` pages, or when asking its size fails (the whole-source
        harvest then meets and reports that failure)."""
        try:
            size = self.open().listing_size()
        except Exception as error:  # the whole-source harvest meets it again, and reports it
            log.info("%s: not split: %s", self.source.name, error)
            return []
        finally:
            if self.fetcher is not None:
                self.fetcher.commit_cache()
        if size is None:
            self.report.warn(
                f"{self.source.name}: page_jobs: read as one job, as its listing is not paged by "
                "addresses known up front (OAI-PMH resumption tokens, DCAT hydra:next, a file)"
            )
            return []
        count, rows = size
        pages = -(-count // rows)
        if pages <= per_job:
            return []
        firsts = range(0, pages, per_job)
        return [PageRange(first, first + per_job - 1, count) for first in firsts[:-1]] + [
            PageRange(firsts[-1], None, count)
        ]

    def read(self, pages: PageRange | None = None) -> None:
        """Fetch, map, validate and store the source's records (those of
        `pages` only, for a page job); a failure is the report's."""
        report, source = self.report, self.source
        harvester = None
        try:
            harvester = self.open(pages)
            self._consume(harvester, self.deadline)
        except LeaseLost:  # another worker has the source now: stop writing at once
            raise
        except (SourceError, FetchError, UnsafeXML) as error:
            report.status = reports.FAILED
            report.add_error(f"{source.name}: {error}")
        except Exception as error:  # a bug in one source must not stop the others
            log.exception("source %s crashed", source.name)
            report.status = reports.FAILED
            report.add_error(f"{source.name}: internal error: {type(error).__name__}: {error}")
        if self.fetcher is not None:
            self.fetcher.commit_cache()
        if harvester is not None:
            for warning in harvester.warnings:
                report.warn(f"{source.name}: {warning}")
            report.add_unmapped(harvester.unmapped)
            report.full_listing = harvester.full_listing and report.status != reports.FAILED

    def page_part(self) -> dict:
        """What a page job hands the source's finishing job: its report and
        the identifiers it listed (marked seen in the store already)."""
        self.store.mark_seen(self.source.name, self.seen, self.now)
        self.report.finished = now_iso()
        self.report.duration_s = round(time.monotonic() - self.clock, 3)
        return {
            "report": dataclasses.asdict(self.report),
            "seen": sorted(self.seen),
            "deleted": sorted(self.deleted),
            "hidden": self.hidden,
        }

    def settle_pages(
        self, parts: Sequence[tuple[PageRange, dict | None, str]], previous: int, started: str
    ) -> reports.SourceReport:
        """The finishing job of a source read in page jobs: their reports
        merged into the source's, and what it no longer lists decided on
        the union of every page job's identifiers, as one job's run()
        would; a page job without a good result (failed, or lost) means no
        withdrawals this run, and the source fails, naming the range.
        `parts`: (range, the page job's part or None, its job's error)."""
        report = self.report
        failures = [failure for span, part, error in parts for failure in self._take_page(span, part, error)]
        report.errors[:0] = failures[: reports.MAX_DETAILS]
        del report.errors[reports.MAX_DETAILS :]
        if failures:
            report.status = reports.FAILED
            self.failure_reason = "a page job failed, so absences prove nothing"
        report.full_listing = not failures and all(part["report"]["full_listing"] for _, part, _ in parts)
        self.previous, report.started = previous, started
        self.clock = time.monotonic() - (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(started)).total_seconds()
        return self.settle(mark_seen=False)

    def _take_page(self, span: PageRange, part: dict | None, error: str) -> list[str]:
        """One page job's part added to the source's run; what failed in
        it, each naming the range ([] when it succeeded)."""
        name = self.source.name
        if part is None:  # it failed before handing one in (its lease busy or lost, the store unreachable)
            return [f"{name}: {span.label}: {error or 'no result: its worker died, or it failed before one'}"]
        page = reports.SourceReport(**part["report"])
        failures = []
        if page.status == reports.FAILED:
            failures = [f"{name}: {span.label}: {e.removeprefix(f'{name}: ')}" for e in page.errors]
            failures, page.errors = failures or [f"{name}: {span.label}: {error or 'failed'}"], []
        _absorb(self.report, page)
        self.seen.update(part["seen"])
        self.deleted.update(part["deleted"])
        self.hidden += part["hidden"]
        return failures

    def settle(self, mark_seen: bool = True) -> reports.SourceReport:
        """Withdraw what a full listing no longer holds (the circuit breaker
        permitting), load the target, and write the source's last run."""
        report, source = self.report, self.source
        with self.store.transaction():
            if mark_seen:
                self.store.mark_seen(source.name, self.seen, self.now)
            self._withdraw(self.previous)
        if self.options.target is not None:
            report.target = dict.fromkeys(reports.TARGET_COUNTS, 0)
            targets.sync(self.store, self.options.target, source.name, report)
        if report.status != reports.FAILED and (report.counts["failed"] or (report.target or {}).get("failed")):
            report.status = reports.PARTIAL
        report.finished = now_iso()
        report.duration_s = round(time.monotonic() - self.clock, 3)
        self.store.record_source_run(
            source.name,
            report.started,
            report.finished,
            report.status,
            report.counts,
            "; ".join(report.errors[:3]) or None,
        )
        return report

    def _consume(self, harvester: Harvester, deadline: float) -> None:
        # what was handled before a failure is whole: batches() keeps it
        with self.store.batches(BATCH) as tick:
            try:
                for item in harvester.items():
                    if time.monotonic() > deadline:
                        raise SourceError(f"time limit of {self.source.timeout:g} s reached")
                    self._isolated(item)
                    if len(self.pending) >= BATCH:
                        self._flush()
                    tick()
            finally:
                self._flush()

    def _flush(self) -> None:
        """Store the pending records in a few statements; should that fail,
        one at a time, so that a record the store refuses fails alone."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            results = self.store.put_many(self.source.name, pending, self.now)
        except LeaseLost:
            raise
        except Exception:
            log.warning("%s: %d records stored one at a time", self.source.name, len(pending), exc_info=True)
            results = [self._put_one(item) for item in pending]
        for result in results:
            if result:
                self.report.count(result)

    def _put_one(self, item: Incoming) -> str | None:
        try:
            return self.store.put_many(self.source.name, [item], self.now)[0]
        except LeaseLost:
            raise
        except Exception as error:
            log.exception("%s: record %s", self.source.name, item.identifier)
            self.report.add_failure(item.identifier, f"internal error: {type(error).__name__}: {error}")
            return None

    def _isolated(self, item: Item) -> None:
        """Handle one item; an exception fails that record only, named in
        the report, and never the page or the source."""
        try:
            self._handle(item)
        except Exception as error:  # a bug met by one record must not stop the others
            identifier = getattr(item, "identifier", None) or getattr(item, "where", "?")
            log.exception("%s: record %s", self.source.name, identifier)
            if isinstance(getattr(item, "identifier", None), str):
                self.seen.add(item.identifier)  # it exists upstream: do not withdraw it
            self.report.add_failure(identifier, f"internal error: {type(error).__name__}: {error}")

    def _handle(self, item: Item) -> None:
        report = self.report
        if isinstance(item, Unchanged):
            self.seen.add(item.identifier)
            report.count("unchanged")
        elif isinstance(item, Deleted):
            self.deleted.add(item.identifier)  # withdrawn in _withdraw, under the circuit breaker
        elif isinstance(item, Withheld) or (isinstance(item, Record) and disclosure.is_classified(item.data)):
            self._withhold(item)
        elif isinstance(item, Broken) and item.unidentified:
            # refused like an invalid record: it neither fails the run nor
            # holds back the circuit breaker (issue 14, defect 12)
            report.add_invalid(item.where, [FieldError("identifier", {"en": item.message})])
        elif isinstance(item, Broken):
            if item.identifier:
                self.seen.add(item.identifier)  # it exists upstream: do not withdraw it
            report.add_failure(item.identifier or item.where, item.message)
        elif item.identifier in self.seen:
            report.add_failure(item.identifier, "duplicate identifier in the listing; the first was kept")
        else:
            self._load(item)

    def _load(self, item: Record) -> None:
        report, source = self.report, self.source
        if not selected(item.identifier, item.data, source.include, source.exclude):
            report.count("excluded")
            return
        self.seen.add(item.identifier)
        data = dict(item.data)
        try:
            org, warning = self.units.resolve(data.pop("organization", None))
        except Invalid as error:
            report.add_invalid(item.identifier, [FieldError("owner_org", error.messages)])
            return
        if warning:
            report.warn(f"{source.name}: {item.identifier}: {warning}")
        data.update(
            origin=origin(source, item),
            owner_org=org["name"],
            provenance=[*(data.get("provenance") or ()), hop(source, item.identifier)],
        )
        clean, errors = validate_record(data, self.validation, lenient=True)
        if errors:
            report.add_invalid(item.identifier, errors)
            return
        report.add_flags(item.identifier, org["name"], clean.get("quality_flags") or ())
        names = dataset_names(source.name, item.identifier, item.data.get("name"))
        clean.update(name=names[0], owner_org=org["name"], organization=org)
        self.pending.append(Incoming(item.identifier, names, clean, content_hash(clean), item.modified))

    def _withhold(self, item: Record | Withheld) -> None:
        """A classified record, or one the platform keeps private: nothing of
        it is kept, not its identifier, not even in the log or the HTTP cache;
        only the count.  A copy held from when it was public is withdrawn."""
        self.fetcher.taint()
        kind = "private" if isinstance(item, Withheld) else "classified"
        self.hidden += 1
        self.report.count(kind)
        self.report.count("withdrawn", self.store.withdraw_hidden(self.source.name, item.identifier, self.now))
        log.info("%s: a %s record stays home", self.source.name, kind)

    def _withdraw(self, previous: int) -> None:
        report, source = self.report, self.source
        withdrawal = report.withdrawal
        if report.status == reports.FAILED:
            withdrawal["reason"] = self.failure_reason
            return
        # records the source deleted count like records that vanished: one
        # run may not withdraw more than the breaker allows, whichever way
        deleted = [i for i in self.store.missing(source.name, self.seen) if i in self.deleted]
        missing = self.store.missing(source.name, self.seen) if report.full_listing else deleted
        withdrawal["missing"], withdrawal["deleted"] = len(missing), len(deleted)
        if not report.full_listing and not deleted:
            withdrawal["reason"] = "incremental harvest: records not listed were not withdrawn"
            return
        if not missing:
            return
        if report.counts["failed"]:
            withdrawal["reason"] = f"circuit breaker: {report.counts['failed']} records could not be read"
            return
        listed, share = len(self.seen) + self.hidden, source.withdraw_threshold
        if (report.full_listing and listed < share * previous) or previous - len(missing) < share * previous:
            withdrawal["reason"] = (
                f"circuit breaker: the run would withdraw {len(missing)} of the {previous} records held "
                f"({len(deleted)} deleted upstream, {listed} listed), leaving fewer than {share:.0%}; "
                "nothing withdrawn"
            )
            return
        report.count("withdrawn", self.store.withdraw(source.name, missing, self.now))
        withdrawal["applied"] = True


def _absorb(report: reports.SourceReport, page: reports.SourceReport) -> None:
    """A page job's report added into its source's: counts summed, the
    details (records named, capped as one report caps them) joined."""
    for key, n in page.counts.items():
        report.count(key, n)
    for detail in ("invalid", "errors", "flagged"):
        getattr(report, detail).extend(getattr(page, detail)[: reports.MAX_DETAILS - len(getattr(report, detail))])
    for warning in page.warnings:
        report.warn(warning)
    for tally in ("flag_counts", "flagged_by_department", "unmapped"):
        mine = getattr(report, tally)
        for key, n in getattr(page, tally).items():
            mine[key] = mine.get(key, 0) + n


def run(config: Config, store: Store, run_id: int, options: Options) -> reports.RunReport:
    """Harvest every due source (or those in options.only, due or not)."""
    report = reports.RunReport(run_id=run_id, data_dir=store.data_dir, started=now_iso())
    now = options.now()
    for source in config.sources:
        if options.only and source.name not in options.only:
            continue
        if not (options.force or options.only) and not is_due(source, store.source_state(source.name), now):
            skipped = reports.SourceReport(source.name, source.type, source.url, status=reports.SKIPPED)
            skipped.withdrawal["reason"] = "not due by its schedule"
            report.sources.append(skipped)
            continue
        options.progress(f"{source.name}: harvesting {source.url}")
        known = [s.department for s in config.sources]
        try:
            with options.lease(source.name) if options.lease else contextlib.nullcontext():
                report.sources.append(SourceRun(store, source, options, known).run())
        except Busy as busy:
            skipped = reports.SourceReport(source.name, source.type, source.url, status=reports.SKIPPED)
            skipped.withdrawal["reason"] = str(busy)
            report.sources.append(skipped)
    store.prune_cache()
    report.finished = now_iso()
    report.duration_s = round(time.monotonic() - report._clock, 3)
    troubled = [s for s in report.sources if s.status in (reports.FAILED, reports.PARTIAL)]
    report.exit_code = EXIT_PARTIAL if troubled else EXIT_OK
    return report
