"""Incremental and parallel publish give the bytes a full publish gives,
and an incremental one maps and renders only the records that changed."""

import datetime as dt
import itertools
import json
import os

import pytest
from disclosure_cases import combinations
from feed_files import same_feeds
from rdf_helpers import BASE, TODAY

from sdm_harvester import publish as publishing
from sdm_harvester import publish_pages as publishing_pages
from sdm_harvester.publish import FEEDS, publish

INFO = {"base_url": BASE}


def _records(open_record):
    """The disclosure combinations and twelve open datasets, over several pages."""
    opened = [
        dict(
            open_record,
            id=f"{open_record['id']}-{n}",
            name=f"open-{n}",
            title_translated={"zh-Hans": f"数据集 {n}", "en": f"Set {n}"},
        )
        for n in range(12)
    ]
    return [r for _t, _k, r in combinations()] + opened


def _counting(monkeypatch):
    mapped = []
    real = publishing.dataset_triples

    def counting(record, profile, base_url, today=None):
        mapped.append((record["name"], profile.name))
        return real(record, profile, base_url, today)

    monkeypatch.setattr(publishing, "dataset_triples", counting)
    return mapped


def test_incremental_publish_renders_only_what_changed(open_record, tmp_path, monkeypatch):
    records = _records(open_record)
    out, index = tmp_path / "feeds", tmp_path / "index"
    publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))

    changed = [dict(r) for r in records]
    changed[-3]["title_translated"] = {"zh-Hans": "改过的标题", "en": "A changed title"}
    changed.insert(4, dict(open_record, id="new-one", name="new-one"))  # shifts every later page
    mapped = _counting(monkeypatch)
    summary = publish(changed, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    assert {name for name, _profile in mapped} == {"open-9", "new-one"}
    assert summary["national"]["reused"] == summary["national"]["datasets"] - 2

    monkeypatch.undo()
    full = tmp_path / "full"
    publish(changed, str(full), page_size=5, catalog_info=INFO, today=TODAY)
    same_feeds(out, full)


def test_a_new_day_renders_again_what_the_day_changes(open_record, tmp_path, monkeypatch):
    deferred = dict(
        open_record,
        id="deferred",
        name="deferred",
        disclosure="deferred",
        deferral_reason="paper",
        embargo_until="2025-06-01",
    )
    records = [deferred, open_record]
    out, index = tmp_path / "feeds", tmp_path / "index"
    publish(records, str(out), catalog_info=INFO, today=TODAY, index_dir=str(index))
    mapped = _counting(monkeypatch)
    later = dt.date(2025, 7, 1)
    publish(records, str(out), catalog_info=INFO, today=later, index_dir=str(index))
    assert {name for name, _profile in mapped} == {"deferred"}
    monkeypatch.undo()
    publish(records, str(tmp_path / "full"), catalog_info=INFO, today=later)
    same_feeds(out, tmp_path / "full")


def test_three_workers_write_what_one_writes(open_record, tmp_path, monkeypatch):
    """Slices of four records rendered by three processes, cut into pages of
    five here: slices and pages do not line up, the bytes are the same."""
    monkeypatch.setattr(publishing, "CHUNK", 4)
    records = _records(open_record)
    one = publish(records, str(tmp_path / "one"), page_size=5, catalog_info=INFO, today=TODAY)
    three = publish(iter(records), str(tmp_path / "three"), page_size=5, catalog_info=INFO, today=TODAY, workers=3)
    assert one == three
    same_feeds(tmp_path / "one", tmp_path / "three")
    assert sorted(os.listdir(tmp_path)) == ["one", "three"]  # no staging, no .new left


def _inodes(out):
    """Of every page file (the change log is written each time)."""
    return {(name, page.name): page.stat().st_ino for name in FEEDS for page in (out / name).glob("catalog*")}


def test_one_changed_dataset_rewrites_one_page_per_format(open_record, tmp_path, monkeypatch):
    """Every other page file is the current feed's own (a hard link); the
    feeds equal a full publish, also when a page more is needed."""
    monkeypatch.setattr(publishing, "CHUNK", 4)
    records = _records(open_record)
    out, index = tmp_path / "feeds", tmp_path / "index"
    publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    before = _inodes(out)
    changed = [dict(r) for r in records]
    changed[-8]["title_translated"] = {"zh-Hans": "改过的标题", "en": "A changed title"}
    summary = publish(changed, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index), workers=2)
    after = _inodes(out)
    assert before.keys() == after.keys()
    rewritten = {key for key in after if after[key] != before[key]}
    for name, (_profile, formats) in FEEDS.items():  # its page number depends on what the feed leaves out
        pages = {file.split(".")[0] for feed, file in rewritten if feed == name}
        assert len(pages) == 1, (name, rewritten)
        page = pages.pop()
        assert {file for feed, file in rewritten if feed == name} == {f"{page}.{ext}" for ext in formats}
    assert all(summary[name]["written"] == 1 for name in FEEDS)
    publish(changed, str(tmp_path / "full"), page_size=5, catalog_info=INFO, today=TODAY)
    same_feeds(out, tmp_path / "full")

    # the last page filled and one more begun: the old last page gets its
    # hydra:next, the new one is written, the rest stay
    held, pages = summary["national"]["datasets"], summary["national"]["pages"]
    more = [dict(open_record, id=f"more-{n}", name=f"more-{n}") for n in range(5 * pages - held + 1)]
    grown = [*changed, *more]
    summary = publish(grown, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    assert summary["national"]["pages"] == pages + 1 and summary["national"]["written"] == 2
    publish(grown, str(tmp_path / "full-2"), page_size=5, catalog_info=INFO, today=TODAY)
    same_feeds(out, tmp_path / "full-2")


def _key_lookups(monkeypatch):
    """The statements in which an index is asked for records one key at a
    time (`Previous.states` without a known slice), as they run."""
    asked = []
    real = publishing_pages.Previous._open

    def traced(self):
        db = real(self)
        db.set_trace_callback(lambda sql: asked.append(sql) if "count(*)" in sql else None)
        return db

    monkeypatch.setattr(publishing_pages.Previous, "_open", traced)
    return asked


def test_a_slice_seen_again_is_known_by_its_digest_not_by_its_keys(open_record, tmp_path, monkeypatch):
    """The map cuts its slices where the records' keys say: an unchanged
    catalogue asks no key of the index, and a record inserted in the
    middle makes only the slice it falls in (or the two it splits that
    into) ask key by key; the feeds still equal a full publish."""
    monkeypatch.setattr(publishing, "CHUNK", 4)
    records = [dict(open_record, id=f"r-{n}", name=f"r-{n}") for n in range(80)]
    out, index = tmp_path / "feeds", tmp_path / "index"
    publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    asked = _key_lookups(monkeypatch)
    again = publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    assert asked == [] and again["national"]["written"] == 0

    grown = [*records[:40], dict(open_record, id="new", name="new"), *records[40:]]
    summary = publish(grown, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    assert 0 < len(asked) <= 2 * len(FEEDS), asked
    assert summary["national"]["reused"] == len(records)
    publish(grown, str(tmp_path / "full"), page_size=5, catalog_info=INFO, today=TODAY)
    same_feeds(out, tmp_path / "full")


def test_an_index_of_files_rewritten_since_is_not_trusted(tmp_path):
    """Another publisher (or a restore) rewrote the folder: the index no
    longer describes its bytes, so nothing is copied from it."""
    from rdf_helpers import load_example

    records = [load_example("sdm_dataset_full")]
    out, index = tmp_path / "feeds", tmp_path / "index"
    publish(records, str(out), catalog_info={"base_url": BASE}, today=TODAY, index_dir=str(index))
    page = next((out / "national").glob("catalog*.ttl"))
    page.write_bytes(page.read_bytes().replace(b"sdm:", b"sdm:") + b"\n")  # same text, rewritten file
    again = publish(records, str(out), catalog_info={"base_url": BASE}, today=TODAY, index_dir=str(index))
    assert again["national"]["reused"] == 0
    assert again["international"]["reused"] == 1


def _log(out, feed):
    return json.loads((out / feed / "changes.jsonld").read_text(encoding="utf-8"))


def test_each_feed_has_a_change_log_of_what_it_shows(open_record, tmp_path):
    """An ActivityStreams list, oldest first: an Update per dataset the feed
    holds (when its record last changed), a Delete for one it no longer
    holds — withdrawn, or no longer for that audience — and nothing of
    a dataset the feed never showed.  Linked from every catalogue page."""
    records = [dict(r, harvest_updated=f"2025-01-{n + 1:02d}T00:00:00") for n, r in enumerate(_records(open_record))]
    out, index = tmp_path / "feeds", tmp_path / "index"
    publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    first = {feed: _log(out, feed) for feed in FEEDS}
    for feed in FEEDS:
        shown = {d["object"]["id"] for d in first[feed]["orderedItems"]}
        pages = "".join(p.read_text(encoding="utf-8") for p in (out / feed).glob("catalog*.jsonld"))
        assert all(f'"{iri}"' in pages for iri in shown) and first[feed]["totalItems"] == len(shown)
        assert {d["type"] for d in first[feed]["orderedItems"]} == {"Update"}
    assert len(first["international"]["orderedItems"]) < len(records)  # not every record is for every audience
    page = (out / "national" / "catalog-2.ttl").read_text(encoding="utf-8")
    assert f"<{BASE}/feeds/national/catalog-2.ttl> a hydra:PartialCollectionView" in page
    assert f"rdfs:seeAlso <{BASE}/feeds/national/changes.jsonld>" in page

    gone, edited = records[-1], dict(records[-2], harvest_updated="2025-03-01T00:00:00")
    publish([*records[:-2], edited], str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    items = _log(out, "national")["orderedItems"]
    by_type = {}
    for item in items:
        by_type.setdefault(item["type"], []).append(item)
    assert [d["object"]["id"] for d in by_type["Delete"]] == [f"{BASE}/dataset/{gone['id']}"]
    assert items[-1]["type"] == "Delete" and items[-1]["endTime"] > "2026"  # this publish: the newest
    assert items[-2]["endTime"] == "2025-03-01T00:00:00" and items[-2]["object"]["id"].endswith(edited["id"])
    assert [d["endTime"] for d in items] == sorted(d["endTime"] for d in items)
    # the Delete stays in the next log, with its time
    publish([*records[:-2], edited], str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    assert _log(out, "national")["orderedItems"] == items


def test_a_dataset_gone_is_a_delete_from_the_index_alone(open_record, tmp_path, monkeypatch):
    """The Deletes come from the last index, not from reading the last log:
    a dataset the last log never listed (it was withdrawn before any log
    was written) is still found gone, and the log is never read whole."""
    records = _records(open_record)
    out, index = tmp_path / "feeds", tmp_path / "index"
    publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    monkeypatch.setattr(publishing_pages, "_read_log", _never)
    gone = records[6]
    publish([*records[:6], *records[7:]], str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    deletes = [d["object"]["id"] for d in _log(out, "national")["orderedItems"] if d["type"] == "Delete"]
    assert deletes == [f"{BASE}/dataset/{gone['id']}"]
    log = (out / "national" / "changes.jsonld").read_text(encoding="utf-8").splitlines()
    assert log[1] == '"orderedItems": [' and all(line.startswith('{"type": ') for line in log[2:-1])


def _never(path):
    raise AssertionError(f"the change log {path} was read: the index says what is gone")


def _store(tmp_path, records):
    from sdm_harvester.store import Store

    store = Store(str(tmp_path / "data"))
    for n, record in enumerate(records):
        record = dict(record, origin=f"{BASE}/origin/{n}")  # one dataset each, not copies of one
        store.put("city", f"c{n}", record["name"], record, f"h{n}", False, None, "2025-01-01T00:00:00+00:00")
    return store


def _decoding(monkeypatch):
    """The names of the stored records decoded (mapped or checked for an embargo)."""
    from sdm_harvester.store.records import Publishable

    decoded = []
    real = Publishable.dataset

    def counting(self, data=None):
        decoded.append(self.name)
        return real(self, data)

    monkeypatch.setattr(Publishable, "dataset", counting)
    return decoded


def test_a_store_publish_decodes_only_what_changed(open_record, tmp_path, monkeypatch):
    """Through the store, an unchanged record is known by its stored hash,
    its measurements and its embargo as the store reads it: not decoded
    (once indexed, its content not even read).  A changed record, a changed
    evaluation and an embargo that ends today are rendered again; the
    feeds equal a full publish of the same records."""
    from sdm_harvester.evaluate import EvaluationStore, with_measurements
    from sdm_harvester.publish import store_records

    deferred = dict(
        open_record, name="deferred", disclosure="deferred", deferral_reason="paper", embargo_until="2025-06-01"
    )
    records = [*_records(open_record)[-6:], deferred]
    store = _store(tmp_path, records)
    data, out, index = str(tmp_path / "data"), tmp_path / "feeds", str(tmp_path / "index")

    def again(day):
        decoded = _decoding(monkeypatch)
        records = store_records(store, data, lazy=os.path.exists(index))  # as publish_store reads them
        summary = publish(records, str(out), page_size=3, catalog_info=INFO, today=day, index_dir=index)
        monkeypatch.undo()
        full = tmp_path / f"full-{len(os.listdir(tmp_path))}"
        publish(with_measurements(data, store.iter_datasets()), str(full), page_size=3, catalog_info=INFO, today=day)
        same_feeds(out, full)
        return set(decoded), summary

    assert len(again(TODAY)[0]) == len(records)
    assert again(TODAY)[0] == set()  # not one decoded: the store read the embargo of the deferred one

    edited = dict(records[1], origin=f"{BASE}/origin/1", title_translated={"zh-Hans": "新标题", "en": "New title"})
    store.put("city", "c1", edited["name"], edited, "h1-edited", False, None, "2025-02-01T00:00:00+00:00")
    assert again(TODAY)[0] == {edited["name"]}

    kept = EvaluationStore(data)
    with kept.db:
        kept.db.execute("INSERT INTO measurements VALUES (?, ?)", (records[3]["name"], '{"score": 80.0}'))
    kept.close()
    assert again(TODAY)[0] == {records[3]["name"]}

    decoded, summary = again(dt.date(2025, 6, 1))  # the embargo ends today: its files are listed now
    assert decoded == {"deferred"} and summary["national"]["written"] == 1

    reads = []  # the contents of the records to map come in one read, not one a record
    real = type(store).stored_contents
    monkeypatch.setattr(type(store), "stored_contents", lambda self, keys: reads.append(len(keys)) or real(self, keys))
    for n in (2, 4):
        edited = dict(records[n], origin=f"{BASE}/origin/{n}", version=f"v{n}")
        store.put("city", f"c{n}", edited["name"], edited, f"h{n}-edited", False, None, "2025-03-01T00:00:00+00:00")
    assert again(dt.date(2025, 6, 1))[0] == {records[2]["name"], records[4]["name"]} and reads == [2]
    store.close()


def test_a_failed_publish_leaves_the_feeds_and_their_index(open_record, tmp_path):
    """The records stop coming half-way: the old feeds stay, byte for byte,
    and so does their index — the next publish takes every page from them."""
    records = _records(open_record)
    out, index = tmp_path / "feeds", tmp_path / "index"
    first = publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}

    def failing():
        yield from records[:7]
        raise RuntimeError("the store went away")

    changed = [dict(r, title_translated={"zh-Hans": "别的", "en": "Other"}) for r in records[:7]]
    with pytest.raises(RuntimeError):
        publish(itertools.chain(changed, failing()), str(out), page_size=5, catalog_info=INFO, index_dir=str(index))
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    assert sorted(os.listdir(index)) == sorted(f"{name}.sqlite" for name in FEEDS)
    again = publish(records, str(out), page_size=5, catalog_info=INFO, today=TODAY, index_dir=str(index))
    assert all(again[name]["written"] == 0 and again[name]["reused"] == first[name]["datasets"] for name in FEEDS)
