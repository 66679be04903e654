"""One large CKAN platform read by page jobs (issue 19): `enqueue
--page-jobs` and real `sdm-harvest worker --burst` processes on real Redis,
into a shared store on real PostgreSQL, reading a package_search double on
127.0.0.1 — the same records as one job, withdrawals decided once from the
union of the page jobs' listings, none when a page fails, and a worker
killed with SIGKILL in the middle of a range."""

import json
import os
import signal
import time
import urllib.parse

import pytest
import sqlalchemy as sa
import test_ckan_source as ckan_api  # its datasets
from click.testing import CliRunner
from harvest_helpers import PLATFORMS, run_report, source_report, write_config
from scale_services import pg_url, redis_url, scale_services  # noqa: F401 (fixtures)
from test_workers import _kill, _wait, _worker

from sdm_harvester import cli, pipeline
from sdm_harvester import config as configuration
from sdm_harvester.sources.base import PageRange
from sdm_harvester.store import Store

DATASETS, PAGE, PER_JOB = 1200, 100, 3  # 12 pages: jobs of pages 1-3, 4-6, 7-9, 10-end


class Platform:
    """package_search over `packages`, in id order, at most `cap` a page; a
    page whose start is in `failing` answers 500, and every page answer
    waits `delay` seconds."""

    def __init__(self, packages):
        self.packages, self.failing, self.delay, self.cap = packages, set(), 0.0, 1000

    def __call__(self, handler):
        query = {k: v[0] for k, v in urllib.parse.parse_qs(handler.path.partition("?")[2]).items()}
        start, rows = int(query["start"]), min(int(query["rows"]), self.cap)
        if rows:
            time.sleep(self.delay)
            if start in self.failing:
                return 500, {}, "down"
        ordered = sorted(self.packages, key=lambda p: p["id"])
        body = {"success": True, "result": {"count": len(ordered), "results": ordered[start : start + rows]}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False)


def _sdm_harvest(*args):
    """The command line in this process (the workers are processes of their own)."""
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def _enqueue(tmp_path, config, pg, redis, *extra):
    data = str(tmp_path / "data")
    command = ["enqueue", "--config", config, "--data-dir", data, "--store", pg, "--redis", redis]
    queued = _sdm_harvest(*command, "--backoff", "0", "--lease-ttl", "3", "--page-jobs", str(PER_JOB), *extra)
    assert queued.exit_code == 0, queued.output
    return queued


def _site(server):
    site = Platform([ckan_api.package(n) for n in range(DATASETS)])
    server.routes["/api/3/action/package_search"] = site
    site.server = server
    return site


def _config(tmp_path, server):
    source = {"name": "big", "type": "ckan", "url": server.url, "options": {"page_size": PAGE}, "retries": 0}
    return write_config(tmp_path, [source])


def _page_starts(server):
    """The start of every page read (not the count asked with rows=0)."""
    queries = [urllib.parse.parse_qs(query) for path, query, _ in server.requests if path.endswith("package_search")]
    return sorted(int(q["start"][0]) for q in queries if q["rows"] != ["0"])


def _harvest(tmp_path, config, pg, redis, workers=3, *extra):
    queued = _enqueue(tmp_path, config, pg, redis, "--force", *extra)
    assert "1 source(s) queued (big)" in queued.stdout, queued.output
    running = [_worker(tmp_path, redis, str(n), "--burst") for n in range(workers)]
    for n, process in enumerate(running):
        _wait(process, tmp_path, str(n))
    return int(queued.stdout.split()[1].rstrip(":"))


def _finished(redis):
    from redis import Redis
    from rq.registry import FinishedJobRegistry

    return FinishedJobRegistry("sdm-harvest", connection=Redis.from_url(redis)).get_job_ids()


def _held(store):
    """{identifier: content hash} of the records held (not withdrawn)."""
    rows = store.database.read(
        sa.text("SELECT identifier, hash FROM records WHERE source='big' AND withdrawn_at IS NULL")
    )
    return {r.identifier: r.hash for r in rows}


