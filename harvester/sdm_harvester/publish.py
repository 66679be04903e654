"""Publish the catalogue as static feeds, one folder per audience.

    OUT/national/       catalog.ttl catalog.rdf catalog.jsonld catalog.nt   (government)
    OUT/international/  the same four, DCAT-AP 3.0.1                        (international)
    OUT/schemaorg/      catalog.jsonld                                      (public)

Past `page_size` datasets a feed continues in catalog-2.ttl, catalog-3.ttl …,
each page linked to the next by hydra:next, the way ckanext-dcat pages its
catalogue and its harvester follows it.

Datasets stream through: each is mapped once per profile (asking the
disclosure policy first) and its triples go straight to every open file,
so memory does not grow with the catalogue.  Every feed is written into a
fresh folder that replaces the old one only when complete: a reader never
sees half a feed, and pages left from a larger catalogue disappear; on any
failure the fresh folders are removed and the old feeds stay as they were.

Incremental: with an `index_dir` (the harvester's private data folder, as
the index holds a hash of every record, hidden fields included), the text
each dataset got in each file is indexed by the record's content hash
(`record_key`).  The next publish copies that text, byte for byte, from the
old file for every record whose hash it knows, and maps and renders only
the records that changed or are new.  The pages, their links and the
folder swap are as in a full publish, so the output is the same bytes.

Parallel: with `workers=2` the national feed is written by a second
process (forked; the records go to it in pickled batches) while this one
writes the international and schema.org feeds.

A stored record is checked before it is written (validation.shape_errors),
and a record whose mapping fails is left out of the feeds its mapping fails
for (every feed, but the national one when only that worker's mapping
fails, which the report shows twice): either way it is skipped and reported
by name (`summary["skipped"]`), never a reason to stop the feeds of every
other record.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
from itertools import islice
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import sdm_schema
from sdm_schema import disclosure
from sdm_schema.rdf import dcat_ap3, national, schemaorg
from sdm_schema.rdf.catalog import catalog_iri, page_triples
from sdm_schema.rdf.mapping import Profile, dataset_triples, page_vocabulary
from sdm_schema.rdf.terms import IRI
from sdm_schema.rdf.writers import WRITERS, by_subject
from sdm_schema.validation import shape_errors

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from sdm_harvester.store import Store

RDF_FORMATS = ("ttl", "rdf", "jsonld", "nt")
#: Folder name → (profile, formats written).
FEEDS = {
    "national": (national.PROFILE, RDF_FORMATS),
    "international": (dcat_ap3.PROFILE, RDF_FORMATS),
    "schemaorg": (schemaorg.PROFILE, ("jsonld",)),
}
#: With two workers: the feeds the second process writes (about half the work).
SECOND_WORKER = ("national",)
_BUFFER = 1 << 20
_BATCH = 200


def page_name(number: int, extension: str) -> str:
    return f"catalog.{extension}" if number == 1 else f"catalog-{number}.{extension}"


def record_key(record: Mapping, today: dt.date | None = None) -> str:
    """What decides a record's text in every feed: its content, and whether
    its embargo runs today (the one thing of the policy that changes with the
    day, disclosure.embargo_active).  A dict whose keys come in another order
    hashes otherwise: that costs a re-render, never a wrong text."""
    digest = hashlib.blake2b(pickle.dumps(record, protocol=5), digest_size=16)
    digest.update(b"E" if disclosure.embargo_active(record, today) else b"-")
    return digest.hexdigest()


@functools.cache
def _code_fingerprint() -> str:
    """The mapping's own version: a changed rule, code list or writer makes
    every indexed text stale."""
    digest = hashlib.blake2b(digest_size=16)
    root = os.path.dirname(sdm_schema.__file__)
    for folder, dirs, names in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".py", ".yaml")):
                with open(os.path.join(folder, name), "rb") as f:
                    digest.update(name.encode() + f.read())
    return digest.hexdigest()


class _Counted:
    """A page file that knows its length in bytes, so that each dataset's
    text is indexed where it lies."""

    def __init__(self, path: str) -> None:
        self.raw = open(path, "wb", buffering=_BUFFER)
        self.pos = 0

    def write(self, text: str) -> None:
        self.write_bytes(text.encode("utf-8"))

    def write_bytes(self, data: bytes) -> None:
        self.raw.write(data)
        self.pos += len(data)

    def close(self) -> None:
        self.raw.close()


class _Previous:
    """The last publish of a feed, as far as its index says: the text of
    each record it holds, read back from its files."""

    def __init__(self, folder: str, index_path: str | None, version: str, formats: Sequence[str]) -> None:
        self.folder, self.formats = folder, formats
        self.chunks: dict = {}
        self._fds: dict = {}
        if not index_path or not os.path.exists(index_path) or not os.path.isdir(folder):
            return
        with open(index_path, encoding="utf-8") as f:
            index = json.load(f)
        if (
            index.get("version") == version
            and tuple(index.get("formats", ())) == tuple(formats)
            and index.get("files") == _file_stats(folder)
        ):
            self.chunks = index["chunks"]

    def knows(self, key: str) -> bool:
        return key in self.chunks

    def texts(self, key: str) -> list | None:
        """The bytes the record had in each format; None if the feed left it out."""
        entry = self.chunks[key]
        if entry is None:
            return None
        page, offsets = entry[0], entry[1:]
        out = []
        for number, extension in enumerate(self.formats):
            start, end = offsets[2 * number], offsets[2 * number + 1]
            out.append(os.pread(self._fd(page, extension), end - start, start))
        return out

    def _fd(self, page: int, extension: str) -> int:
        name = page_name(page, extension)
        if name not in self._fds:
            self._fds[name] = os.open(os.path.join(self.folder, name), os.O_RDONLY)
        return self._fds[name]

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}


class PagedFeed:
    """One feed in several formats, cut into pages as datasets arrive."""

    def __init__(
        self,
        folder: str,
        feed_url: str,
        profile: Profile,
        formats: Sequence[str],
        catalog_info: Mapping,
        page_size: int,
        previous: _Previous | None = None,
    ) -> None:
        self.folder, self.feed_url = folder, feed_url.rstrip("/")
        self.profile, self.formats = profile, formats
        self.catalog_info, self.page_size = catalog_info, page_size
        self.catalog = catalog_iri(catalog_info)
        self.link = IRI(profile.dataset_link)
        # written once, the same on every page
        self.header = list(profile.catalog(catalog_info)) + list(page_vocabulary(profile))
        self.page = 0
        self.on_page = 0
        self.datasets = 0
        self.writers: list = []
        self.previous = previous
        #: record key → None (left out) or [page, start, end per format]
        self.index: dict = {}
        self.reused = 0

    def url(self, number: int, extension: str) -> str:
        return f"{self.feed_url}/{page_name(number, extension)}"

    def _open(self):
        self.page += 1
        self.on_page = 0
        self.writers = []
        for extension in self.formats:
            out = _Counted(os.path.join(self.folder, page_name(self.page, extension)))
            writer = WRITERS[extension](out, self.profile.prefixes)
            writer.begin()
            writer.write(self.header)
            self.writers.append(writer)

    def _close(self, has_next: bool):
        for writer, extension in zip(self.writers, self.formats, strict=False):
            writer.write(
                page_triples(
                    self.url(self.page, extension),
                    first=self.url(1, extension),
                    previous=self.url(self.page - 1, extension) if self.page > 1 else None,
                    next_=self.url(self.page + 1, extension) if has_next else None,
                    items=self.page_size,
                )
            )
            writer.end()
            writer.out.close()
        self.writers = []

    def _next_slot(self):
        if not self.writers:
            self._open()
        elif self.on_page == self.page_size:
            # only now is it known that the full page has a next one
            self._close(has_next=True)
            self._open()

    def add(self, subject: IRI, triples: list, key: str | None = None) -> None:
        triples.append((self.catalog, self.link, subject))
        groups = by_subject(triples)  # once for every format
        self.add_texts([writer.render_subjects(groups).encode("utf-8") for writer in self._slot()], key)

    def _slot(self) -> list:
        self._next_slot()
        return self.writers

    def add_texts(self, texts: list, key: str | None = None) -> None:
        """Write one dataset's text in each format (rendered now, or copied
        from the last publish)."""
        if not self.writers or self.on_page == self.page_size:
            self._next_slot()
        entry = [self.page]
        for writer, data in zip(self.writers, texts, strict=False):
            writer.out.write(writer.separator(data))  # JSON-LD's comma: not the dataset's
            entry += (writer.out.pos, writer.out.pos + len(data))
            writer.out.write_bytes(data)
        if key is not None:
            self.index[key] = entry
        self.on_page += 1
        self.datasets += 1

    def leave_out(self, key: str | None) -> None:
        if key is not None:
            self.index[key] = None

    def finish(self) -> None:
        if not self.writers:  # an empty catalogue still gets its catalogue page
            self._open()
        self._close(has_next=False)

    def abandon(self) -> None:
        for writer in self.writers:
            writer.out.close()
        self.writers = []


def publish(
    datasets: Iterable[Mapping],
    out_dir: str,
    page_size: int = 1000,
    catalog_info: Mapping | None = None,
    feeds_url: str | None = None,
    today: dt.date | None = None,
    index_dir: str | None = None,
    workers: int = 1,
) -> dict:
    """Write every feed of the catalogue under `out_dir`.

    `datasets` yields SDM dataset dicts (package_show shape, with resources);
    `catalog_info` describes the catalogue (sdm_schema.rdf.catalog), its
    `base_url` naming datasets that carry no `uri`; `feeds_url` is where
    `out_dir` is served (default `{base_url}/feeds`), for the page links.
    `index_dir` (private) keeps what an incremental publish reuses;
    `workers` (1 or 2) the processes that write.
    Returns {feed: {"datasets": n, "pages": n, "reused": n}, "skipped": [...]}.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    if workers not in (1, 2):
        raise ValueError("workers must be 1 or 2")
    info = dict(catalog_info or {})
    if not info.get("base_url"):
        raise ValueError("catalog_info needs a base_url")
    feeds_url = (feeds_url or f"{info['base_url'].rstrip('/')}/feeds").rstrip("/")
    os.makedirs(out_dir, exist_ok=True)
    if index_dir:
        os.makedirs(index_dir, exist_ok=True)
    job = _Job(out_dir, page_size, info, feeds_url, today, index_dir)
    if workers == 1:
        summary, skipped = job.run(list(FEEDS), iter(datasets))
    else:
        summary, skipped = _in_two(job, datasets)
    for name in FEEDS:
        _replace(os.path.join(out_dir, f".{name}.new"), os.path.join(out_dir, name))
        if index_dir:
            _replace(_index_path(index_dir, name) + ".new", _index_path(index_dir, name))
    summary["skipped"] = skipped
    return summary


