"""Many workers, one catalogue: `sdm-harvest enqueue` and real rq workers
(`sdm-harvest worker`, subprocesses) on real Redis, into a shared store on
real PostgreSQL, harvesting slow DCAT platforms served on 127.0.0.1 — one
of them broken, one worker killed with SIGKILL in the middle of a source."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from harvest_helpers import PLATFORMS, Server, run_report, sdm_harvest, source_report, write_config
from scale_services import pg_url, redis_url, scale_services  # noqa: F401 (fixtures)

from sdm_harvester.publish import publish
from sdm_harvester.store import Store

CSV = "file://" + os.path.join(PLATFORMS, "spreadsheet", "bazhong-natural-resources.csv")
PAGES = 4  # the feed's four datasets, one per page
#: Seconds a platform takes per page: slow, as platforms are.
SLOW = 0.4


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """A slow DCAT platform: the four spreadsheet datasets as a Turtle feed
    of one dataset per page, each page answered after SLOW seconds."""
    tmp = tmp_path_factory.mktemp("platform")
    assert run_report(tmp, write_config(tmp, [{"name": "nr", "type": "spreadsheet", "url": CSV}]))[0] == 0
    server = Server()
    store = Store(str(tmp / "data"))
    publish(
        store.iter_datasets(),
        str(tmp / "feeds"),
        page_size=1,
        catalog_info={"base_url": "https://a.example.cn"},
        feeds_url=server.url + "/feed",
    )
    store.close()
    for name in os.listdir(tmp / "feeds" / "national"):
        if name.endswith(".ttl"):
            body = (tmp / "feeds" / "national" / name).read_bytes()
            server.routes[f"/feed/national/{name}"] = _slow(body)
    yield server
    server.close()


def _slow(body):
    def answer(_handler):
        time.sleep(SLOW)
        return 200, {"Content-Type": "text/turtle"}, body

    return answer


def _config(tmp_path, platform, names, broken=()):
    sources = [{"name": n, "type": "dcat", "url": platform.url + "/feed/national/catalog.ttl"} for n in names]
    sources += [{"name": n, "type": "dcat", "url": platform.url + "/gone/catalog.ttl"} for n in broken]
    return write_config(tmp_path, sources)


def _enqueue(tmp_path, config, pg, redis, *extra):
    return sdm_harvest(
        "enqueue",
        "--config",
        config,
        "--data-dir",
        str(tmp_path / "data"),
        "--store",
        pg,
        "--redis",
        redis,
        "--backoff",
        "0",
        "--lease-ttl",
        "3",
        *extra,
    )


def _worker(tmp_path, redis, label, *extra):
    log = open(tmp_path / f"worker-{label}.log", "w")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sdm_harvester.cli",
            "worker",
            "--redis",
            redis,
            "--data-dir",
            str(tmp_path / "data"),
            "--heartbeat",
            "1",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(tmp_path),
        start_new_session=True,
    )  # with rq's scheduler process


def _wait(process, tmp_path, label):
    try:
        assert process.wait(timeout=180) == 0, (tmp_path / f"worker-{label}.log").read_text()
    finally:
        _kill(process)


def _kill(process):
    """The worker and what it started in its group (rq's scheduler)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def _feed_requests(platform):
    return [path for path, _, _ in platform.requests if path.startswith("/feed/")]


def _records(store, source):
    import sqlalchemy as sa

    return store.database.read(sa.text("SELECT count(*) FROM records WHERE source=:s"), {"s": source})[0][0]


def test_three_workers_harvest_every_source_once_merge_the_run_and_publish(tmp_path, platform, pg_url, redis_url):
    names = [f"dept-{n}" for n in range(6)]
    config = _config(tmp_path, platform, names, broken=["dept-gone"])
    out = tmp_path / "feeds"
    queued = _enqueue(
        tmp_path,
        config,
        pg_url,
        redis_url,
        "--retries",
        "1",
        "--publish-out",
        str(out),
        "--base-url",
        "https://data.example.cn",
        "--publish-split",
        "2",
    )
    assert queued.returncode == 0 and "run 1: 7 source(s) queued" in queued.stdout, queued.stderr
    del platform.requests[:]
    workers = [
        _worker(tmp_path, redis_url, str(n), "--burst", "--queue", "sdm-harvest", "--queue", "sdm-publish")
        for n in range(3)
    ]
    for n, process in enumerate(workers):
        _wait(process, tmp_path, str(n))
    # every page of every source read once: no source was harvested twice
    assert len(_feed_requests(platform)) == len(names) * PAGES
    store = Store(str(tmp_path / "data"), url=pg_url)
    try:
        assert all(_records(store, name) == PAGES for name in names)
        states = {s["name"]: s for s in store.source_states()}
        assert all(states[name]["last_status"] == "ok" for name in names)
        assert states["dept-gone"]["last_status"] == "failed" and "404" in states["dept-gone"]["last_error"]
        report = store.run_report(1)
        assert report["totals"]["new"] == len(names) * PAGES and report["exit_code"] == 1
        assert sorted(s["name"] for s in report["sources"]) == sorted(names + ["dept-gone"])
        assert store.running_leases() == []
    finally:
        store.close()
    assert (tmp_path / "data" / "reports" / "run-000001.json").exists()
    # the feeds were written once every source was in, by two slice jobs and
    # one that assembled them: the four datasets (one origin each)
    national = (out / "national" / "catalog.ttl").read_text(encoding="utf-8")
    assert national.count("a dcat:Dataset") == PAGES
    status = sdm_harvest(
        "status", "--data-dir", str(tmp_path / "data"), "--store", pg_url, "--redis", redis_url, "--json"
    )
    shown = json.loads(status.stdout)
    failed = shown["queues"]["sdm-harvest"]["failed"]
    assert [job["description"] for job in failed] == ["harvest dept-gone"] and "404" in failed[0]["error"]
    assert shown["queues"]["sdm-harvest"]["queued"] == 0 and shown["leases"] == []
    assert shown["queues"]["sdm-publish"] == {"queued": 0, "running": 0, "scheduled": 0, "failed": []}
    text = sdm_harvest("status", "--data-dir", str(tmp_path / "data"), "--store", pg_url, "--redis", redis_url)
    assert "queue sdm-harvest: 0 queued, 0 running, 0 waiting to retry, 1 failed" in text.stdout
    assert "failed: harvest dept-gone" in text.stdout


def test_two_enqueues_at_once_queue_each_source_once(tmp_path, platform, pg_url, redis_url):
    from redis import Redis
    from rq import Queue

    names = [f"dept-{n}" for n in range(8)]
    config = _config(tmp_path, platform, names)
    # (the suite's PostgreSQL trusts 127.0.0.1: any password is accepted)
    with_password = pg_url.replace("postgres@", "postgres:topsecret@")
    command = [
        sys.executable,
        "-m",
        "sdm_harvester.cli",
        "enqueue",
        "--config",
        config,
        "--data-dir",
        str(tmp_path / "data"),
        "--store",
        with_password,
        "--redis",
        redis_url,
    ]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    queued = [int(out.split(": ")[1].split(" ")[0]) for out, _ in outputs]
    assert sum(queued) == len(names), outputs
    queue = Queue("sdm-harvest", connection=Redis.from_url(redis_url))
    assert queue.count == len(names)
    # jobs carry the store without its password: workers have their own (~/.pgpass)
    assert {job.kwargs["store_url"] for job in queue.jobs} == {pg_url}
    again = _enqueue(tmp_path, config, pg_url, redis_url, "--force")
    assert ": 0 source(s) queued" in again.stdout and "already queued or running: dept-0" in again.stdout


def _holder_pid(store, deadline):
    """The process that holds a lease, once one is running mid-source."""
    while time.monotonic() < deadline:
        leases = store.running_leases()
        if leases:
            return leases[0]["source"], int(leases[0]["holder"].split(":")[1])
        time.sleep(0.1)
    raise AssertionError("no worker took a source")


def test_a_worker_killed_mid_source_is_finished_by_another(tmp_path, platform, pg_url, redis_url):
    from redis import Redis
    from rq.registry import StartedJobRegistry

    names = ["dept-a", "dept-b", "dept-c"]
    config = _config(tmp_path, platform, names)
    assert _enqueue(tmp_path, config, pg_url, redis_url, "--retries", "2").returncode == 0
    del platform.requests[:]
    doomed = _worker(tmp_path, redis_url, "doomed")
    store = Store(str(tmp_path / "data"), url=pg_url)
    try:
        source, horse = _holder_pid(store, time.monotonic() + 60)
        while not _feed_requests(platform):  # in the middle of the source: a page read, others to come
            time.sleep(0.05)
        os.kill(horse, signal.SIGKILL)  # the machine dies: the job's process, its worker, rq's scheduler
        _kill(doomed)
        survivors = [_worker(tmp_path, redis_url, str(n), "--burst") for n in range(2)]
        for n, process in enumerate(survivors):
            _wait(process, tmp_path, str(n))
        # a burst worker started once the dead worker's heartbeat has run out
        # retries its job, if the survivors were done before that
        registry = StartedJobRegistry("sdm-harvest", connection=Redis.from_url(redis_url))
        while registry.get_job_ids() and not registry.get_expired_job_ids():
            time.sleep(0.2)
        _wait(_worker(tmp_path, redis_url, "last", "--burst"), tmp_path, "last")
        states = {s["name"]: s for s in store.source_states()}
        assert all(states[name]["last_status"] == "ok" for name in names), states
        assert all(_records(store, name) == PAGES for name in names)  # every record stored exactly once
        parts = store.parts(1)
        assert all(parts[name]["status"] == "ok" for name in names)
        assert store.run_report(1)["totals"]["new"] + store.run_report(1)["totals"]["unchanged"] == 3 * PAGES
        assert store.running_leases() == []
        assert registry.get_job_ids() == []
    finally:
        store.close()
        _kill(doomed)
    # the killed source was read again, from the start, by another worker
    assert len(_feed_requests(platform)) > len(names) * PAGES
    assert source in names


def test_a_source_job_killed_on_its_last_attempt_still_closes_the_run(tmp_path, platform, pg_url, redis_url):
    """rq fails such a job without running any of ours: its failure callback
    (worker dead: heartbeat gone) or the worker's handler (only the job's
    process killed) records the source as failed and closes the run."""
    names = ["dept-a", "dept-b", "dept-c"]
    config = _config(tmp_path, platform, names)
    data = str(tmp_path / "data")
    store = Store(data, url=pg_url)
    try:
        # the whole machine dies: the worker first, then the job's own process
        assert _enqueue(tmp_path, config, pg_url, redis_url, "--retries", "0").returncode == 0
        doomed = _worker(tmp_path, redis_url, "doomed", "--name", "doomed")
        try:
            source, horse = _killed_mid_source(store, platform, lambda: _kill(doomed))
        finally:
            _kill(doomed)
        _expired_and_drained(tmp_path, redis_url)
        _assert_failed_and_closed(store, tmp_path, 1, source, names, "on worker doomed (its heartbeat stopped)")
        assert (tmp_path / "data" / "reports" / "run-000001.json").exists()
        shown = json.loads(
            sdm_harvest("status", "--data-dir", data, "--store", pg_url, "--redis", redis_url, "--json").stdout
        )
        failed = shown["queues"]["sdm-harvest"]["failed"]
        assert [job["description"] for job in failed] == [f"harvest {source}"]
        assert failed[0]["error"].startswith(f"worker died during the last attempt: job sdm-harvest.1.{source} on ")
        text = sdm_harvest("status", "--data-dir", data, "--store", pg_url, "--redis", redis_url).stdout
        assert f"failed: harvest {source}: worker died during the last attempt: job sdm-harvest.1.{source}" in text
        assert f"{source}: failed at " in text and f"    {source}: worker died during the last attempt: " in text

        # queued again (it is no longer marked); this time only the job's process is killed, its worker lives on
        again = _enqueue(tmp_path, config, pg_url, redis_url, "--force", "--retries", "0")
        assert "run 2: 3 source(s) queued" in again.stdout, again.stdout + again.stderr
        workers = [_worker(tmp_path, redis_url, str(n), "--burst") for n in range(2)]
        source, _ = _killed_mid_source(store, platform, lambda: None)
        for n, process in enumerate(workers):
            _wait(process, tmp_path, str(n))
        _assert_failed_and_closed(store, tmp_path, 2, source, names, "(its process ended (signal 9))")
    finally:
        store.close()


def _killed_mid_source(store, platform, before):
    """The job of the first source taken, killed (SIGKILL) once a page of
    it is read, after `before()`; (source, the job's process)."""
    del platform.requests[:]
    source, horse = _holder_pid(store, time.monotonic() + 60)
    while not _feed_requests(platform):
        time.sleep(0.05)
    before()
    os.kill(horse, signal.SIGKILL)
    return source, horse


def _expired_and_drained(tmp_path, redis_url):
    """Once the dead worker's heartbeat has run out, a burst worker's clean-up
    fails its job (no attempt left); it harvests the other sources."""
    from redis import Redis
    from rq.registry import StartedJobRegistry

    registry = StartedJobRegistry("sdm-harvest", connection=Redis.from_url(redis_url))
    while not registry.get_expired_job_ids():
        time.sleep(0.1)
    workers = [_worker(tmp_path, redis_url, str(n), "--burst") for n in range(2)]
    for n, process in enumerate(workers):
        _wait(process, tmp_path, str(n))
    assert registry.get_job_ids() == []


def _assert_failed_and_closed(store, tmp_path, run, source, names, how):
    """The killed source failed in the run's merged report and its last run,
    the others harvested, their records each stored once; nothing held."""
    report = store.run_report(run)
    assert report is not None and sorted(s["name"] for s in report["sources"]) == names  # the run is closed
    parts = {s["name"]: s for s in report["sources"]}
    error = parts[source]["errors"][0]
    assert parts[source]["status"] == "failed" and error.startswith(
        f"{source}: worker died during the last attempt: job sdm-harvest.{run}.{source} on worker "
    )
    assert error.endswith(how) and report["exit_code"] == 1
    assert store.source_state(source)["last_status"] == "failed" and store.source_state(source)["last_error"] == error
    others = [name for name in names if name != source]
    assert all(parts[name]["status"] == "ok" for name in others)
    assert all(parts[name]["counts"]["new"] + parts[name]["counts"]["unchanged"] == PAGES for name in others)
    assert all(_records(store, name) == PAGES for name in others)
    assert store.running_leases() == []


def test_a_source_job_that_cannot_take_its_lease_on_its_last_attempt_still_closes_the_run(
    tmp_path, platform, pg_url, redis_url
):
    """The job raises (Busy) before it hands its part in: its failure
    callback records it, leaving the lease to its holder."""
    from redis import Redis

    config = _config(tmp_path, platform, ["dept-a"])
    store = Store(str(tmp_path / "data"), url=pg_url)
    try:
        assert store.acquire_lease("dept-a", "elsewhere:1:", 120)
        assert _enqueue(tmp_path, config, pg_url, redis_url, "--retries", "0", "--lease-ttl", "1").returncode == 0
        _wait(_worker(tmp_path, redis_url, "0", "--burst"), tmp_path, "0")
        part = source_report(store.run_report(1), "dept-a")  # the run is closed
        assert part["status"] == "failed"
        assert part["errors"] == ["dept-a: Busy: source dept-a is being harvested by elsewhere:1:"]
        assert [lease["holder"] for lease in store.running_leases()] == ["elsewhere:1:"]
        assert not Redis.from_url(redis_url).exists("sdm-harvest:pending:dept-a")  # it may be queued again
    finally:
        store.close()
