"""Publish the catalogue as static feeds, one folder per audience.

    OUT/national/       catalog.ttl catalog.rdf catalog.jsonld catalog.nt   (government)
    OUT/international/  the same four, DCAT-AP 3.0.1                        (international)
    OUT/schemaorg/      catalog.jsonld                                      (public)

Past `page_size` datasets a feed continues in catalog-2.ttl, catalog-3.ttl …,
each page linked to the next by hydra:next, the way ckanext-dcat pages its
catalogue and its harvester follows it.

A publish is a map and a reduce.  The map (`render_chunk`) takes a
contiguous slice of the stored records, in store order, maps each record
once per profile (asking the disclosure policy first) and renders it in
every format of every feed into fragment files, noting which records each
feed left out.  The reduce (publish_pages.FeedPages) cuts the fragments of
every slice, in order, into each feed's pages.  `publish(workers=N)` runs
the map in N local processes; the rq jobs of a split publish
(workqueue.publish_job) run the same map on workers and the reduce in the
last job.  Memory does not grow with the catalogue: a few slices are
rendered at a time, a page at a time waits to be written, and the index
and change log of each feed are a SQLite file read by key and written as
the pages are cut (publish_pages.Previous, NewIndex).

Every feed is written into a fresh folder that replaces the old one only
when complete: a reader never sees half a feed, and pages left from a
larger catalogue disappear; on any failure the fresh folders are removed
and the old feeds stay as they were.

Incremental: with an `index_dir` (the harvester's private data folder, as
the index holds a hash of every record, hidden fields included), each
record is known by its content hash (`record_key`) and each page by the
hash of its records' keys, its links and the code's fingerprint.  The next
publish maps and renders only the records it does not know, takes every
page whose hash is unchanged from the current feed as it is (a hard link),
and writes the other pages with the unchanged records' texts copied byte
for byte from the old files: the output is the bytes a full publish writes.

A stored record is checked before it is written (validation.shape_errors),
and a record whose mapping fails is left out of every feed: it is skipped
and reported by name (`summary["skipped"]`), never a reason to stop the
feeds of every other record.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import multiprocessing
import operator
import os
import pickle
import shutil
import zlib
from itertools import islice
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

import sdm_schema
from sdm_harvester.publish_pages import CHANGES, OLD, FeedPages, PagedFeed, Previous, modified, page_name, publish_time
from sdm_schema import disclosure
from sdm_schema.rdf import dcat_ap3, national, schemaorg
from sdm_schema.rdf.catalog import catalog_iri
from sdm_schema.rdf.mapping import Profile, dataset_triples
from sdm_schema.rdf.terms import IRI
from sdm_schema.rdf.writers import WRITERS, by_subject
from sdm_schema.validation import shape_errors

if TYPE_CHECKING:
    from sdm_harvester.store import Store
    from sdm_harvester.store.records import Publishable

__all__ = ["FEEDS", "Keyed", "PagedFeed", "page_name", "publish", "publish_store", "record_key", "render_chunk"]

RDF_FORMATS = ("ttl", "rdf", "jsonld", "nt")
#: Folder name → (profile, formats written).
FEEDS = {
    "national": (national.PROFILE, RDF_FORMATS),
    "international": (dcat_ap3.PROFILE, RDF_FORMATS),
    "schemaorg": (schemaorg.PROFILE, ("jsonld",)),
}
#: Records a local worker renders at a time, on average (a slice of the map).
CHUNK = 250
_BUFFER = 1 << 20
META = "meta.json"


def record_key(record: Mapping, today: dt.date | None = None) -> str:
    """What decides a record's text in every feed: its content, and whether
    its embargo runs today (the one thing of the policy that changes with the
    day, disclosure.embargo_active).  A dict whose keys come in another order
    hashes otherwise: that costs a re-render, never a wrong text."""
    return _key(pickle.dumps(record, protocol=5), disclosure.embargo_active(record, today))


def _key(content: bytes, embargoed: bool) -> str:
    digest = hashlib.blake2b(content, digest_size=16)
    digest.update(b"E" if embargoed else b"-")
    return digest.hexdigest()


@dataclasses.dataclass(slots=True)  # not frozen: one a record, and frozen costs 6x
class Keyed:
    """A store's record, whose key its holder knows without decoding it (a
    store keeps a hash of every record's content): `content` stands for all
    that makes the record, `policy` holds its disclosure and embargo_until
    (what disclosure.embargo_active reads), `load()` gives the record itself
    — the stored `record` with its measurements (`values`) — asked only when
    it is to be mapped.  With `store`, its content was not read: it is read
    from that store, in this process, a batch of records at a time
    (`_loaded`).  `publish` takes these beside plain records."""

    content: str
    policy: Mapping
    record: Publishable
    values: dict | None
    store: Store | None = None

    def key(self, today: dt.date | None) -> str:
        return _key(self.content.encode("utf-8"), disclosure.embargo_active(self.policy, today))

    def load(self, data: str | None = None) -> dict:
        """The record, of its stored content `data` when it was not read."""
        from sdm_harvester.evaluate import measured

        if data is None and self.store is not None:
            return _loaded([self])[0]
        return measured(self.record.dataset(data), self.values)


@functools.cache
def _code_fingerprint() -> str:
    """The mapping's own version: a changed rule, code list or writer makes
    every indexed text and page stale."""
    digest = hashlib.blake2b(digest_size=16)
    root = os.path.dirname(sdm_schema.__file__)
    for folder, dirs, names in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".py", ".yaml")):
                with open(os.path.join(folder, name), "rb") as f:
                    digest.update(name.encode() + f.read())
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class Settings:
    """One publish's settings, the same in every process and job of it."""

    out_dir: str
    page_size: int
    info: dict
    feeds_url: str
    today: dt.date | None = None
    index_dir: str | None = None

    @functools.cached_property
    def version(self) -> str:
        """Everything but the records that decides the text: a change makes the index stale."""
        return hashlib.blake2b(
            json.dumps(
                [_code_fingerprint(), self.info, self.feeds_url, str(self.page_size)], sort_keys=True, default=str
            ).encode(),
            digest_size=16,
        ).hexdigest()

    def spec(self) -> dict:
        """The settings as a job carries them (JSON)."""
        return dict(dataclasses.asdict(self), today=self.today.isoformat() if self.today else None)

    @classmethod
    def from_spec(cls, spec: Mapping) -> Settings:
        today = spec.get("today")
        return cls(**dict(spec, today=dt.date.fromisoformat(today) if today else None))

    def new_folder(self, name: str) -> str:
        return os.path.join(self.out_dir, f".{name}.new")

    def index_path(self, name: str) -> str | None:
        return os.path.join(self.index_dir, f"{name}.sqlite") if self.index_dir else None

    @contextlib.contextmanager
    def previous(self) -> Iterator[dict[str, Previous]]:
        """The last publish of every feed, as its index describes it (nothing
        without an index), its index and files closed after use."""
        feeds = {
            name: Previous(os.path.join(self.out_dir, name), self.index_path(name), self.version, formats)
            for name, (_profile, formats) in FEEDS.items()
        }
        try:
            yield feeds
        finally:
            for feed in feeds.values():
                feed.close()