def publish_store(
    store: Store,
    data_dir: str,
    out_dir: str,
    base_url: str,
    feeds_url: str | None = None,
    page_size: int = 1000,
    workers: int = 1,
    full: bool = False,
    register_url: str | None = None,
) -> dict:
    """The feeds of a harvester's store (`sdm-harvest publish`, the publish
    job of the workers): every record with its latest evaluation (DQV),
    incrementally through the index kept in the data folder; `full`
    rebuilds that index.  The national catalogue links the register of
    authorised use at `register_url`, else at $SDM_REGISTER_URL (the CKAN
    site's /authorisations; the harvester keeps no register), else nowhere."""
    from sdm_harvester.evaluate import with_measurements  # the evaluation imports the link checker

    index_dir = os.path.join(data_dir, "publish-index")
    if full:
        shutil.rmtree(index_dir, ignore_errors=True)
    return publish(
        with_measurements(data_dir, store.iter_datasets()),
        out_dir,
        page_size=page_size,
        catalog_info={"base_url": base_url, "register": register_url or os.environ.get(REGISTER_ENV)},
        feeds_url=feeds_url,
        index_dir=index_dir,
        workers=workers,
    )


#: Where the register of authorised use is served, for every publish (the
#: command, the workers' job, run --publish-out).
REGISTER_ENV = "SDM_REGISTER_URL"


