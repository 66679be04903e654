"""Harvesting on many workers: rq jobs per source (or per range of a large
source's pages), over Redis, into one shared store.

CKAN's own background jobs run on rq over Redis, and every CKAN site has
Redis and PostgreSQL already, so the harvester scales on those rather than
on a scheduler of its own:

* `enqueue()` puts each due source on the `sdm-harvest` queue, once: a
  Redis key per source (SET NX) marks it queued until its job is done, so
  two enqueues at once queue each source once;
* `harvest_job()` runs one source (the same `pipeline.SourceRun` as
  `sdm-harvest run`) under a `Lease` in the shared store: a source is never
  harvested twice at once, across machines, and every transaction renews the
  lease, so a worker that lost it writes nothing more;
* a worker that dies (SIGKILL, a lost machine) stops heartbeating; its
  job's entry in rq's started registry expires, the next worker's
  maintenance retries the job (rq `Retry`, with backoff), and the new
  attempt takes the lease once the dead holder's has run out.  What the
  dead worker committed is whole records; the retry finds them unchanged;
* a source that fails is retried the same way, and after the last attempt
  stays in rq's failed registry, listed by `sdm-harvest status`.  A job
  whose worker (or own process) dies on its last attempt is failed by rq
  without running any of ours, so its failure callback (`job_failed`) and
  the worker's handler (`horse_killed`) do what the job would have: record
  its source as failed, unmark it and close the run;
* a source whose listing has more pages than its `page_jobs` (else
  enqueue's `page_jobs`), and whose pages are addressable up front (a
  CKAN API source: `Harvester.listing_size`), is not read by its job: the
  job queues `harvest_pages_job` per range of pages and `finish_pages_job`
  to run once all of them have ended, and hands them the source's lease
  (`split_holder`).  Each page job reads its range with the same
  `pipeline.SourceRun` under a lease of its own (`page_lease`) and hands
  its report and the identifiers it listed to the store; only the
  finishing job decides what the source no longer lists, from the union
  of them, and none when a page job failed;
* each job stores its source's report in the run it belongs to; the job
  that completes the run merges them into the run's report and, when the
  run asked for it, queues `publish_job()` on the `sdm-publish` queue, for
  the worker on the machine that serves the feeds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import shutil
from typing import TYPE_CHECKING, Iterable, Sequence

from sdm_harvester import config as configuration
from sdm_harvester import pipeline, targets
from sdm_harvester import report as reports
from sdm_harvester.sources.base import PageRange
from sdm_harvester.store import LEASE_TTL, Busy, Lease, LeaseLost, Store, holder_name, now_iso

if TYPE_CHECKING:  # imported where used: a harvester without workers needs neither
    from redis import Redis
    from rq import Queue, Worker
    from rq.job import Job

log = logging.getLogger(__name__)

QUEUE = "sdm-harvest"
PUBLISH_QUEUE = "sdm-publish"
REDIS_ENV = "SDM_REDIS"
DATA_DIR_ENV = "SDM_DATA_DIR"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
#: Attempts after the first, and the seconds before each (rq Retry).
RETRIES = 3
BACKOFF = (60, 300, 900)


class SourceFailed(RuntimeError):
    """The source failed; rq retries the job, then keeps it as failed."""


def redis_connection(url: str | None = None) -> Redis:
    from redis import Redis

    return Redis.from_url(url or os.environ.get(REDIS_ENV) or DEFAULT_REDIS)


def pending_key(source: str) -> str:
    return f"sdm-harvest:pending:{source}"


# -- enqueue -------------------------------------------------------------------


def due_sources(config: configuration.Config, store: Store, force: bool, only: Sequence[str]) -> list:
    now = dt.datetime.now(dt.UTC)
    return [
        s
        for s in config.sources
        if (not only or s.name in only) and (force or only or pipeline.is_due(s, store.source_state(s.name), now))
    ]


def enqueue(
    config_path: str,
    store: Store,
    redis: Redis,
    *,
    force: bool = False,
    only: Sequence[str] = (),
    full: bool = False,
    lease_ttl: float = LEASE_TTL,
    retries: int = RETRIES,
    backoff: Sequence[int] = BACKOFF,
    publish: dict | None = None,
    target: dict | None = None,
    page_jobs: int = 0,
) -> dict:
    """Queue every due source once, as one run; {run_id, queued, already_queued}.
    `target` ({kind, url, token_env}, never the token) is loaded by each
    worker, as `run --target` does.  `page_jobs`: pages a job for the
    sources that leave it unset (their `page_jobs`), 0 one job a source."""
    from rq import Queue

    config = configuration.load(config_path)
    due = due_sources(config, store, force, only)
    run_id = store.start_run(now_iso())
    marker_ttl = int(sum(backoff) + (retries + 2) * (max((s.timeout for s in due), default=0) + 2 * lease_ttl))
    claimed = [s for s in due if redis.set(pending_key(s.name), run_id, nx=True, ex=max(marker_ttl, 60))]
    store.expect_sources(run_id, [s.name for s in claimed])
    queue = Queue(QUEUE, connection=redis)
    for source in claimed:
        queue.enqueue(
            harvest_job,
            job_id=f"sdm-harvest.{run_id}.{source.name}",
            description=f"harvest {source.name}",
            kwargs={
                "config_path": os.path.abspath(config_path),
                "source_name": source.name,
                "store_url": job_store_url(store.url),
                "data_dir": os.path.abspath(store.data_dir),
                "run_id": run_id,
                "full": full,
                "lease_ttl": lease_ttl,
                "publish": publish,
                "target": target,
                "page_jobs": page_jobs,
                "retries": retries,
                "backoff": list(backoff),
            },
            on_failure=job_failed,
            **_source_job_options(source, lease_ttl, retries, backoff),
        )
    if not claimed:
        finalize(store, run_id, config.keep_reports)
    return {
        "run_id": run_id,
        "queued": [s.name for s in claimed],
        "already_queued": [s.name for s in due if s not in claimed],
    }


def _source_job_options(source: configuration.Source, lease_ttl: float, retries: int, backoff: Sequence[int]) -> dict:
    """How rq keeps and retries every job of a source (its source job, page
    jobs and finishing job): long enough for the source's deadline and two
    lease lifetimes, retried with backoff."""
    from rq import Retry

    return {
        "job_timeout": int(source.timeout + 2 * lease_ttl + 60),
        "result_ttl": 7 * 86400,
        "failure_ttl": 30 * 86400,
        "retry": Retry(max=retries, interval=list(backoff)) if retries else None,
    }


def job_store_url(url: str) -> str:
    """The store's URL as jobs carry it through Redis: without its password,
    which each worker takes from its own ~/.pgpass or $PGPASSWORD."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    return parsed._replace(password=None).render_as_string(hide_password=False) if parsed.password else url