def _status(tmp_path, pg, redis):
    shown = _sdm_harvest("status", "--data-dir", str(tmp_path / "data"), "--store", pg, "--redis", redis)
    assert shown.exit_code == 0, shown.output
    return shown.stdout


def test_page_jobs_store_once_withdraw_once_and_none_when_a_page_fails(tmp_path, server, pg_url, redis_url):
    site, config = _site(server), _config(tmp_path, server)
    one = tmp_path / "one-job"
    one.mkdir()
    code, alone = run_report(one, _config(one, server))  # the same source, one process, its own store
    assert code == 0 and source_report(alone, "big")["counts"]["new"] == DATASETS
    del server.requests[:]

    run = _harvest(tmp_path, config, pg_url, redis_url, 3, "--retries", "1")
    # the source's job asked the count alone, once, and queued four page jobs and a finishing job
    assert len([q for _, q, _ in server.requests if "rows=0" in q]) == 1
    assert sorted(_finished(redis_url)) == sorted(
        [f"sdm-harvest.{run}.big", *(f"sdm-harvest.{run}.big.pages-{n}" for n in (1, 4, 7, 10))]
        + [f"sdm-harvest.{run}.big.finish"]
    )
    assert _page_starts(server) == list(range(0, DATASETS, PAGE))  # every page read once
    store, single = Store(str(tmp_path / "data"), url=pg_url), Store(str(one / "data"))
    try:
        held = _held(store)
        assert held == _held(single) and len(held) == DATASETS  # every record once, as one job stores it
        part = source_report(store.run_report(run), "big")
        assert part["status"] == "ok" and part["full_listing"] and part["counts"]["new"] == DATASETS
        assert store.source_state("big")["last_status"] == "ok" and store.running_leases() == []
        assert store.parts(run) == {"big": part}  # the page jobs' parts are not sources of the run
    finally:
        single.close()

    # 30 datasets removed upstream: withdrawn once, by the finishing job, from the union of the pages
    removed = {p["id"] for p in site.packages[::40]}
    site.packages = [p for p in site.packages if p["id"] not in removed]
    run = _harvest(tmp_path, config, pg_url, redis_url, 2)
    try:
        part = source_report(store.run_report(run), "big")
        assert part["counts"]["withdrawn"] == len(removed) and part["withdrawal"]["applied"]
        assert part["counts"]["unchanged"] == DATASETS - len(removed)
        assert set(_held(store)) == set(held) - removed
        withdrawn = store.database.read(sa.text("SELECT identifier FROM records WHERE withdrawn_at IS NOT NULL"))
        assert {r.identifier for r in withdrawn} == removed

        # a page that fails: nothing withdrawn for the source this run, and status says which range
        gone = {p["id"] for p in site.packages[5::50]}
        site.packages = [p for p in site.packages if p["id"] not in gone]
        site.failing = {4 * PAGE}  # page 5, in the job of pages 4-6
        run = _harvest(tmp_path, config, pg_url, redis_url, 2, "--retries", "0")
        part = source_report(store.run_report(run), "big")
        assert part["status"] == "failed" and part["counts"]["withdrawn"] == 0
        assert part["withdrawal"]["reason"] == "a page job failed, so absences prove nothing"
        assert part["errors"][0].startswith("big: pages 4-6: ") and "500" in part["errors"][0]
        assert set(_held(store)) == set(held) - removed  # the vanished ones are still held
        state = store.source_state("big")
        assert state["last_status"] == "failed" and state["last_error"].startswith("big: pages 4-6: ")
        assert store.running_leases() == []
    finally:
        store.close()
    text = _status(tmp_path, pg_url, redis_url)
    assert "big: failed at " in text and "    big: pages 4-6: " in text
    assert "failed: harvest big pages 4-6: sdm_harvester.workqueue.SourceFailed: source big pages 4-6: " in text


