"""The store's guarantees on both of its databases, SQLite (the embedded
default) and PostgreSQL (shared by workers): whole records per
transaction, no duplicates, content hashes, bounded history, one winner per
dataset, leases that fence writes; and `sdm-harvest store migrate`."""

import json
import os
import sqlite3

import pytest
from harvest_helpers import DEPARTMENT, PLATFORMS, run_report, sdm_harvest, write_config
from scale_services import pg_url, redis_url, scale_services, store_url  # noqa: F401 (fixtures)

from sdm_harvester.store import NEW, UNCHANGED, UPDATED, Database, LeaseLost, RecordStore, RunLog, Store

CSV = "file://" + os.path.join(PLATFORMS, "spreadsheet", "bazhong-natural-resources.csv")
NOW = "2026-01-01T00:00:00+00:00"
BASE = "https://data.example.cn"


def _data(title, origin=None, hops=1):
    hop = {"catalogue": "https://a.example.cn", "record": title, "unit": {"uscc": "11510000MB0000002W"}}
    return {"title": title, "origin": origin or f"https://a.example.cn/{title}", "provenance": [hop] * hops}


@pytest.fixture
def store(tmp_path, store_url):
    s = Store(str(tmp_path / "data"), url=store_url)
    yield s
    s.close()


def _count(store, sql="SELECT count(*) FROM records"):
    import sqlalchemy as sa

    return store.database.read(sa.text(sql))[0][0]


def test_content_hash_makes_a_rerun_a_no_op_and_duplicates_impossible(store):
    assert store.put("s", "a", "s-a", _data("a"), "h1", False, "m1", NOW) == NEW
    assert store.put("s", "a", "s-a", _data("a"), "h1", False, "m2", NOW) == UNCHANGED
    assert store.put("s", "a", "s-other", _data("a2"), "h2", False, "m3", NOW) == UPDATED
    assert _count(store) == 1
    assert store.name_owner("s-a") == ("s", "a")  # a record keeps its first name
    assert store.modified_marks("s") == {"a": "m3"}
    with pytest.raises(Exception):  # a second record cannot take a held name
        store.put("s", "b", "s-a", _data("b"), "h3", False, None, NOW)
    assert _count(store) == 1