# -- jobs ----------------------------------------------------------------------


def harvest_job(
    config_path: str,
    source_name: str,
    store_url: str,
    data_dir: str,
    run_id: int,
    full: bool = False,
    lease_ttl: float = LEASE_TTL,
    publish: dict | None = None,
    target: dict | None = None,
    page_jobs: int = 0,
    retries: int = RETRIES,
    backoff: Sequence[int] = BACKOFF,
) -> dict:
    """One source, harvested by whichever worker took the job (and loaded
    into `target`, with the token of the worker's own environment) — or,
    when its listing has more pages than the source's `page_jobs` (unset:
    this job's `page_jobs`) and they are addressable up front, queued as
    page jobs and a finishing job (`_split`), which then own the source's run."""
    from rq import get_current_job

    job = get_current_job()
    final = job is None or not job.retries_left
    spec = JobSpec(config_path, source_name, store_url, data_dir, run_id, full, lease_ttl, publish, target)
    try:
        result = _harvest(spec, job, page_jobs, retries, backoff)
    except BaseException:
        if final:  # no attempt follows: the source may be queued again
            _unmark(job, source_name)
        raise
    if isinstance(result, dict):  # page jobs queued: the finishing job unmarks the source
        return result
    if result.status != reports.FAILED or final:
        _unmark(job, source_name)
    if result.status == reports.FAILED:
        raise SourceFailed(f"source {source_name}: " + "; ".join(result.errors[:3]))
    return {"source": source_name, "status": result.status, "counts": result.counts}


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """What every job of a source carries: where the configuration, the
    store and this run are (plain values: rq pickles them into Redis)."""

    config_path: str
    source_name: str
    store_url: str
    data_dir: str
    run_id: int
    full: bool = False
    lease_ttl: float = LEASE_TTL
    publish: dict | None = None
    target: dict | None = None

    def open(self) -> tuple[configuration.Config, configuration.Source, Store]:
        """The configuration, the source and the store, on this worker
        (reports and the HTTP log go to its own data directory, if it has one)."""
        config = configuration.load(self.config_path)
        return config, config.source(self.source_name), Store(self.data_dir_here, url=self.store_url)

    @property
    def data_dir_here(self) -> str:
        return os.environ.get(DATA_DIR_ENV) or self.data_dir

    def source_run(
        self, store: Store, config: configuration.Config, load: targets.Target | None = None
    ) -> pipeline.SourceRun:
        options = pipeline.Options(full=self.full, force=True, progress=log.info, target=load)
        source = config.source(self.source_name)
        return pipeline.SourceRun(store, source, options, [s.department for s in config.sources])

    def job_id(self, part: str = "") -> str:
        return f"sdm-harvest.{self.run_id}.{self.source_name}" + (f".{part}" if part else "")


