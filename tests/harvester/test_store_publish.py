"""A store's publish in several processes has them read the store: in
ranges cut where the records' keys say, each read, keyed, triaged and
rendered by one process, this one only cutting the pages.  The feeds are
those of a publish in one process, on SQLite and on PostgreSQL, after
edits and insertions too; an insertion changes the range it falls in and
no other."""

import json
import os

import pytest
from feed_files import same_feeds
from scale_services import pg_url, scale_services, store_url  # noqa: F401 (fixtures)

from sdm_harvester import publish as publishing
from sdm_harvester.publish import FEEDS, publish_store
from sdm_harvester.store import Store

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = "https://data.example.cn"
WHEN = "2025-01-01T00:00:00+00:00"


def _record(number):
    """The full example, one of many: open or deferred, titled by number."""
    with open(os.path.join(ROOT, "examples", "ckan", "sdm_dataset_full.json"), encoding="utf-8") as f:
        record = json.load(f)
    record = dict(record, id=f"id-{number}", name=f"dataset-{number}", origin=f"{BASE}/origin/{number}")
    record["title_translated"] = {lang: f"{text} #{number}" for lang, text in record["title_translated"].items()}
    if number % 3:
        record.update(disclosure="public", open_attribute="unconditional")
    return record


def _put(store, numbers, version=None):
    for number in numbers:
        record = _record(number) if version is None else dict(_record(number), version=version)
        store.put("city", f"c{number:03d}", record["name"], record, f"h{number}-{version}", False, None, WHEN)


@pytest.fixture
def small_slices(monkeypatch):
    """Ranges of some eight records (sixteen at most) and slices of some
    four: many of each."""
    monkeypatch.setattr(publishing, "_RANGE", 8)
    monkeypatch.setattr(publishing, "_RANGE_MOST", 16)
    monkeypatch.setattr(publishing, "CHUNK", 4)


def test_processes_that_read_the_store_write_what_one_writes(tmp_path, store_url, small_slices):  # noqa: F811
    store = Store(str(tmp_path / "data"), url=store_url)
    try:
        _put(store, range(0, 80, 2))
        data = str(tmp_path / "data")

        def published(out, workers, **options):
            return publish_store(store, data, str(tmp_path / out), BASE, page_size=5, workers=workers, **options)

        first = published("feeds", 2)
        assert all(first[name]["datasets"] and not first[name]["reused"] for name in FEEDS)
        again = published("feeds", 2)
        assert all(again[name]["written"] == 0 for name in FEEDS)  # nothing changed, nothing written

        _put(store, [10], version="V-edited")  # one edited, two new ones among the others
        _put(store, [11, 51])
        changed = published("feeds", 2)
        assert all(changed[name]["reused"] >= changed[name]["datasets"] - 3 for name in FEEDS)
        # the index is the data folder's: each full publish below starts afresh
        one = published("one", 1, full=True)
        same_feeds(tmp_path / "feeds", tmp_path / "one")
        assert published("two", 2, full=True) == one
        same_feeds(tmp_path / "two", tmp_path / "one")
    finally:
        store.close()


def test_an_insertion_changes_the_range_it_falls_in_and_no_other(tmp_path, small_slices, monkeypatch):
    monkeypatch.setattr(publishing, "_RANGE_MOST", 10_000)  # ranges cut by hash alone
    store = Store(str(tmp_path / "data"))
    try:
        _put(store, range(0, 200, 2))

        def ranges():
            return {
                (start, stop): [r.name for r in store.iter_publishable(start, stop)]
                for start, stop in publishing._store_ranges(store)
            }

        before = ranges()
        assert len(before) > 5 and sum(map(len, before.values())) == 100
        _put(store, [101])
        after = ranges()
        changed = [bounds for bounds, names in after.items() if before.get(bounds) != names]
        replaced = [bounds for bounds, names in before.items() if after.get(bounds) != names]
        assert len(replaced) == 1 and len(changed) in (1, 2)  # the range it joined, or the two it split that into
        assert sorted(name for bounds in changed for name in after[bounds]) == sorted(
            [*before[replaced[0]], "dataset-101"]
        )
    finally:
        store.close()


def test_no_range_holds_more_than_its_most(tmp_path, monkeypatch):
    """Cut by hash alone, a range's size is unbounded (mostly small, now and
    then many times the average): a range also ends at _RANGE_MOST records,
    and the ranges still hold every record once, in the store's order."""
    monkeypatch.setattr(publishing, "_RANGE", 1_000_000)  # no key hashes to a cut
    monkeypatch.setattr(publishing, "_RANGE_MOST", 7)
    store = Store(str(tmp_path / "data"))
    try:
        _put(store, range(30))
        held = [
            [r.name for r in store.iter_publishable(start, stop)] for start, stop in publishing._store_ranges(store)
        ]
        assert [len(names) for names in held] == [7, 7, 7, 7, 2]
        assert [name for names in held for name in names] == [r.name for r in store.iter_publishable()]
    finally:
        store.close()