def _index_path(index_dir: str, name: str) -> str:
    return os.path.join(index_dir, f"{name}.json")


def _file_stats(folder: str) -> dict:
    """Size and modification time of every file of a feed folder: an index
    only describes the files it was written with, so a folder another
    publisher (or a restore) has rewritten makes it stale."""
    if not os.path.isdir(folder):
        return {}
    return {
        entry.name: [entry.stat().st_size, entry.stat().st_mtime_ns] for entry in os.scandir(folder) if entry.is_file()
    }


class _Job:
    """One publish's settings, the same in both workers."""

    def __init__(
        self, out_dir: str, page_size: int, info: dict, feeds_url: str, today: dt.date | None, index_dir: str | None
    ) -> None:
        self.out_dir, self.page_size, self.info = out_dir, page_size, info
        self.feeds_url, self.today, self.index_dir = feeds_url, today, index_dir
        self.version = hashlib.blake2b(
            json.dumps([_code_fingerprint(), info, feeds_url, str(page_size)], sort_keys=True, default=str).encode(),
            digest_size=16,
        ).hexdigest()

    def _feed(self, name: str) -> PagedFeed:
        profile, formats = FEEDS[name]
        folder = os.path.join(self.out_dir, f".{name}.new")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        previous = None
        if self.index_dir:
            previous = _Previous(
                os.path.join(self.out_dir, name), _index_path(self.index_dir, name), self.version, formats
            )
        return PagedFeed(folder, f"{self.feeds_url}/{name}", profile, formats, self.info, self.page_size, previous)

    def run(self, names: Iterable[str], records: Iterable[Mapping]) -> tuple:
        """Write the feeds `names` into their .new folders (and indexes);
        ({feed: counts}, skipped).  On failure nothing half-written stays."""
        feeds, skipped = {}, []
        try:
            for name in names:
                feeds[name] = self._feed(name)
            for record in records:
                self._one(record, feeds, skipped)
            summary = {}
            for name, feed in feeds.items():
                feed.finish()
                self._write_index(name, feed)
                summary[name] = {"datasets": feed.datasets, "pages": feed.page, "reused": feed.reused}
            return summary, skipped
        except BaseException:
            for feed in feeds.values():
                feed.abandon()
                shutil.rmtree(feed.folder, ignore_errors=True)
            raise
        finally:
            for feed in feeds.values():
                if feed.previous:
                    feed.previous.close()

    def _one(self, record: Mapping, feeds: dict[str, PagedFeed], skipped: list) -> None:
        key = record_key(record, self.today) if self.index_dir else None
        fresh = []
        for feed in feeds.values():
            if key is not None and feed.previous.knows(key):
                texts = feed.previous.texts(key)
                if texts is None:
                    feed.leave_out(key)
                else:
                    feed.add_texts(texts, key)
                    feed.reused += 1
            else:
                fresh.append(feed)
        if not fresh:
            return
        mapped = _mapped(record, fresh, self.info["base_url"], self.today, skipped)
        for feed, (subject, triples) in zip(fresh, mapped, strict=False):
            if subject is None:
                feed.leave_out(key)
            else:
                feed.add(subject, triples, key)

    def _write_index(self, name: str, feed: PagedFeed) -> None:
        if not self.index_dir:
            return
        with open(_index_path(self.index_dir, name) + ".new", "w", encoding="utf-8") as f:
            # dumps, not dump: dump streams through the pure-Python encoder
            f.write(
                json.dumps(
                    {
                        "version": self.version,
                        "formats": feed.formats,
                        "chunks": feed.index,
                        "files": _file_stats(feed.folder),
                    }
                )
            )