def _harvest(
    spec: JobSpec, job: Job | None, page_jobs: int, retries: int, backoff: Sequence[int]
) -> reports.SourceReport | dict:
    config = configuration.load(spec.config_path)
    source = config.source(spec.source_name)
    load = targets.from_options(**spec.target) if spec.target else None  # no token here: fail before taking the source
    if job is not None and _split_queued(job, spec):  # this job queued them, then died
        return {"source": source.name, "status": "split", "finish": spec.job_id("finish")}
    per_job = source.page_jobs if source.page_jobs is not None else page_jobs
    store = Store(spec.data_dir_here, url=spec.store_url)
    try:
        holder = holder_name(job.id if job else "")
        with Lease(store, source.name, holder, spec.lease_ttl):
            run = spec.source_run(store, config, load)
            plan = run.page_plan(per_job) if per_job and job is not None else []
            if plan:
                return _split(job, store, spec, run, plan, holder, retries, backoff)
            result = run.run()
            store.record_part(spec.run_id, source.name, dataclasses.asdict(result))
        finalize(store, spec.run_id, config.keep_reports, spec.publish)
    finally:
        store.close()
    return result


# -- page jobs -----------------------------------------------------------------


def split_holder(spec: JobSpec) -> str:
    """Who holds a source's lease while its page jobs run: all of them in turn."""
    return f"pages:{spec.run_id}:{spec.source_name}"


def _split_queued(job: Job, spec: JobSpec) -> bool:
    from rq.job import Job as RqJob

    return RqJob.exists(spec.job_id("finish"), connection=job.connection)


def _split(
    job: Job,
    store: Store,
    spec: JobSpec,
    run: pipeline.SourceRun,
    plan: Sequence[PageRange],
    holder: str,
    retries: int,
    backoff: Sequence[int],
) -> dict:
    """Queue a job per range of pages and one finishing job that rq starts
    once all of them have ended, succeeded or failed (`depends_on`, failures
    allowed: the finishing job then records the source as failed); the
    source's lease passes to them, with no moment at which it is free."""
    from rq import Queue
    from rq.job import Dependency
    from rq.job import Job as RqJob

    source = run.source
    shared = split_holder(spec)
    if not store.hand_over_lease(source.name, holder, shared, spec.lease_ttl):
        raise LeaseLost(f"source {source.name}: the lease was lost before its page jobs were queued")
    options = _source_job_options(source, spec.lease_ttl, retries, backoff)
    # the source stays marked queued while its page jobs wait and run
    attempts = (len(plan) + 1) * (retries + 1) * (source.timeout + 2 * spec.lease_ttl)
    job.connection.expire(pending_key(source.name), int(attempts + sum(backoff) + 3600))
    queue = Queue(QUEUE, connection=job.connection)
    common = {"spec": dataclasses.asdict(spec), "holder": shared}
    ids = []
    for span in plan:
        ids.append(spec.job_id(f"pages-{span.first + 1}"))
        if not RqJob.exists(ids[-1], connection=job.connection):
            queue.enqueue(
                harvest_pages_job,
                kwargs=dict(common, span=dataclasses.astuple(span)),
                job_id=ids[-1],
                description=f"harvest {source.name} {span.label}",
                on_failure=job_failed,
                **options,
            )
    queue.enqueue(
        finish_pages_job,
        kwargs=dict(
            common,
            spans=[dataclasses.astuple(span) for span in plan],
            jobs=ids,
            previous=run.previous,
            started=run.report.started,
        ),
        job_id=spec.job_id("finish"),
        description=f"harvest {source.name}: merge {len(plan)} page jobs",
        depends_on=Dependency(jobs=ids, allow_failure=True),
        on_failure=job_failed,
        **options,
    )
    log.info("%s: %d records listed, queued as %d page jobs", source.name, plan[0].count, len(plan))
    return {"source": source.name, "status": "split", "page_jobs": ids, "finish": spec.job_id("finish")}