def test_a_transaction_lands_whole_or_not_at_all(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put("s", "a", "s-a", _data("a"), "h", False, None, NOW)
            store.put("s", "b", "s-b", _data("b"), "h", False, None, NOW)
            raise RuntimeError("killed mid-batch")
    assert _count(store) == 0
    # batches keep what was handled before a failure
    with pytest.raises(RuntimeError):
        with store.batches(2) as tick:
            for name in "abc":
                store.put("s", name, f"s-{name}", _data(name), "h", False, None, NOW)
                tick()
            raise RuntimeError("the source broke off")
    assert _count(store) == 3


def test_the_parts_share_one_connection_and_its_transactions(tmp_path, store_url):
    database = Database(str(tmp_path / "data"), url=store_url)
    try:
        held, log = RecordStore(database), RunLog(database)
        with pytest.raises(RuntimeError):
            with database.transaction():  # a record and a run: neither lands without the other
                held.put("s", "a", "s-a", _data("a"), "h", False, None, NOW)
                log.start_run(NOW)
                raise RuntimeError("killed")
        assert held.active_count("s") == 0 and log.runs() == []
        with database.transaction():
            held.put("s", "a", "s-a", _data("a"), "h", False, None, NOW)
            run = log.start_run(NOW)
        assert held.active_count("s") == 1 and [r["id"] for r in log.runs()] == [run]
    finally:
        database.close()


def test_history_is_bounded_and_parts_merge(store):
    for n in range(5):
        run = store.start_run(NOW)
        store.finish_run(run, NOW, 0, {"n": n}, keep=3)
    assert [r["id"] for r in store.runs()] == [5, 4, 3]
    assert store.run_report(5) == {"n": 4} and store.run_report(1) is None
    run = store.start_run(NOW)
    store.expect_sources(run, ["x", "y"])
    store.record_part(run, "x", {"status": "ok"})
    assert store.parts(run) == {"x": {"status": "ok"}, "y": None}


def test_one_winner_per_origin_with_every_copys_provenance(store):
    store.put("city", "c1", "city-c1", _data("copy", "urn:x", hops=2), "h1", False, None, NOW)
    store.put("dept", "d1", "dept-d1", _data("own", "urn:x", hops=1), "h2", False, None, NOW)
    store.put("dept", "d2", "dept-d2", _data("other"), "h3", False, None, NOW)
    datasets = list(store.iter_datasets())
    assert [d["name"] for d in datasets] == ["dept-d1", "dept-d2"]
    assert store.is_winner("dept", "d1") and not store.is_winner("city", "c1")
    assert store.withdraw("dept", ["d1"], NOW) == 1
    assert [d["name"] for d in store.iter_datasets()] == ["city-c1", "dept-d2"]
    assert [w["name"] for w in store.iter_withdrawn()] == ["dept-d1"]
    assert store.withdraw_hidden("dept", "d2", NOW) == 1
    assert [d["name"] for d in store.iter_datasets()] == ["city-c1"]


def test_slices_of_the_store_hold_every_record_once_in_order(store):
    """A split publish's slices (`slice_starts`, then `iter_publishable`
    from one start before the next): sources of several records, a copy
    that loses to another and a withdrawn record between them."""
    for source in ("a", "b", "c"):
        for n in range(5):
            store.put(source, f"r{n}", f"{source}-r{n}", _data(f"{source}{n}"), f"h{source}{n}", False, None, NOW)
    store.put("b", "copy", "b-copy", _data("copy", "https://a.example.cn/a2", hops=2), "hc", False, None, NOW)
    store.withdraw("c", ["r1"], NOW)
    every = [r.name for r in store.iter_publishable()]
    assert len(every) == 14 and "b-copy" not in every
    for slices in (1, 2, 4, 14, 30):
        starts = store.slice_starts(slices)
        assert len(starts) == min(slices, 14)
        names = [
            r.name
            for start, stop in zip(starts, [*starts[1:], None], strict=True)
            for r in store.iter_publishable(start, stop)
        ]
        assert names == every, slices


def test_contents_read_later_come_in_one_statement(store):
    """`iter_publishable(content=False)` leaves the content out;
    `stored_contents` reads it for a batch, and names a record withdrawn
    meanwhile."""
    for n in range(3):
        store.put("s", f"r{n}", f"s-r{n}", _data(f"t{n}"), f"h{n}", False, None, NOW)
    held = list(store.iter_publishable(content=False))
    assert [r.data for r in held] == [None] * 3
    store.put("t", "r0", "t-r0", _data("u0"), "u0", False, None, NOW)  # a second source, asked in the same statement
    held = list(store.iter_publishable(content=False))
    contents = store.stored_contents([(r.source, r.identifier) for r in held])
    assert [json.loads(contents[r.source, r.identifier])["title"] for r in held] == ["t0", "t1", "t2", "u0"]
    store.withdraw_hidden("s", "r1", NOW)
    with pytest.raises(LookupError, match="'r1' of 's'"):
        store.stored_contents([("s", "r0"), ("s", "r1")])


def test_cache_and_page_memo_round_trip(store):
    store.remember("http://x/a", '"e1"', None, b"\x00body\xff")
    assert store.lookup("http://x/a") == ('"e1"', None, b"\x00body\xff")
    store.remember("http://x/a", '"e2"', "Mon", b"new")
    assert store.lookup("http://x/a") == ('"e2"', "Mon", b"new")
    store.forget("http://x/a")
    assert store.lookup("http://x/a") is None
    store.remember_page("s", "http://x/p", "d", None, ["a", "b"])
    store.remember_page("s", "http://x/p", "d2", "http://x/p2", ["c"])
    assert store.page_memo("s", "http://x/p") == ("d2", "http://x/p2", ["c"])


def test_a_lease_is_held_once_expires_and_fences_writes(store, tmp_path, store_url):
    assert store.acquire_lease("s", "w1", 60)
    assert not store.acquire_lease("s", "w2", 60)  # running: refused
    assert store.lease_holder("s") == "w1" and [lease["source"] for lease in store.running_leases()] == ["s"]
    other = Store(str(tmp_path / "data"), url=store_url)  # a second worker
    try:
        store.fence = ("s", "w1", 60)
        store.put("s", "a", "s-a", _data("a"), "h", False, None, NOW)  # lands: w1 holds the lease
        assert store.renew_lease("s", "w1", -1)  # as if w1 stopped renewing: expired
        assert other.acquire_lease("s", "w2", 60)
        with pytest.raises(LeaseLost):
            store.put("s", "b", "s-b", _data("b"), "h", False, None, NOW)
        assert _count(other) == 1  # w1's write after losing the lease did not land
        store.fence = None
        other.release_lease("s", "w1")  # not w1's to release
        assert other.lease_holder("s") == "w2"
        other.release_lease("s", "w2")
        assert other.lease_holder("s") is None
    finally:
        other.close()


def test_the_command_line_on_either_store(tmp_path, store_url):
    extra = ("--store", store_url) if store_url else ()
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}])
    code, report = run_report(tmp_path, config, *extra)
    assert code == 0 and report["totals"]["new"] == 4
    code, report = run_report(tmp_path, config, *extra)
    assert code == 0 and report["totals"]["unchanged"] == 4 and report["totals"]["new"] == 0
    status = sdm_harvest("status", "--data-dir", str(tmp_path / "data"), *extra)
    assert "nr: ok" in status.stdout and "4 records held" in status.stdout, status.stderr
    out = tmp_path / "feeds"

    def publish(*flags):
        data = str(tmp_path / "data")
        return sdm_harvest("publish", "--data-dir", data, "--out", str(out), "--base-url", BASE, *flags, *extra)

    published = publish()
    assert published.returncode == 0 and "national: 4 datasets" in published.stdout, published.stderr
    again = [publish(*flags).stdout for flags in ((), ("--full", "--workers", "2"))]
    assert "national: 4 datasets on 1 page(s), 4 unchanged, 0 page(s) written" in again[0], again  # kept as it was
    assert "national: 4 datasets on 1 page(s), 0 unchanged" in again[1], again
    assert os.path.exists(tmp_path / "data" / "harvest.sqlite") == (store_url is None)