def _second_worker(job: _Job, conn: Connection) -> None:
    """The forked worker: the SECOND_WORKER feeds from the batches it is sent."""

    def records():
        while True:
            batch = conn.recv()
            if batch is None:
                return
            yield from batch

    try:
        conn.send(("ok", job.run(list(SECOND_WORKER), records())))
    except BaseException as error:  # the parent reports it
        conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()


def _in_two(job: _Job, datasets: Iterable[Mapping]) -> tuple:
    """Both processes read every record: this one sends each batch to the
    other before writing its own feeds from it."""
    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    child = context.Process(target=_second_worker, args=(job, theirs), daemon=True)
    child.start()
    theirs.close()

    def records():
        stream = iter(datasets)
        while batch := list(islice(stream, _BATCH)):
            mine.send(batch)
            yield from batch
        mine.send(None)

    try:
        summary, skipped = job.run([n for n in FEEDS if n not in SECOND_WORKER], records())
        status, result = mine.recv()
    except BaseException:
        child.kill()
        raise
    finally:
        child.join()
    if status != "ok":
        for name in FEEDS:
            shutil.rmtree(os.path.join(job.out_dir, f".{name}.new"), ignore_errors=True)
        raise RuntimeError(f"the second publish worker failed: {result}")
    their_summary, their_skipped = result
    summary.update(their_summary)
    seen = {json.dumps(entry, sort_keys=True) for entry in skipped}  # both check every record
    skipped += [e for e in their_skipped if json.dumps(e, sort_keys=True) not in seen]
    return {name: summary[name] for name in FEEDS}, skipped


def _name(record: Mapping) -> str:
    return str(record.get("name") or record.get("id") or record.get("uri") or "?")


def _mapped(record: Mapping, feeds: Sequence[PagedFeed], base_url: str, today: dt.date | None, skipped: list) -> list:
    """The record's triples for every feed, or for none: a record that is
    malformed, or whose mapping fails, is skipped and reported."""
    errors = shape_errors(record)
    if errors:
        skipped.append(
            {
                "record": _name(record),
                "source": record.get("harvest_source"),
                "fields": [{"field": e.field, "messages": dict(e.messages)} for e in errors],
            }
        )
        return []
    try:
        return [dataset_triples(record, feed.profile, base_url, today) for feed in feeds]
    except Exception as error:  # one record's bug must not freeze every feed
        skipped.append(
            {
                "record": _name(record),
                "source": record.get("harvest_source"),
                "fields": [
                    {
                        "field": "dataset",
                        "messages": {
                            "zh-Hans": f"映射失败：{type(error).__name__}: {error}",
                            "en": f"mapping failed: {type(error).__name__}: {error}",
                        },
                    }
                ],
            }
        )
        return []


def _replace(new: str, target: str):
    """Swap a finished feed folder (or index) in for the old one."""
    old = target + ".old"
    _remove(old)
    if os.path.exists(target):
        os.rename(target, old)
    os.rename(new, target)
    _remove(old)


def _remove(path: str):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)