def job_failed(job: Job, connection: Redis, kind: type, value: BaseException, *_: object) -> None:
    """rq's failure callback (`on_failure`) of every job of a source, on
    its last attempt.  A job whose worker died is failed by rq's registry
    clean-up without running any of our code: `_died` does what the job
    would have done, and a page job's finishing job is started all the
    same (once its other page jobs have ended), which then records the
    range as failed and decides no withdrawals.  A source job or finishing
    job that raised before handing its part of the run in (the source's
    lease busy or lost, the store unreachable) gets its part recorded here."""
    from rq import Queue
    from rq.exceptions import AbandonedJobError
    from rq.job import JobStatus

    if job.retries_left:
        return
    if kind is AbandonedJobError:
        if job.func_name == f"{__name__}.harvest_pages_job":
            job.set_status(JobStatus.FAILED)  # before its dependents look at it
            Queue(job.origin, connection=connection).enqueue_dependents(job)
        _died(job, "its heartbeat stopped")
    elif job.func_name in PART_JOBS:
        try:
            _close_part(job, f"{kind.__name__}: {value}", only_missing=True)
        except Exception:  # raised here, it would stand in rq for the job's own error
            log.exception("job %s: its failure could not be recorded", job.id)


def horse_killed(job: Job, _pid: int, status: int, _usage: object) -> None:
    """The worker's `work_horse_killed_handler`: the process running the
    job died (SIGKILL, the kernel's OOM killer) while its worker lived.
    rq then fails or retries the job, and starts a failed page job's
    dependents itself, yet runs no failure callback."""
    if not job.retries_left:
        ended = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"status {status}"
        _died(job, f"its process ended ({ended})")


def _died(job: Job, how: str) -> None:
    """A job's last attempt died: its error kept on the job (rq's own names
    no source; `status` lists it and a finishing job reports it), and a
    source job's or finishing job's part of the run recorded as failed
    (`_close_part`), or a page job's lease on its range released.  Never
    raises: rq's clean-up would stop half-way."""
    error = f"worker died during the last attempt: job {job.id} on worker {job.worker_name or 'unknown'} ({how})"
    try:
        job.meta["error"] = error
        job.save_meta()
        if job.func_name in PART_JOBS:
            _close_part(job, error)
        elif job.func_name == f"{__name__}.harvest_pages_job":
            _release_page_lease(job)
    except Exception:
        log.exception("job %s: its death could not be recorded", job.id)


#: The jobs that hand a source's part of the run in (not page jobs).
PART_JOBS = (f"{__name__}.harvest_job", f"{__name__}.finish_pages_job")


def _close_part(job: Job, error: str, only_missing: bool = False) -> None:
    """The source's part of the run recorded as failed with `error` (and
    its last run), its lease released, the source unmarked so that it can
    be queued again, and the run closed if it was the last one out — what
    the job itself does when it fails.  A source job that had queued its
    page jobs leaves this to its finishing job; `only_missing`: nothing
    when the job handed a part in (a source that failed does)."""
    kwargs = job.kwargs
    if "spec" in kwargs:  # a finishing job
        spec, holder = JobSpec(**kwargs["spec"]), kwargs["holder"]
    else:
        spec = JobSpec(**{f.name: kwargs[f.name] for f in dataclasses.fields(JobSpec) if f.name in kwargs})
        if _split_queued(job, spec):
            return
        holder = None
    config, source, store = spec.open()
    try:
        if only_missing and store.parts(spec.run_id).get(source.name) is not None:
            return
        finished = now_iso()
        message = f"{source.name}: {error}"
        failed = reports.SourceReport(source.name, source.type, source.url, reports.FAILED, finished, finished)
        failed.errors.append(message)
        failed.withdrawal["reason"] = pipeline.SOURCE_FAILED
        store.record_source_run(source.name, finished, finished, reports.FAILED, failed.counts, message)
        store.record_part(spec.run_id, source.name, dataclasses.asdict(failed))
        _release_dead(store, source.name, job, holder or store.lease_holder(source.name), split_holder(spec))
        finalize(store, spec.run_id, config.keep_reports, spec.publish)
    finally:
        store.close()
    _unmark(job, source.name)