def test_a_worker_killed_mid_page_job_is_finished_by_another(tmp_path, server, pg_url, redis_url):
    site, config = _site(server), _config(tmp_path, server)
    store = Store(str(tmp_path / "data"), url=pg_url)
    try:
        lease = _kill_a_page_job(tmp_path, site, config, store, pg_url, redis_url, retries=2)
        assert lease.startswith("big#pages ")
        assert len(_held(store)) == DATASETS  # every record, each once (the key is source and identifier)
        part = source_report(store.run_report(1), "big")
        assert part["status"] == "ok" and part["full_listing"]
        assert part["counts"]["new"] + part["counts"]["unchanged"] == DATASETS
        assert store.source_state("big")["last_status"] == "ok"
        # the killed range was read again, from its first page, by another worker
        starts = _page_starts(server)
        assert set(starts) == set(range(0, DATASETS, PAGE)) and len(starts) > DATASETS // PAGE

        # killed on its last attempt: rq fails the page job, the finishing job still runs, withdraws nothing
        site.packages = site.packages[10:]
        lease = _kill_a_page_job(tmp_path, site, config, store, pg_url, redis_url, retries=0)
        part = source_report(store.run_report(2), "big")
        assert part["status"] == "failed" and part["counts"]["withdrawn"] == 0
        assert part["errors"][0].startswith(f"big: {lease.partition('#')[2]}: worker died during the last attempt: ")
        assert len(_held(store)) == DATASETS
    finally:
        store.close()


def _kill_a_page_job(tmp_path, site, config, store, pg, redis, retries):
    """A run whose worker is killed (SIGKILL) in the middle of a page job's
    range, then finished by burst workers; the page job's lease."""
    from redis import Redis
    from rq.registry import DeferredJobRegistry, StartedJobRegistry

    site.delay = 0.3  # a page job of three pages takes about a second
    _enqueue(tmp_path, config, pg, redis, "--force", "--retries", str(retries))
    doomed = _worker(tmp_path, redis, "doomed")
    try:
        lease, horse = _page_holder(store, time.monotonic() + 60)
        reads = len(_page_starts(site.server))
        while len(_page_starts(site.server)) < reads + 1:  # in the middle of the range: a page read, others to come
            time.sleep(0.05)
        os.kill(horse, signal.SIGKILL)
    finally:
        _kill(doomed)
    site.delay = 0.0
    # once the dead worker's heartbeat has run out, the next worker to start
    # retries its job (or, on its last attempt, fails it)
    started = StartedJobRegistry("sdm-harvest", connection=Redis.from_url(redis))
    while started.get_job_ids() and not started.get_expired_job_ids():
        time.sleep(0.1)
    survivors = [_worker(tmp_path, redis, str(n), "--burst") for n in range(2)]
    for n, process in enumerate(survivors):
        _wait(process, tmp_path, str(n))
    assert (
        started.get_job_ids() == [] and DeferredJobRegistry("sdm-harvest", connection=Redis.from_url(redis)).count == 0
    )
    assert store.running_leases() == []
    return lease


def _page_holder(store, deadline):
    """A page job's lease, and the process holding it, once one runs."""
    while time.monotonic() < deadline:
        for lease in store.running_leases():
            if "#" in lease["source"]:
                return lease["source"], int(lease["holder"].split(":")[1])
        time.sleep(0.05)
    raise AssertionError("no page job took its range")


def test_sequential_sources_stay_one_job_and_the_option_is_checked(tmp_path):
    oai = "file://" + os.path.join(PLATFORMS, "oai-pmh", "ListRecords.xml")
    config = configuration.load(
        write_config(
            tmp_path,
            [
                {
                    "name": "oai",
                    "type": "oai-pmh",
                    "url": oai,
                    "page_jobs": 1,
                    "options": {"metadata_prefix": "oai_datacite"},
                }
            ],
        )
    )
    store = Store(str(tmp_path / "data"))
    try:
        run = pipeline.SourceRun(store, config.source("oai"), pipeline.Options(force=True))
        assert run.page_plan(1) == []  # resumption tokens: each page is known only from the one before
        report = run.run()
    finally:
        store.close()
    assert report.status == "ok" and report.counts["new"] > 0 and report.full_listing
    assert report.warnings[0].startswith("oai: page_jobs: read as one job, as its listing is not paged")
    bad = write_config(tmp_path, [{"name": "big", "type": "ckan", "url": "https://a.example.cn", "page_jobs": -1}])
    with pytest.raises(configuration.ConfigError) as refused:
        configuration.load(bad)
    assert (
        "sources[1] (big): page_jobs -1: expected a whole number of pages a job (0: one job)" in refused.value.problems
    )
    assert "--page-jobs" in _sdm_harvest("enqueue", "--help").output