def settings(
    out_dir: str,
    page_size: int = 1000,
    catalog_info: Mapping | None = None,
    feeds_url: str | None = None,
    today: dt.date | None = None,
    index_dir: str | None = None,
) -> Settings:
    """Checked settings of a publish; the folders it writes to exist."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    info = dict(catalog_info or {})
    if not info.get("base_url"):
        raise ValueError("catalog_info needs a base_url")
    feeds_url = (feeds_url or f"{info['base_url'].rstrip('/')}/feeds").rstrip("/")
    os.makedirs(out_dir, exist_ok=True)
    if index_dir:
        os.makedirs(index_dir, exist_ok=True)
    return Settings(os.path.abspath(out_dir), page_size, info, feeds_url, today, index_dir)


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

    `datasets` yields SDM dataset dicts (package_show shape, with resources),
    or a store's records as `Keyed` (store_records);
    `catalog_info` describes the catalogue (sdm_schema.rdf.catalog), its
    `base_url` naming datasets that carry no `uri`; `feeds_url` is where
    `out_dir` is served (default `{base_url}/feeds`), for the page links.
    `index_dir` (private) keeps what an incremental publish reuses;
    `workers` the processes that map and render (this one cuts the pages).
    Returns {feed: {"datasets", "pages", "reused", "written"}, "skipped": [...]}:
    `reused` datasets' texts came from the last publish, `written` pages
    were written (the others taken unchanged).
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    job = settings(out_dir, page_size, catalog_info, feeds_url, today, index_dir)
    return _published(job, functools.partial(_rendered, job, datasets, workers=workers))


def _published(job: Settings, rendered: Callable[[str, Mapping[str, Previous]], Iterable]) -> dict:
    """`assemble` the slices `rendered(stage, previous)` gives, staged beside the feeds."""
    stage = staging_folder(job.out_dir, f"local-{os.getpid()}")
    try:
        with job.previous() as previous:
            return assemble(job, rendered(stage, previous), previous)
    finally:
        remove_stage(stage)


def remove_stage(stage: str) -> None:
    shutil.rmtree(stage, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(stage))  # the last publish to leave clears the way
    except OSError:
        pass


def staging_folder(out_dir: str, name: str) -> str:
    """Where the fragments of a publish of `out_dir` wait: beside it, on the
    same machine and file system, never under the folder that is served."""
    out_dir = os.path.abspath(out_dir)
    return os.path.join(os.path.dirname(out_dir), f".{os.path.basename(out_dir)}.staging", name)


def chunk_folder(stage: str, number: int) -> str:
    return os.path.join(stage, f"chunk-{number:06d}")


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
    if workers < 1:
        raise ValueError("workers must be at least 1")
    catalog_info, index_dir = store_catalogue(data_dir, base_url, register_url, full)
    job = settings(out_dir, page_size, catalog_info, feeds_url, index_dir=index_dir)
    if workers == 1:
        records = store_records(store, data_dir, lazy=indexed(index_dir))
        return _published(job, functools.partial(_rendered, job, records, workers=1))
    return _published(job, functools.partial(_rendered_ranges, job, store, workers))


def indexed(index_dir: str | None) -> bool:
    """Whether every feed has an index: then few records will be mapped,
    and a store's records read their content only when they are."""
    return bool(index_dir) and all(os.path.exists(os.path.join(index_dir, f"{name}.sqlite")) for name in FEEDS)