def _release_dead(store: Store, name: str, job: Job, holder: str | None, also: str | None = None) -> None:
    """Release lease `name` if `holder` is the dead `job`'s (or `also`), so
    that it does not run on, as if the job lived, until its time is out."""
    if holder and (holder == also or holder.endswith(f":{job.id}")):
        store.release_lease(name, holder)


def _release_page_lease(job: Job) -> None:
    """A page job whose last attempt died: its range's lease released."""
    spec, span = JobSpec(**job.kwargs["spec"]), PageRange(*job.kwargs["span"])
    _config, source, store = spec.open()
    try:
        name = page_lease(source.name, span)
        _release_dead(store, name, job, store.lease_holder(name))
    finally:
        store.close()


def page_lease(source: str, span: PageRange) -> str:
    """A page job's own lease: its range of its source (`status` lists it)."""
    return f"{source}#{span.label}"


def harvest_pages_job(spec: dict, holder: str, span: Sequence) -> dict:
    """One range of a source's pages, read, mapped, validated and stored
    by the same SourceRun as a whole source, under the source's shared
    lease and a lease of its own; its part (report and identifiers listed)
    goes to the store for the finishing job.  A failure raises, so that rq
    retries the range like a source."""
    from rq import get_current_job

    job, job_spec, pages = get_current_job(), JobSpec(**spec), PageRange(*span)
    config, source, store = job_spec.open()
    try:
        with Lease(store, source.name, holder, job_spec.lease_ttl, release=False):
            with Lease(store, page_lease(source.name, pages), holder_name(job.id if job else ""), job_spec.lease_ttl):
                run = job_spec.source_run(store, config)
                run.read(pages)
                store.record_part(job_spec.run_id, f"{source.name}#{pages.first}", run.page_part())
    finally:
        store.close()
    report = run.report
    if report.status == reports.FAILED:
        raise SourceFailed(f"source {source.name} {pages.label}: " + "; ".join(report.errors[:3]))
    return {"source": source.name, "pages": pages.label, "status": report.status, "counts": report.counts}


def finish_pages_job(
    spec: dict, holder: str, spans: Sequence, jobs: Sequence[str], previous: int, started: str
) -> dict:
    """Once every page job of a source has ended: what the source no longer
    lists decided on the union of their identifiers (none when one failed),
    the target loaded, the source's last run and its part of the run
    written, the run closed if it was the last, and the source released."""
    from rq import get_current_job

    job, job_spec = get_current_job(), JobSpec(**spec)
    final = job is None or not job.retries_left
    try:
        config, source, store = job_spec.open()
        load = targets.from_options(**job_spec.target) if job_spec.target else None
        try:
            with Lease(store, source.name, holder, job_spec.lease_ttl):
                held = store.page_parts(job_spec.run_id, source.name)
                parts = [
                    (span, held.get(span.first), _job_error(job, job_id))
                    for span, job_id in zip(map(lambda s: PageRange(*s), spans), jobs, strict=True)
                ]
                result = job_spec.source_run(store, config, load).settle_pages(parts, previous, started)
                store.record_part(job_spec.run_id, source.name, dataclasses.asdict(result))
            finalize(store, job_spec.run_id, config.keep_reports, job_spec.publish)
        finally:
            store.close()
    except BaseException:
        if final:
            _unmark(job, job_spec.source_name)
        raise
    _unmark(job, job_spec.source_name)
    return {"source": source.name, "status": result.status, "counts": result.counts}


def _job_error(job: Job | None, job_id: str) -> str:
    """The last line of a failed job's error, for the report and `status`."""
    from rq.job import Job as RqJob

    if job is None:
        return ""
    try:
        other = RqJob.fetch(job_id, connection=job.connection)
    except Exception:  # expired, or never queued
        return "its job was lost"
    return _last_error(other)


