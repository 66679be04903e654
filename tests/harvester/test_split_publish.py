"""A publish split into jobs: `sdm-harvest publish --split` queues one job
per slice of the shared store (real PostgreSQL) and one assembling job on
the sdm-publish queue (real Redis); three `sdm-harvest worker --burst`
processes run them.  The feeds are byte for byte those of a publish in one
process; a slice that fails leaves the old feeds as they were."""

import os

from feed_files import same_feeds
from harvest_helpers import PLATFORMS, run_report, sdm_harvest, write_config
from scale_services import pg_url, redis_url, scale_services  # noqa: F401 (fixtures)
from test_workers import _wait, _worker

from sdm_harvester.publish import FEEDS, publish_store
from sdm_harvester.store import Store
from sdm_harvester.workqueue import publish_job, publish_lease, split_publish

BASE = "https://data.example.cn"
SHEETS = [
    {"name": "nr", "type": "spreadsheet", "url": "file://" + os.path.join(PLATFORMS, "spreadsheet", name)}
    for name in ("bazhong-natural-resources.csv",)
] + [
    {
        "name": "sci",
        "type": "spreadsheet",
        "url": "file://" + os.path.join(PLATFORMS, "spreadsheet", "bazhong-science-bureau.xlsx"),
    }
]


def _publish(tmp_path, pg, out, *extra):
    return sdm_harvest(
        "publish",
        "--data-dir",
        str(tmp_path / "data"),
        "--out",
        str(out),
        "--base-url",
        BASE,
        "--page-size",
        "2",
        "--store",
        pg,
        *extra,
    )


def _split(tmp_path, pg, redis, out, slices):
    """What `publish --split` does (tested above), from this process."""
    store = Store(str(tmp_path / "data"), url=pg)
    try:
        return split_publish(store, redis, str(out), BASE, page_size=2, slices=slices)
    finally:
        store.close()


def _workers(tmp_path, redis, label, count):
    workers = [_worker(tmp_path, redis, f"{label}-{n}", "--burst", "--queue", "sdm-publish") for n in range(count)]
    for n, process in enumerate(workers):
        _wait(process, tmp_path, f"{label}-{n}")


def test_a_split_publish_writes_what_one_process_writes_and_a_failed_slice_changes_nothing(tmp_path, pg_url, redis_url):
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry

    code, report = run_report(tmp_path, write_config(tmp_path, SHEETS), "--store", pg_url)
    assert code == 0 and report["totals"]["new"] >= 6, report
    single, out = tmp_path / "single", tmp_path / "feeds"
    store = Store(str(tmp_path / "data"), url=pg_url)
    try:  # the same publish in this one process, with an index of its own
        publish_store(store, str(tmp_path / "single-data"), str(single), BASE, page_size=2)
    finally:
        store.close()

    queued = _publish(tmp_path, pg_url, out, "--split", "3", "--redis", redis_url)
    assert queued.returncode == 0 and "as 3 slice job(s)" in queued.stdout, queued.stderr
    assert not (out / "national").exists()  # queued, not yet written
    # a publish job of the same folder meanwhile (a run's retried source):
    # it does not wait on the lease (its workers would), it follows
    follows = publish_job(pg_url, str(tmp_path / "data"), str(out), BASE, page_size=2, redis=redis_url, split=2)
    assert follows["after"] in queued.stdout
    _workers(tmp_path, redis_url, "first", 3)
    assert Queue("sdm-publish", connection=Redis.from_url(redis_url)).fetch_job(follows["queued"]).get_status() == (
        "finished"
    )
    same_feeds(single, out)
    assert not (tmp_path / ".feeds.staging").exists()  # no fragments left beside the feeds
    assert sorted(os.listdir(out)) == sorted(FEEDS)  # no .new folder

    # the next split publish: its second slice cannot write its fragments
    before = {(name, f): (out / name / f).stat().st_ino for name in FEEDS for f in os.listdir(out / name)}
    redis = Redis.from_url(redis_url)
    _split(tmp_path, pg_url, redis, out, 3)
    queue = Queue("sdm-publish", connection=redis)
    doomed = next(job for job in queue.jobs if job.id.endswith(".slice-2"))
    os.makedirs(os.path.dirname(doomed.kwargs["folder"]), exist_ok=True)
    with open(doomed.kwargs["folder"], "w") as blocked:  # a file where its folder goes
        blocked.write("in the way")
    _workers(tmp_path, redis_url, "second", 2)
    failed = FailedJobRegistry(queue=queue).get_job_ids()
    assert doomed.id in failed  # and the slices after it gave up
    assembly = queue.fetch_job(doomed.id.replace(".slice-2", ".assemble"))
    assert assembly.get_status() == "deferred"  # never ran
    after = {(name, f): (out / name / f).stat().st_ino for name in FEEDS for f in os.listdir(out / name)}
    assert after == before and sorted(os.listdir(out)) == sorted(FEEDS)
    same_feeds(single, out)
    store = Store(str(tmp_path / "data"), url=pg_url)
    try:
        assert store.lease_holder(publish_lease(str(out))) is None  # the failed slice let it go
    finally:
        store.close()

    # and the one after: nothing changed, so every page is kept as it is
    queued = _split(tmp_path, pg_url, redis, out, 2)
    _workers(tmp_path, redis_url, "third", 1)
    result = queue.fetch_job(queued["assemble"]).result
    assert all(result[name]["written"] == 0 and result[name]["reused"] == result[name]["datasets"] for name in FEEDS)
    same_feeds(single, out)
    assert not os.path.exists(tmp_path / ".feeds.staging")  # the failed publish's slices cleared too