def store_records(
    store: Store,
    data_dir: str,
    start: Sequence[str] | None = None,
    stop: Sequence[str] | None = None,
    lazy: bool = False,
    read: tuple[dict, dict] | None = None,
) -> Iterator[Keyed]:
    """The store's publishable records (`RecordStore.iter_publishable`,
    from `start` before `stop`) with their latest evaluation, each keyed by
    its stored content hash, its store fields, its measurements and whether
    its embargo runs today (the store's `policy` column): an unchanged record
    is never decoded, pickled or hashed whole — and, `lazy`, its content
    never read: a record to map reads it then, in this process.  `read`:
    the store's merged copies and the latest measurements, when read before
    (`_read_once`)."""
    merged, found = read or _read_once(store, data_dir)
    for record in store.iter_publishable(start, stop, content=not lazy, merged=merged):
        values = found.get(record.name)
        content = record.identity() + ("\n" + json.dumps(values, sort_keys=True, default=str) if values else "")
        yield Keyed(content, record.policy, record, values, store if lazy else None)


def _read_once(store: Store, data_dir: str) -> tuple[dict, dict]:
    """What every record of a store publish may need and takes a read of
    the whole store: its merged copies and the latest measurements."""
    from sdm_harvester.evaluate import latest_measurements  # the evaluation imports the link checker

    return store.merged_copies(), latest_measurements(data_dir)


def store_catalogue(data_dir: str, base_url: str, register_url: str | None, full: bool) -> tuple[dict, str]:
    """(catalog_info, index_dir) of a publish from a harvester's store, in
    one process or split in jobs (workqueue.split_publish); `full` drops the
    index, so every record is mapped and rendered again."""
    index_dir = os.path.join(data_dir, "publish-index")
    if full:
        shutil.rmtree(index_dir, ignore_errors=True)
    return {"base_url": base_url, "register": register_url or os.environ.get(REGISTER_ENV)}, index_dir


#: Where the register of authorised use is served, for every publish (the
#: command, the workers' job, run --publish-out).
REGISTER_ENV = "SDM_REGISTER_URL"


# -- map: a slice of the records rendered into fragments ---------------------