def test_a_page_range_stops_at_its_end_on_a_site_that_caps_rows(tmp_path, server):
    site = _site(server)
    site.cap = 30  # the site answers 30 where 100 are asked
    config = configuration.load(_config(tmp_path, server))
    store = Store(str(tmp_path / "data"))
    try:
        run = pipeline.SourceRun(store, config.source("big"), pipeline.Options(force=True))
        run.read(PageRange(2, 3, DATASETS))  # pages 3-4: datasets 201-400, never one of page 5
        run.page_part()
    finally:
        store.close()
    ordered = sorted(p["id"] for p in site.packages)
    assert sorted(run.seen) == ordered[200:400] and run.report.full_listing
    assert _page_starts(server)[-1] == 380 and "rows=20&" in server.requests[-1][1]  # 20 asked, not 100


def test_a_finishing_job_killed_on_its_last_attempt_still_closes_the_run(tmp_path, server, pg_url, redis_url):
    """The finishing job held at its last write (the `sources` table locked)
    while its machine dies: once its heartbeat has run out, rq's clean-up
    (the one a worker's maintenance runs) fails it, and its failure
    callback records the source as failed, releases the lease and closes
    the run; the source can be queued again."""
    from redis import Redis
    from rq.registry import StartedJobRegistry

    _site(server)
    config, data = _config(tmp_path, server), str(tmp_path / "data")
    store = Store(data, url=pg_url)
    locker = sa.create_engine(pg_url).connect()
    held = locker.begin()
    try:
        locker.execute(sa.text("LOCK TABLE sources IN EXCLUSIVE MODE"))  # reads go on, writes wait
        _enqueue(tmp_path, config, pg_url, redis_url, "--force", "--retries", "0")
        doomed = _worker(tmp_path, redis_url, "doomed", "--name", "doomed")
        try:
            while not _waiting(locker):  # only the finishing job writes a source's run
                time.sleep(0.05)
            horse = _horse_of(doomed)
        finally:
            _kill(doomed)
        os.kill(horse, signal.SIGKILL)
        locker.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM ({WAITING.replace('count(*)', 'pid')}) w"))
        held.rollback()
        started = StartedJobRegistry("sdm-harvest", connection=Redis.from_url(redis_url))
        while not started.get_expired_job_ids():
            time.sleep(0.1)
        assert started.cleanup() == ["sdm-harvest.1.big.finish"]
        part = source_report(store.run_report(1), "big")  # the run is closed
        error = "big: worker died during the last attempt: job sdm-harvest.1.big.finish on worker doomed"
        assert part["status"] == "failed" and part["errors"] == [error + " (its heartbeat stopped)"]
        assert store.source_state("big")["last_error"] == part["errors"][0]
        assert store.running_leases() == [] and len(_held(store)) == DATASETS  # the page jobs stored them all
        assert "failed: harvest big: merge 4 page jobs: worker died during the last attempt: " in _status(
            tmp_path, pg_url, redis_url
        )
        assert "1 source(s) queued (big)" in _enqueue(tmp_path, config, pg_url, redis_url, "--force").stdout
    finally:
        locker.close()
        store.close()


#: Backends of the tests' database waiting on a lock.
WAITING = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"


def _waiting(connection):
    connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))  # else one snapshot a transaction
    return connection.execute(sa.text(WAITING)).scalar()


def _horse_of(worker):
    """The process rq forked to run the worker's job: its child that leads
    a session of its own (rq's scheduler, the other child, does not)."""
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state = stat.read().rpartition(")")[2].split()  # state, ppid, pgrp, session
        except OSError:
            continue
        if int(state[1]) == worker.pid and int(state[3]) == int(entry):
            return int(entry)
    raise AssertionError("the worker runs no job")