def _last_error(job: Job) -> str:
    """Why a job failed: the error `_died` kept when its worker died, else
    the last line of what rq kept (the exception)."""
    lines = (job.exc_info or "").strip().splitlines()
    return job.meta.get("error") or (lines[-1] if lines else "")


def _unmark(job: Job | None, source_name: str) -> None:
    if job is not None:
        job.connection.delete(pending_key(source_name))


def merged_report(store: Store, run_id: int) -> reports.RunReport | None:
    """The run's report from every worker's part, once every part is in."""
    parts = store.parts(run_id)
    if any(part is None for part in parts.values()):
        return None
    started = store.run_started(run_id) or now_iso()
    result = reports.RunReport(run_id=run_id, data_dir=store.data_dir, started=started)
    result.sources = [reports.SourceReport(**part) for _, part in sorted(parts.items())]
    result.finished = max((s.finished for s in result.sources if s.finished), default=now_iso())
    troubled = [s for s in result.sources if s.status in (reports.FAILED, reports.PARTIAL)]
    result.exit_code = pipeline.EXIT_PARTIAL if troubled else pipeline.EXIT_OK
    result.duration_s = (
        dt.datetime.fromisoformat(result.finished) - dt.datetime.fromisoformat(started)
    ).total_seconds()
    return result


def finalize(store: Store, run_id: int, keep: int, publish: dict | None = None) -> bool:
    """Close the run when its last source is in: the merged report in the
    store and the data directory, and the feeds' job queued.  Every job
    calls it; a later retry closes it again with its newer part."""
    result = merged_report(store, run_id)
    if result is None:
        return False
    try:
        reports.write(result, store.data_dir, keep)
    except OSError as error:  # the store has the report all the same
        log.warning("run %s: report not written to %s: %s", run_id, store.data_dir, error)
    store.finish_run(run_id, result.finished, result.exit_code, result.to_dict(), keep)
    if publish:
        from rq import Queue

        Queue(PUBLISH_QUEUE, connection=redis_connection(publish.get("redis"))).enqueue(
            publish_job,
            kwargs={"store_url": store.url, "data_dir": store.data_dir, **publish},
            job_id=f"sdm-publish.{run_id}",
            description=f"publish run {run_id}",
            result_ttl=7 * 86400,
        )
    return True


def publish_job(
    store_url: str,
    data_dir: str,
    out: str,
    base_url: str,
    feeds_url: str | None = None,
    page_size: int = 1000,
    redis: str | None = None,
    split: int = 1,
) -> dict:
    """Write the feeds from the shared store, one publisher at a time per
    folder (the feeds swap in whole, publish.py); with `split` > 1, queue
    the publish as that many slice jobs and one job that assembles them
    (`split_publish`)."""
    from sdm_harvester.publish import publish_store

    store = Store(data_dir, url=store_url)
    try:
        if split > 1:
            connection = redis_connection(redis)
            try:
                return split_publish(store, connection, out, base_url, feeds_url, page_size, split, wait=0)
            except Busy:  # a split publish of the folder is under way: this one follows it
                kwargs = {"store_url": store_url, "data_dir": data_dir, "out": out, "base_url": base_url}
                kwargs.update(feeds_url=feeds_url, page_size=page_size, redis=redis, split=split)
                return _after_running_publish(store, connection, out, kwargs)
        with Lease(store, publish_lease(out), holder_name()):
            summary = publish_store(store, data_dir, out, base_url, feeds_url, page_size)
    finally:
        store.close()
    return {feed: counts for feed, counts in summary.items() if feed != "skipped"}


#: Seconds the lease of a split publish runs between two of its jobs' renewals.
PUBLISH_LEASE_TTL = 300.0
#: Seconds a slice or the assembly may take before rq stops it.
PUBLISH_JOB_TIMEOUT = 6 * 3600


def publish_lease(out: str) -> str:
    return f"publish:{os.path.abspath(out)}"