class _Renderer:
    """One feed's writers, rendering datasets into one fragment file per format."""

    def __init__(self, name: str, info: Mapping, folder: str) -> None:
        self.profile, self.formats = FEEDS[name]
        self.catalog, self.link = catalog_iri(info), IRI(self.profile.dataset_link)
        self.writers = []
        for extension in self.formats:
            writer = WRITERS[extension](io.StringIO(), self.profile.prefixes)
            writer.begin()  # its caches; the text goes to the pages
            self.writers.append(writer)
        #: feeds of the same formats and prefixes write a node alike
        self.style = (self.formats, tuple(self.profile.prefixes.items()))
        #: whether another feed has this style (`render_chunk` says)
        self.shared = False
        self.joins = [(w.between, w.tail, w.lead) for w in self.writers]
        self.files = [open(os.path.join(folder, f"{name}.{ext}"), "wb", buffering=_BUFFER) for ext in self.formats]

    def render(self, subject: IRI, triples: list, nodes: dict | None) -> list:
        """Write the dataset's text in every format; [its length in bytes per format].

        `nodes` holds the UTF-8 texts of this dataset's nodes (triples →
        text per format) as the other feeds of this style rendered them:
        the national and international feeds share most nodes of a
        dataset (its distributions, contact, unit), which are rendered and
        encoded once.  It lives for one dataset, never across datasets;
        None for a feed whose style no other feed has."""
        triples.append((self.catalog, self.link, subject))
        rendered = []  # per node, its text in every format
        for node, group in by_subject(triples):  # once for every format
            if nodes is None:
                rendered.append([w.render_node(node, group) for w in self.writers])
                continue
            key = tuple(group)
            found = nodes.get(key)
            if found is None:
                found = nodes[key] = [w.render_node(node, group) for w in self.writers]
            rendered.append(found)
        lengths = []
        for (between, tail, lead), texts, out in zip(self.joins, zip(*rendered, strict=True), self.files, strict=True):
            data = between.join(texts) + tail
            if lead and data:  # the fragment's layout: FeedPages.add_entries
                out.write(lead)
            out.write(data)
            lengths.append(len(data))
        return lengths

    def close(self) -> None:
        for out in self.files:
            out.close()


def render_chunk(
    job: Settings, records: Iterable, folder: str, previous: Mapping[str, Previous], triaged: tuple | None = None
) -> dict:
    """Map and render a slice of the records (dicts, or `Keyed`) into
    `folder` ({feed}.{format} fragment files); {"feeds": {feed: [[key, None]
    or [key, OLD] or [key, [length per format], IRI, modified]]}, "skipped":
    [...]}: None left out of the feed, OLD the text the last publish wrote
    (not rendered again: the index knows it).  A record skipped has no
    entry.  "slices": [[digest, records]] of its slices (`_slices`) for the
    index, none when a record was skipped or no index is kept; "rendered":
    the texts written into the fragments (none: no fragment file at all).
    `triaged`: one slice as `_triage` gave it, instead of `records`."""
    renderers = _Renderers(job.info, folder)
    entries: dict = {name: [] for name in FEEDS}
    skipped: list = []
    slices: list = []
    batches = [triaged] if triaged else (_triage(job, *keyed, previous) for keyed in _slices(job, records))
    try:
        for keys, batch, known, digest in batches:
            for record, key in zip(batch, keys, strict=True):
                _render_record(job, record, key, known, renderers, entries, skipped)
            slices.append([digest, len(keys)])
    finally:
        renderers.close()
    # a slice is indexed by the places of its entries: none where a record was skipped
    whole = not skipped and all(digest for digest, _count in slices)
    rendered = sum(1 for feed in entries.values() for entry in feed if entry[1] not in (None, OLD))
    return {"feeds": entries, "skipped": skipped, "slices": slices if whole else [], "rendered": rendered}


class _Renderers(dict):
    """Every feed's `_Renderer` of a slice, made with the folder and its
    fragment files when the slice's first text is rendered: a slice the
    index knew leaves no files (most of an incremental publish)."""

    def __init__(self, info: Mapping, folder: str) -> None:
        super().__init__()
        self.info, self.folder = info, folder

    def __missing__(self, name: str) -> _Renderer:
        os.makedirs(self.folder, exist_ok=True)
        self.update((feed, _Renderer(feed, self.info, self.folder)) for feed in FEEDS)
        styles = collections.Counter(renderer.style for renderer in self.values())
        for renderer in self.values():
            renderer.shared = styles[renderer.style] > 1
        return self[name]

    def close(self) -> None:
        for renderer in self.values():
            renderer.close()