def test_a_store_of_an_earlier_version_gets_its_derived_columns(tmp_path):
    """origin, hops and policy (tables.derived) added to a store that lacks
    them and filled in from the data: the winning copy and a deferred
    record's embargo are read as before."""
    store = Store(str(tmp_path))
    store.put("city", "c1", "city-c1", _data("copy", "urn:x", hops=2), "h1", False, None, NOW)
    store.put("dept", "d1", "dept-d1", _data("own", "urn:x", hops=1), "h2", False, None, NOW)
    deferred = dict(_data("later"), disclosure="deferred", embargo_until="2027-03-01")
    store.put("dept", "d2", "dept-d2", deferred, "h3", False, None, NOW)
    store.close()
    with sqlite3.connect(tmp_path / "harvest.sqlite") as db:  # as earlier versions left it
        db.execute("DROP INDEX records_by_origin")
        for column in ("origin", "hops", "policy"):
            db.execute(f"ALTER TABLE records DROP COLUMN {column}")
    store = Store(str(tmp_path))
    try:
        assert [d["name"] for d in store.iter_datasets()] == ["dept-d1", "dept-d2"]
        policies = {r.name: r.policy for r in store.iter_publishable(content=False)}
        assert policies == {"dept-d1": {}, "dept-d2": {"disclosure": "deferred", "embargo_until": "2027-03-01"}}
    finally:
        store.close()


def test_a_store_of_an_earlier_version_forgets_its_classified_records(tmp_path, store_url):
    """Earlier versions kept classified records' rows: opening the store
    keeps one loaded somewhere as a withdrawal (so the target is told),
    with no content and none of the columns derived from it, and drops the rest."""
    import sqlalchemy as sa

    from sdm_harvester.store.tables import DERIVED, loads, records

    data = str(tmp_path / "data")
    store = Store(data, url=store_url)
    for identifier in ("kept", "dropped"):
        store.put(
            "s", identifier, f"s-{identifier}", dict(_data(identifier), disclosure="deferred"), "h", False, None, NOW
        )
    with store.database.transaction():
        store.database.conn.execute(records.update().values(classified=1))
        store.database.conn.execute(
            loads.insert().values(target="ckan", source="s", identifier="kept", hash="h", loaded_at=NOW)
        )
    store.close()

    store = Store(data, url=store_url)
    try:
        rows = store.database.read(sa.select(records))
        assert [row.identifier for row in rows] == ["kept"]
        (row,) = rows
        assert (row.classified, row.data, row.withdrawn_at is not None) == (0, None, True)
        assert all(getattr(row, name) is None for name in DERIVED)
    finally:
        store.close()