def split_publish(
    store: Store,
    redis: Redis,
    out: str,
    base_url: str,
    feeds_url: str | None = None,
    page_size: int = 1000,
    slices: int = 2,
    register_url: str | None = None,
    full: bool = False,
    lease_ttl: float = PUBLISH_LEASE_TTL,
    wait: float | None = None,
) -> dict:
    """Queue a publish as jobs on the sdm-publish queue: one per contiguous
    slice of the store (publish_slice_job: map and render), and one that
    depends on all of them (publish_assemble_job: cut the pages, swap the
    feeds in).  The folder's publish lease is taken here and held by the
    jobs in turn until the assembly ends (taking it waits `wait` seconds,
    by default two lifetimes, then raises Busy); a slice that fails releases
    it, the assembly never runs and the old feeds stay as they were.
    {"slices", "assemble": job id}."""
    import uuid

    from rq import Queue

    from sdm_harvester import publish as publishing

    publish_id = f"split-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    lease, holder = publish_lease(out), f"{holder_name()}{publish_id}"
    with Lease(store, lease, holder, lease_ttl, wait=wait, release=False):
        info, index_dir = publishing.store_catalogue(store.data_dir, base_url, register_url, full)
        job = publishing.settings(out, page_size, info, feeds_url, dt.date.today(), index_dir)
        stage = publishing.staging_folder(out, publish_id)
        _clear_stale_stages(os.path.dirname(stage))
        starts = store.slice_starts(slices) or [None]
        common = {
            "spec": job.spec(),
            "store_url": job_store_url(store.url),
            "data_dir": os.path.abspath(store.data_dir),
            "lease": [lease, holder, lease_ttl],
        }
        folders = [publishing.chunk_folder(stage, n) for n in range(len(starts))]
        queue = Queue(PUBLISH_QUEUE, connection=redis)
        options = {"job_timeout": PUBLISH_JOB_TIMEOUT, "result_ttl": 7 * 86400, "failure_ttl": 30 * 86400}
        jobs = [
            queue.enqueue(
                publish_slice_job,
                kwargs=dict(common, folder=folder, start=start, stop=stop),
                job_id=f"sdm-publish.{publish_id}.slice-{n + 1}",
                description=f"publish {out}: slice {n + 1} of {len(starts)}",
                **options,
            )
            for n, (folder, start, stop) in enumerate(zip(folders, starts, [*starts[1:], None], strict=True))
        ]
        assembly = queue.enqueue(
            publish_assemble_job,
            kwargs=dict(common, stage=stage, folders=folders),
            job_id=f"sdm-publish.{publish_id}.assemble",
            description=f"publish {out}: assemble {len(starts)} slice(s)",
            depends_on=jobs,
            **options,
        )
    return {"slices": len(jobs), "assemble": assembly.id, "stage": stage}


def _after_running_publish(store: Store, redis: Redis, out: str, kwargs: dict) -> dict:
    """Queue the publish again, to start when the split publish that holds
    the folder's lease has been assembled; a worker never waits on a lease
    the jobs queued behind it would release.  A publish of one process holds
    it: wait for that one, as a publish does."""
    from rq import Queue

    holder = store.lease_holder(publish_lease(out)) or ""
    publish_id = holder.rpartition(":")[2]
    if not publish_id.startswith("split-"):
        return split_publish(
            store, redis, out, kwargs["base_url"], kwargs["feeds_url"], kwargs["page_size"], kwargs["split"]
        )
    later = Queue(PUBLISH_QUEUE, connection=redis).enqueue(
        publish_job,
        kwargs=kwargs,
        depends_on=[f"sdm-publish.{publish_id}.assemble"],
        description=f"publish {out} after {publish_id}",
        result_ttl=7 * 86400,
    )
    return {"after": publish_id, "queued": later.id}


def _clear_stale_stages(root: str) -> None:
    """What split publishes that failed left (the lease is ours: none runs)."""
    if os.path.isdir(root):
        for entry in os.scandir(root):
            if entry.name.startswith("split-"):
                shutil.rmtree(entry.path, ignore_errors=True)