def _slices(job: Settings, records: Iterable) -> Iterator[tuple[list, list]]:
    """(keys, records) of each slice of the map, in order.  With an index,
    a slice ends where its records' keys say, as restic cuts a file into
    blobs: after a key that is a multiple of CHUNK (CHUNK records a slice
    on average), or at 4 × CHUNK records.  No least size: with one, an
    insertion would move the cuts of the slices after it.  So an edit, an
    insertion or a removal changes the slice it falls in, and every other
    slice is one the last publish saw, known by its digest in one lookup a
    feed (`_triage`).  Without an index, no keys, and CHUNK records a slice."""
    stream = iter(records)
    if not job.index_dir:
        while batch := list(islice(stream, CHUNK)):
            yield [None] * len(batch), batch
        return
    keys: list = []
    batch: list = []
    for record in stream:
        key = _record_key(record, job.today)
        keys.append(key)
        batch.append(record)
        if int(key[:8], 16) % CHUNK == 0 or len(batch) >= 4 * CHUNK:
            yield keys, batch
            keys, batch = [], []
    if batch:
        yield keys, batch


def slice_digest(keys: Sequence[str]) -> str:
    """What names a slice of the map in a feed's index: its records' keys in order."""
    return hashlib.blake2b("\n".join(keys).encode(), digest_size=16).hexdigest()


def _triage(job: Settings, keys: list, batch: list, previous: Mapping[str, Previous]) -> tuple:
    """(keys, records, known, digest) of a slice: its records' keys, the
    records with None for those every feed's index knows (never decoded,
    never sent to a renderer), {feed: what its index knows of them}, and
    the slice's digest (None without an index)."""
    if not job.index_dir:
        return keys, _loaded(batch), {}, None
    digest = slice_digest(keys)
    known = {name: previous[name].states(keys, digest) for name in FEEDS}
    everywhere = functools.reduce(operator.and_, (states.keys() for states in known.values()))
    loaded = iter(_loaded([record for key, record in zip(keys, batch, strict=True) if key not in everywhere]))
    return keys, [None if key in everywhere else next(loaded) for key in keys], known, digest


def _known(triaged: tuple) -> _Known | None:
    """A slice every feed's index knows whole, to be answered without a
    fragment file and without rendering anything (None if not)."""
    keys, records, known, digest = triaged
    if not known or any(record is not None for record in records):
        return None
    return _Known(
        keys, {name: {key for key, state in states.items() if not state} for name, states in known.items()}, digest
    )


class _Known:
    """`render_chunk`'s answer for a slice the index knew whole, waiting
    in line with the pool's results.  It is held as its keys and each
    feed's left-out ones, its entries made when its turn comes: many may
    wait behind a slice still rendering (`_AHEAD`)."""

    def __init__(self, keys: list, hidden: dict, digest: str) -> None:
        self.keys, self.hidden, self.digest = keys, hidden, digest

    def get(self) -> dict:
        return {
            "feeds": {
                name: [[key, None] if key in left_out else [key, OLD] for key in self.keys]
                for name, left_out in self.hidden.items()
            },
            "skipped": [],
            "slices": [[self.digest, len(self.keys)]],
            "rendered": 0,
        }


def _loaded(records: list) -> list:
    """The records, each store record whose content was not read (`Keyed`
    with a store) as the record itself: only this process can read it, and
    it reads a store's contents of the batch in one statement."""
    wanted: dict = {}  # store → the keys of its records to read
    for record in records:
        if _unread(record):
            wanted.setdefault(record.store, []).append((record.record.source, record.record.identifier))
    if not wanted:
        return records
    contents = {store: store.stored_contents(keys) for store, keys in wanted.items()}
    return [
        record.load(contents[record.store][record.record.source, record.record.identifier])
        if _unread(record)
        else record
        for record in records
    ]


def _unread(record: Mapping | Keyed) -> bool:
    return isinstance(record, Keyed) and record.store is not None


def _record_key(record: Mapping | Keyed, today: dt.date | None) -> str:
    return record.key(today) if isinstance(record, Keyed) else record_key(record, today)