def test_migrate_from_sqlite_to_postgresql(tmp_path, pg_url):
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}])
    assert run_report(tmp_path, config)[0] == 0
    data = str(tmp_path / "data")
    before = Store(data)
    datasets, runs, state = list(before.iter_datasets()), before.runs(), before.source_state("nr")
    before.close()
    moved = sdm_harvest("store", "migrate", "--data-dir", data, "--to", pg_url)
    assert moved.returncode == 0 and "records 4" in moved.stdout and "runs 1" in moved.stdout, moved.stderr
    after = Store(data, url=pg_url)
    try:
        assert list(after.iter_datasets()) == datasets
        assert after.runs() == runs and after.source_state("nr") == state
    finally:
        after.close()
    again = sdm_harvest("store", "migrate", "--data-dir", data, "--to", pg_url)
    assert again.returncode == 2 and "is not empty (records 4" in again.stderr
    code, report = run_report(tmp_path, config, "--store", pg_url)
    assert code == 0 and report["run_id"] == 2 and report["totals"]["unchanged"] == 4
    assert "password" not in moved.stdout


def test_one_failed_write_undoes_only_itself(store):
    with store.batches(100) as tick:
        store.put("s", "a", "s-a", _data("a"), "h", False, None, NOW)
        tick()
        with pytest.raises(Exception):  # the name is taken: this record fails, not the batch
            store.put("s", "b", "s-a", _data("b"), "h", False, None, NOW)
        store.put("s", "c", "s-c", _data("c"), "h", False, None, NOW)
        tick()
    assert sorted(store.modified_marks("s")) == ["a", "c"]


def test_run_leaves_a_source_a_worker_is_harvesting_to_it(tmp_path, pg_url):
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}])
    worker = Store(str(tmp_path / "data"), url=pg_url)
    try:
        assert worker.acquire_lease("nr", "db1:4242:job", 60)
        code, report = run_report(tmp_path, config, "--store", pg_url)
        assert code == 0 and report["sources"][0]["status"] == "skipped"
        assert "being harvested by db1:4242:job" in report["sources"][0]["withdrawal"]["reason"]
        assert worker.active_count("nr") == 0
        worker.release_lease("nr", "db1:4242:job")
        code, report = run_report(tmp_path, config, "--store", pg_url)
        assert code == 0 and report["totals"]["new"] == 4 and worker.lease_holder("nr") is None
    finally:
        worker.close()


def _harvest(store, source):
    from sdm_harvester import config, pipeline

    run = config.from_dict({"sources": [source]})
    return pipeline.run(run, store, store.start_run(NOW), pipeline.Options(force=True)).sources[0]


def test_records_go_in_a_batch_at_a_time_and_one_the_store_refuses_fails_alone(tmp_path, store):
    """The pipeline stores a batch of records in a few statements
    (put_many), names a record whose name is held by its fallback, and, when
    the store refuses the batch, stores its records one at a time: only the
    refused one fails."""
    import sqlalchemy as sa

    from sdm_harvester.pipeline import dataset_names

    source = {"name": "nr", "type": "spreadsheet", "url": CSV, "department": DEPARTMENT}
    scratch = Store(str(tmp_path / "scratch"))
    try:
        assert _harvest(scratch, source).counts["new"] == 4
        names = dict(scratch.database.read(sa.text("SELECT identifier, name FROM records ORDER BY identifier")))
    finally:
        scratch.close()
    refused, renamed, *kept = names
    blocked = dataset_names("nr", refused, names[refused][len("nr-") :])
    store.put("other", "x", blocked[0], _data("x"), "h", False, None, NOW)  # both of its names held
    store.put("other", "y", blocked[1], _data("y"), "h", False, None, NOW)
    store.put("other", "z", names[renamed], _data("z"), "h", False, None, NOW)  # its first name held
    report = _harvest(store, source)
    assert report.counts["new"] == 3 and report.counts["failed"] == 1 and report.status == "partial"
    assert len(report.errors) == 1 and report.errors[0].startswith(f"nr: {refused}: internal error: ")
    held = dict(store.database.read(sa.text("SELECT identifier, name FROM records WHERE source='nr'")))
    assert held == {
        renamed: dataset_names("nr", renamed, names[renamed][len("nr-") :])[1],
        **{k: names[k] for k in kept},
    }
    again = _harvest(store, source)
    assert again.counts["unchanged"] == 3 and again.counts["failed"] == 1