def publish_slice_job(
    spec: dict,
    store_url: str,
    data_dir: str,
    lease: list,
    folder: str,
    start: list | None = None,
    stop: list | None = None,
) -> dict:
    """Map and render one slice of the store into its staging folder, under
    the split publish's lease; {feed: entries}.  On failure the lease is
    released: the publish cannot finish, the next one may start."""
    from sdm_harvester.publish import Settings, indexed, render_slice, store_records

    store = Store(data_dir, url=store_url)
    name, holder, ttl = lease
    try:
        if not store.renew_lease(name, holder, ttl):  # a slice failed, or the lease ran out: given up
            raise RuntimeError(f"publish of {spec['out_dir']}: abandoned (its lease {holder} is gone)")
        with Lease(store, name, holder, ttl, wait=0, release=False):
            job = Settings.from_spec(spec)  # keyed as publish_store keys them: the same index serves both
            records = store_records(store, data_dir, start, stop, lazy=indexed(job.index_dir))
            return render_slice(job, records, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        if store.lease_holder(name) == holder:
            store.release_lease(name, holder)
        raise
    finally:
        store.close()


def publish_assemble_job(spec: dict, store_url: str, data_dir: str, lease: list, stage: str, folders: list) -> dict:
    """Once every slice is rendered: each feed's pages cut and the feeds
    swapped in (publish.assemble), then the lease released."""
    from sdm_harvester.publish import Settings, assemble, remove_stage, rendered_slices

    store = Store(data_dir, url=store_url)
    name, holder, ttl = lease
    job = Settings.from_spec(spec)
    try:
        with job.previous() as previous, Lease(store, name, holder, ttl, wait=0):
            summary = assemble(job, rendered_slices(folders), previous)
    finally:
        remove_stage(stage)
        store.close()
    skipped = summary.pop("skipped")
    return {**summary, "skipped": len(skipped)}


# -- workers -------------------------------------------------------------------


def worker_class() -> type[Worker]:
    from rq import Worker

    class HarvestWorker(Worker):
        """rq's worker, with a dead worker's jobs noticed after a few missed
        heartbeats rather than rq's fixed minute."""

        def get_heartbeat_ttl(self, job: Job) -> int:
            interval = self.job_monitoring_interval
            if job.timeout and job.timeout > 0:
                interval = max(1, min(job.timeout - self.current_job_working_time, interval))
            return int(interval + 2 * self.job_monitoring_interval)

    return HarvestWorker


def _preload() -> None:
    """Import every source type, the publisher and PostgreSQL's driver, and
    read the schema's files and opencc's dictionaries, once, before rq forks
    a process per job: each job then starts at once (reading the schema
    alone took a job 0.3 s), and the forks share those pages of memory.  A
    type whose optional dependency is broken is left to fail in its own jobs."""
    import importlib

    from sdm_harvester import sources

    modules = ["sdm_harvester.publish", "sqlalchemy.dialects.postgresql.psycopg2", "psycopg2.extras", "netrc"]
    for module in [*modules, *(path.partition(":")[0] for path in sources._TYPES.values())]:
        try:
            importlib.import_module(module)
        except ImportError:
            log.warning("worker: %s could not be imported; its jobs will fail", module, exc_info=True)
    from sdm_schema import lang, loader

    loader.preload()  # the fields, code lists and messages every record's mapping and validation read
    lang.is_traditional("資料")  # opencc's dictionaries, which every record's Chinese text needs


def work(
    redis: Redis,
    queues: Iterable[str] = (QUEUE,),
    burst: bool = False,
    heartbeat: int = 10,
    name: str | None = None,
    logging_level: str = "INFO",
) -> bool:
    """Run an rq worker on the queues until stopped (or, burst, until empty)."""
    from rq import Queue

    _preload()
    worker = worker_class()(
        [Queue(q, connection=redis) for q in queues],
        connection=redis,
        name=name,
        job_monitoring_interval=heartbeat,
        maintenance_interval=max(2 * heartbeat, 1),
        default_worker_ttl=max(4 * heartbeat, 20),
        work_horse_killed_handler=horse_killed,
    )
    return worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)


def queue_status(redis: Redis) -> dict:
    """Queue depth, running and failed jobs of both queues."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    out = {}
    for name in (QUEUE, PUBLISH_QUEUE):
        queue = Queue(name, connection=redis)
        failed = FailedJobRegistry(queue=queue)
        out[name] = {
            "queued": queue.count,
            "running": StartedJobRegistry(queue=queue).count,
            "scheduled": ScheduledJobRegistry(queue=queue).count,
            "failed": [_failed(queue, job_id) for job_id in failed.get_job_ids()],
        }
    return out


def _failed(queue: Queue, job_id: str) -> dict:
    job = queue.fetch_job(job_id)
    if job is None:
        return {"job": job_id}
    return {
        "job": job_id,
        "description": job.description,
        "ended_at": str(job.ended_at or ""),
        "error": _last_error(job),
    }