def _render_record(
    job: Settings,
    record: Mapping | Keyed,
    key: str | None,
    known: Mapping,
    renderers: Mapping,
    entries: dict,
    skipped: list,
) -> None:
    """One record's entry in every feed: known ones as the index says, the
    others mapped (once per profile) and rendered."""
    fresh = []
    for name in FEEDS:
        state = known[name].get(key) if known else None
        if state is None:
            fresh.append(name)
        else:
            entries[name].append([key, OLD] if state else [key, None])
    if not fresh:
        return
    if isinstance(record, Keyed):  # only now decoded
        record = record.load()
    mapped = _mapped(record, [FEEDS[name][0] for name in fresh], job.info["base_url"], job.today, skipped)
    nodes: dict = {}  # style → this dataset's nodes as rendered, shared between feeds of that style
    for name, (subject, triples) in zip(fresh, mapped, strict=False):
        if subject is None:
            entries[name].append([key, None])
        else:
            renderer = renderers[name]
            shared = nodes.setdefault(renderer.style, {}) if renderer.shared else None
            lengths = renderer.render(subject, triples, shared)
            entries[name].append([key, lengths, str(subject), modified(record)])


def render_slice(job: Settings, records: Iterable[Mapping], folder: str) -> dict:
    """`render_chunk` for a job of a split publish: the last publish read
    from its index here, the entries written to `folder`/meta.json last
    (a slice without it is not finished)."""
    with job.previous() as previous:
        meta = render_chunk(job, records, folder, previous)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, META + ".new"), "w", encoding="utf-8") as f:
        f.write(json.dumps(meta))
    os.replace(os.path.join(folder, META + ".new"), os.path.join(folder, META))
    return {name: len(entries) for name, entries in meta["feeds"].items()}


def rendered_slices(folders: Sequence[str]) -> Iterator[tuple[str, dict]]:
    """The finished slices of a split publish, in order, for `assemble`."""
    for folder in folders:
        path = os.path.join(folder, META)
        if not os.path.exists(path):
            raise RuntimeError(f"publish: slice {os.path.basename(folder)} was not rendered ({path} missing)")
        with open(path, encoding="utf-8") as f:
            yield folder, json.load(f)


#: The settings and last publish a forked pool's processes render with.
_FORKED: tuple = ()
#: For a pool that reads the store (`_rendered_ranges`): the process's own
#: store, whether records are read lazily, and `_read_once`'s answer.
_FORKED_STORE: tuple = ()


def _render_forked(triaged: tuple, folder: str) -> dict:
    job, previous = _FORKED
    return render_chunk(job, (), folder, previous, triaged)


def _open_forked_store(data_dir: str, url: str | None, lazy: bool) -> None:
    """A pool process's own connection to the store (none is shared across
    a fork), and what its ranges need of the whole store, read once."""
    from sdm_harvester.store import Store

    global _FORKED_STORE
    store = Store(data_dir, url)
    _FORKED_STORE = store, lazy, _read_once(store, data_dir)


def _render_range(start: Sequence[str] | None, stop: Sequence[str] | None, folder: str) -> dict:
    """`render_chunk` of a range of the store, read, keyed and triaged in this process."""
    job, previous = _FORKED
    store, lazy, read = _FORKED_STORE
    return render_chunk(job, store_records(store, store.data_dir, start, stop, lazy, read), folder, previous)


#: Slices that may wait behind one a rendering process has not finished:
#: those the index knew (`_Known`, some 20 kB each), as the ones sent to
#: the pool are never more than _LINE a process.  While one slice
#: renders, this process goes on reading and keying this many.
_AHEAD = 128
#: Slices a rendering process may have in line, sent and not done or done
#: with fragments waiting for their page: with two, a process of a store's
#: publish waited behind a long slice some 11 % of its time, with three 5 %.
_LINE = 3
#: Records held a range of the store has on average (`_store_ranges`):
#: small, so that the records of one changed run are shared by the pool.
_RANGE = 500
#: and at most: sizes cut by hashes alone run to several times the average,
#: and the slices waiting behind such a range kept the other process idle.
_RANGE_MOST = 2 * _RANGE


def _ready(result: _Known | multiprocessing.pool.AsyncResult) -> bool:
    return isinstance(result, _Known) or result.ready()


def _in_order(results: Iterable[tuple[str, _Known | multiprocessing.pool.AsyncResult]], workers: int) -> Iterator:
    """(folder, entries) of each slice, in order, of `results` as they are
    made (a pool's, or answered here: `_Known`).  The line is kept full
    before each wait and before each slice goes on (its pages may take
    this process a while): _LINE slices a pool's process sent and not
    done, or done with fragments waiting; slices done without any (the
    index knew them) wait at little cost, up to _AHEAD in all."""
    coming, waiting = iter(results), collections.deque()

    def fill() -> None:
        while len(waiting) < _AHEAD and sum(_weighs(result) for _folder, result in waiting) < _LINE * workers:
            following = next(coming, None)
            if following is None:
                return
            waiting.append(following)

    while fill() or waiting:
        folder, result = waiting[0]
        if not _ready(result):
            result.wait(0.005)  # and the line filled again
            continue
        waiting.popleft()
        fill()
        yield folder, result.get()


def _weighs(result: _Known | multiprocessing.pool.AsyncResult) -> bool:
    """Whether a slice in line takes a share of the pool: sent and still
    rendering, or rendered into fragment files that wait for their page."""
    return not isinstance(result, _Known) and (not result.ready() or bool(result.get()["rendered"]))


def _rendered(
    job: Settings, datasets: Iterable[Mapping], stage: str, previous: Mapping[str, Previous], workers: int
) -> Iterator[tuple[str, dict]]:
    """(folder, entries) of each slice of `datasets`, in order, rendered here
    or by `workers` forked processes (a few slices ahead, never all).  The
    index is asked here first: a slice of records it knows in every feed is
    never sent (nothing of it is mapped), the others go without them."""
    slices = (
        (chunk_folder(stage, number), triaged, _known(triaged))
        for number, triaged in enumerate(_triage(job, *keyed, previous) for keyed in _slices(job, datasets))
    )
    if workers == 1:
        for folder, triaged, known in slices:
            yield folder, known.get() if known else render_chunk(job, (), folder, previous, triaged)
        return
    global _FORKED
    _FORKED = (job, previous)  # the pool's processes inherit it
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from _in_order(
            (
                (folder, known or pool.apply_async(_render_forked, (triaged, folder)))
                for folder, triaged, known in slices
            ),
            workers,
        )


def _rendered_ranges(
    job: Settings, store: Store, workers: int, stage: str, previous: Mapping[str, Previous]
) -> Iterator[tuple[str, dict]]:
    """`_rendered` of a harvester's store by `workers` forked processes that
    read the store themselves, a range at a time: each reads, keys and
    triages its records, and this process only cuts the pages.  When few
    records changed, that reading is most of a publish, and both cores do it."""
    global _FORKED
    _FORKED = (job, previous)
    opening = (store.data_dir, store.url, indexed(job.index_dir))
    with multiprocessing.get_context("fork").Pool(workers, initializer=_open_forked_store, initargs=opening) as pool:
        yield from _in_order(
            (
                (folder, pool.apply_async(_render_range, (start, stop, folder)))
                for folder, (start, stop) in ((chunk_folder(stage, n), r) for n, r in enumerate(_store_ranges(store)))
            ),
            workers,
        )


def _store_ranges(store: Store) -> Iterator[tuple]:
    """(start, stop) keys of the ranges the store's records are read in,
    the first from the beginning and the last to the end.  A range starts
    at a record whose key hashes to a multiple of _RANGE, or after
    _RANGE_MOST records: an insertion or a removal changes the range it
    falls in and no other (past a cut by size, the ranges up to the next
    cut by hash), so the slices cut within every other range are the ones
    the last publish saw."""
    start, held = None, 0
    for key in store.iter_keys():
        if held and (held >= _RANGE_MOST or zlib.crc32("\x1f".join(key).encode()) % _RANGE == 0):
            yield start, key
            start, held = key, 0
        held += 1
    yield start, None


# -- reduce: the fragments cut into pages, the feeds swapped in --------------


class _Assembly:
    """Every feed's pages from the slices as they come, each slice's
    fragment files closed and removed once no page waits for them."""

    def __init__(self, job: Settings, previous: Mapping[str, Previous]) -> None:
        self.job = job
        self.feeds: dict[str, FeedPages] = {}
        for name, (profile, formats) in FEEDS.items():
            folder = job.new_folder(name)
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            self.feeds[name] = FeedPages(
                folder,
                f"{job.feeds_url}/{name}",
                profile,
                formats,
                job.info,
                job.page_size,
                job.version,
                previous[name],
                self.index_path(name),
            )
        self.skipped: list = []
        self.slices: dict = {}

    def index_path(self, name: str) -> str:
        """Where the feed's new index is written: beside the index it
        replaces, or (no index kept) beside the feeds, for the change log
        alone, removed once written."""
        if self.job.index_dir:
            return self.job.index_path(name) + ".new"
        return self.job.new_folder(name) + ".sqlite"

    def add(self, number: int, folder: str, meta: Mapping) -> None:
        fds = {  # a slice with nothing rendered (the index knew it) has no fragments
            name: [os.open(os.path.join(folder, f"{name}.{ext}"), os.O_RDONLY) for ext in feed.formats]
            if meta["rendered"]
            else []
            for name, feed in self.feeds.items()
        }
        self.slices[number] = (folder, fds)
        for name, feed in self.feeds.items():
            feed.add_entries(meta["feeds"][name], number, fds[name])
            feed.add_slices(meta["slices"], meta["feeds"][name])
        self.skipped += meta["skipped"]
        waiting = [n for n in (feed.waiting_since() for feed in self.feeds.values()) if n is not None]
        self._release(min(waiting, default=number + 1))

    def _release(self, before: float) -> None:
        for number in [n for n in self.slices if n < before]:
            folder, fds = self.slices.pop(number)
            for opened in fds.values():
                for fd in opened:
                    os.close(fd)
            shutil.rmtree(folder, ignore_errors=True)

    def finish(self) -> dict:
        summary, now = {}, publish_time()
        for name, feed in self.feeds.items():
            feed.finish()
            feed.complete_index(os.path.join(self.job.out_dir, name, CHANGES), now)
        _write_change_logs(self.feeds)
        for name, feed in self.feeds.items():
            feed.seal_index()
            if not self.job.index_dir:
                _remove(self.index_path(name))
            summary[name] = feed.summary()
        self._release(float("inf"))
        summary["skipped"] = self.skipped
        return summary

    def abandon(self) -> None:
        self._release(float("inf"))
        for feed in self.feeds.values():
            feed.abandon()  # its new index removed too
            shutil.rmtree(feed.folder, ignore_errors=True)


def _write_change_logs(feeds: Mapping[str, FeedPages]) -> None:
    """Every feed's change log (FeedPages.write_changes), each in a forked
    process of its own, all at once: a log is read from its committed index,
    some 0.2 s at 100 000 datasets, and threads would only take turns.  A log
    that fails (its traceback on stderr) fails the publish."""
    context = multiprocessing.get_context("fork")
    processes = {name: context.Process(target=feed.write_changes, name=f"log-{name}") for name, feed in feeds.items()}
    for process in processes.values():
        process.start()
    for process in processes.values():
        process.join()
    failed = [name for name, process in processes.items() if process.exitcode]
    if failed:
        raise RuntimeError(f"publish: writing the change log of {', '.join(failed)} failed (see above)")


def assemble(job: Settings, rendered: Iterable[tuple[str, dict]], previous: Mapping[str, Previous]) -> dict:
    """Cut the rendered slices (in store order) into every feed's pages and
    swap each feed, and its index, in; on failure the old feeds stay."""
    assembly = _Assembly(job, previous)
    try:
        for number, (folder, meta) in enumerate(rendered):
            assembly.add(number, folder, meta)
        summary = assembly.finish()
    except BaseException:
        assembly.abandon()
        raise
    for name in FEEDS:
        _replace(job.new_folder(name), os.path.join(job.out_dir, name))
        if job.index_dir:
            _replace(job.index_path(name) + ".new", job.index_path(name))
            _remove(os.path.join(job.index_dir, f"{name}.json"))  # an earlier version's index, stale
    return summary


def _name(record: Mapping) -> str:
    return str(record.get("name") or record.get("id") or record.get("uri") or "?")


def _mapped(record: Mapping, profiles: Sequence[Profile], base_url: str, today: dt.date | None, skipped: list) -> list:
    """The record's triples for every profile, or for none: a record that is
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
        return [dataset_triples(record, profile, base_url, today) for profile in profiles]
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
