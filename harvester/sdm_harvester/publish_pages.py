"""The reduce side of a publish: rendered datasets cut into linked pages.

The map side (`publish.render_chunk`) renders a slice of the store into
per-feed, per-format fragment files; here the fragments of every slice, in
store order, become each feed's pages — the catalogue header, the datasets'
texts, the hydra links — in the feed's `.new` folder, which `publish`
swaps in once every feed is complete.

A page is decided by what is on it: the record keys of its datasets in
order, its number, whether a page follows, and the publish's version (the
code's fingerprint, the catalogue, the feeds' address, the page size).  The
hash of that is kept in the feed's index; a page whose hash the last
publish wrote is taken as it is (a hard link of the old file into the new
folder, in every format), and only the other pages are written — with the
texts of unchanged datasets copied from the old files and the changed ones
from the fragments.  One changed dataset rewrites one page per format.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from typing import Iterable, Mapping, Sequence

from sdm_schema.rdf.catalog import catalog_iri, page_triples
from sdm_schema.rdf.mapping import Profile, page_vocabulary
from sdm_schema.rdf.namespaces import RDFS
from sdm_schema.rdf.terms import IRI, TYPE
from sdm_schema.rdf.writers import WRITERS, by_subject

_BUFFER = 1 << 20
#: A fragment entry whose text is the one the last publish wrote.
OLD = 0
#: What `Writer.separator` is shown for a non-empty text: the separator
#: depends on nothing else, and the text itself is copied as bytes.
_SOME_TEXT = "-"
#: Each feed's change log (`FeedPages.write_changes`), beside its pages.
CHANGES = "changes.jsonld"
ACTIVITY_STREAMS = "https://www.w3.org/ns/activitystreams"


def page_name(number: int, extension: str) -> str:
    return f"catalog.{extension}" if number == 1 else f"catalog-{number}.{extension}"


class Counted:
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


def file_stats(folder: str) -> dict:
    """Size and modification time of every file of a feed folder: an index
    only describes the files it was written with, so a folder another
    publisher (or a restore) has rewritten makes it stale."""
    if not os.path.isdir(folder):
        return {}
    return {
        entry.name: [entry.stat().st_size, entry.stat().st_mtime_ns] for entry in os.scandir(folder) if entry.is_file()
    }


class Previous:
    """The last publish of a feed, as far as its index says: where the text
    of each record lies in its files, and the hash of each page."""

    def __init__(self, folder: str, index_path: str | None, version: str, formats: Sequence[str]) -> None:
        self.folder, self.formats = folder, tuple(formats)
        #: record key → None (left out) or [page, start, end per format]
        self.records: dict = {}
        #: record key → the dataset's IRI in this feed
        self.subjects: dict = {}
        self.pages: list = []
        self._fds: dict = {}
        if not index_path or not os.path.exists(index_path) or not os.path.isdir(folder):
            return
        with open(index_path, encoding="utf-8") as f:
            index = json.load(f)
        if (
            index.get("version") == version
            and tuple(index.get("formats", ())) == self.formats
            and index.get("files") == file_stats(folder)
        ):
            self.records, self.pages = index.get("records", {}), index.get("pages", [])
            self.subjects = index.get("subjects", {})

    def state(self, key: str | None) -> bool | None:
        """None: not known (render it); False: left out last time; True: its text is known."""
        if key is None or key not in self.records:
            return None
        return self.records[key] is not None

    def page_hash(self, number: int) -> str | None:
        return self.pages[number - 1] if number <= len(self.pages) else None

    def fd(self, page: int, extension: str) -> int:
        name = page_name(page, extension)
        if name not in self._fds:
            self._fds[name] = os.open(os.path.join(self.folder, name), os.O_RDONLY)
        return self._fds[name]

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}


class PagedFeed:
    """One feed in several formats, cut into pages of `page_size` datasets:
    the one definition of a page (header, texts, hydra links).  `add`
    streams mapped datasets through (benchmarks write sources with it);
    FeedPages writes pages of texts rendered elsewhere."""

    def __init__(
        self,
        folder: str,
        feed_url: str,
        profile: Profile,
        formats: Sequence[str],
        catalog_info: Mapping,
        page_size: int,
        changes: bool = False,
    ) -> None:
        self.folder, self.feed_url = folder, feed_url.rstrip("/")
        self.profile, self.formats = profile, tuple(formats)
        self.catalog_info, self.page_size = catalog_info, page_size
        self.catalog = catalog_iri(catalog_info)
        self.link = IRI(profile.dataset_link)
        # written once, the same on every page
        self.header = list(profile.catalog(catalog_info)) + list(page_vocabulary(profile))
        #: the change log, linked from every page's hydra view: where a
        #: harvesting portal finds what changed since a date
        self.changes = IRI(f"{self.feed_url}/{CHANGES}") if changes else None
        self.page = 0
        self.on_page = 0
        self.datasets = 0
        self.writers: list = []

    def url(self, number: int, extension: str) -> str:
        return f"{self.feed_url}/{page_name(number, extension)}"

    def open_page(self, number: int) -> None:
        self.page, self.on_page, self.writers = number, 0, []
        for extension in self.formats:
            writer = WRITERS[extension](Counted(self.path(number, extension)), self.profile.prefixes)
            writer.begin()
            writer.write(self.header)
            self.writers.append(writer)

    def path(self, number: int, extension: str) -> str:
        return os.path.join(self.folder, page_name(number, extension))

    def close_page(self, has_next: bool) -> None:
        for writer, extension in zip(self.writers, self.formats, strict=True):
            view = self.url(self.page, extension)
            triples = list(
                page_triples(
                    view,
                    first=self.url(1, extension),
                    previous=self.url(self.page - 1, extension) if self.page > 1 else None,
                    next_=self.url(self.page + 1, extension) if has_next else None,
                    items=self.page_size,
                )
            )
            if self.changes:
                triples += [
                    (IRI(view), IRI(RDFS + "seeAlso"), self.changes),
                    (self.changes, TYPE, IRI(ACTIVITY_STREAMS + "#OrderedCollection")),
                ]
            writer.write(triples)
            writer.end()
            writer.out.close()
        self.writers = []

    def add(self, subject: IRI, triples: list) -> None:
        """Map-and-write in one go: a dataset's triples on the current page."""
        if not self.writers:
            self.open_page(self.page + 1)
        elif self.on_page == self.page_size:
            self.close_page(has_next=True)  # only now is it known that a next page exists
            self.open_page(self.page + 1)
        triples.append((self.catalog, self.link, subject))
        groups = by_subject(triples)  # once for every format
        for writer in self.writers:
            writer.write_rendered(writer.render_subjects(groups))
        self.on_page += 1
        self.datasets += 1

    def finish(self) -> None:
        if not self.writers:  # an empty catalogue still gets its catalogue page
            self.open_page(self.page + 1)
        self.close_page(has_next=False)

    def abandon(self) -> None:
        for writer in self.writers:
            writer.out.close()
        self.writers = []


class FeedPages(PagedFeed):
    """A feed assembled from fragments: entries arrive in store order, one
    page's worth waits until it is known whether another page follows, then
    the page is taken from the last publish (same hash) or written."""

    def __init__(
        self,
        folder: str,
        feed_url: str,
        profile: Profile,
        formats: Sequence[str],
        catalog_info: Mapping,
        page_size: int,
        version: str,
        previous: Previous,
    ) -> None:
        super().__init__(folder, feed_url, profile, formats, catalog_info, page_size, changes=True)
        self.version, self.previous = version, previous
        #: (dataset IRI, modified) of every dataset in the feed, for its change log
        self.members: list = []
        self.subjects: dict = {}
        #: (key, where its texts lie) of the datasets not yet on a page
        self.pending: list = []
        self.index: dict = {}
        self.hashes: list = []
        self.reused = 0
        self.written = 0

    def add_entries(self, entries: Iterable, chunk: int, fds: Sequence[int]) -> None:
        """A chunk's entries for this feed: [key, None] (left out) or [key,
        OLD | [length per format], IRI | None, modified], the fresh texts lying
        one after another in `fds` (one per format)."""
        offsets = [0] * len(self.formats)
        for key, state, *member in entries:
            if state is None:
                self.index[key] = None
                continue
            subject = member[0] or self.previous.subjects[key]
            self.members.append((subject, member[1]))
            if key is not None:
                self.subjects[key] = subject
            if state == OLD:
                self.pending.append((key, None, chunk))
            else:
                self.pending.append((key, [(fds[n], offsets[n], length) for n, length in enumerate(state)], chunk))
                offsets = [offset + length for offset, length in zip(offsets, state, strict=True)]
            if len(self.pending) > self.page_size:
                self._emit(self.pending[: self.page_size], has_next=True)
                del self.pending[: self.page_size]

    def waiting_since(self) -> int | None:
        """The chunk whose fragments the oldest waiting dataset needs, if any."""
        return self.pending[0][2] if self.pending else None

    def finish(self) -> None:
        if self.pending or not self.page:
            self._emit(self.pending, has_next=False)
        self.pending = []

    def _emit(self, items: list, has_next: bool) -> None:
        number = self.page + 1
        keys = [key for key, _where, _chunk in items]
        digest = None
        if all(key is not None for key in keys):
            digest = hashlib.blake2b(
                json.dumps([self.version, number, has_next, keys]).encode(), digest_size=16
            ).hexdigest()
        self.hashes.append(digest)
        if digest is not None and digest == self.previous.page_hash(number) and self._take_old(number, keys):
            self.page = number
        else:
            self._write(number, items, has_next)
            self.written += 1
        self.datasets += len(items)
        self.reused += sum(1 for _key, where, _chunk in items if where is None)

    def _take_old(self, number: int, keys: list) -> bool:
        """The last publish's page `number`, linked (or copied) into the new folder."""
        try:
            for extension in self.formats:
                old = os.path.join(self.previous.folder, page_name(number, extension))
                try:
                    os.link(old, self.path(number, extension))
                except OSError:  # another file system: the same bytes, copied
                    shutil.copy2(old, self.path(number, extension))
        except OSError:
            return False
        for key in keys:
            self.index[key] = self.previous.records[key]
        return True

    def _write(self, number: int, items: list, has_next: bool) -> None:
        """Write page `number` of these datasets, one format after another.
        Texts that lie one after another in a fragment file, or in an old
        page with just the separator between them, are copied as one run."""
        self.open_page(number)
        spans = [[number] for _item in items]
        for n, writer in enumerate(self.writers):
            out, run = writer.out, None  # run: [fd, start, end] of bytes still to copy
            for item, span in zip(items, spans, strict=True):
                fd, start, length = self._where(item, n)
                separator = writer.separator(_SOME_TEXT if length else "")  # JSON-LD's comma
                if not (run and run[0] == fd and run[2] + len(separator) == start):
                    _copy(out, run)
                    out.write(separator)
                    run = [fd, start, start]
                at = out.pos + start - run[1]
                run[2] = start + length
                span += (at, at + length)
            _copy(out, run)
        for (key, _where, _chunk), span in zip(items, spans, strict=True):
            if key is not None:
                self.index[key] = span
        self.on_page = len(items)
        self.close_page(has_next)

    def _where(self, item: tuple, n: int) -> tuple:
        """(fd, start, length) of a waiting dataset's text in format `n`."""
        key, where, _chunk = item
        if where is not None:
            return where[n]
        entry = self.previous.records[key]  # the text the last publish wrote
        return self.previous.fd(entry[0], self.formats[n]), entry[1 + 2 * n], entry[2 + 2 * n] - entry[1 + 2 * n]

    def write_index(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            # dumps, not dump: dump streams through the pure-Python encoder
            f.write(
                json.dumps(
                    {
                        "version": self.version,
                        "formats": self.formats,
                        "records": self.index,
                        "subjects": self.subjects,
                        "pages": self.hashes,
                        "files": file_stats(self.folder),
                    }
                )
            )

    def summary(self) -> dict:
        return {"datasets": self.datasets, "pages": self.page, "reused": self.reused, "written": self.written}

    def write_changes(self, old_log: str, now: str) -> None:
        """The feed's change log: an ActivityStreams 2.0 OrderedCollection
        (as the IIIF Change Discovery API writes one), oldest first, of an
        Update for every dataset in the feed (endTime: when its record last
        changed) and a Delete for every dataset the last log listed that the
        feed no longer holds (endTime: this publish, or the Delete's own time
        in the last log).  Only datasets the feed showed are named."""
        present = {subject for subject, _modified in self.members}
        kind = self.profile.dataset_class
        items = [_activity("Update", subject, kind, modified) for subject, modified in self.members]
        for item in _read_log(old_log):
            subject = item["object"]["id"]
            if subject not in present:
                items.append(item if item["type"] == "Delete" else _activity("Delete", subject, kind, now))
                present.add(subject)
        items.sort(key=lambda item: (item.get("endTime") or "", item["object"]["id"]))
        head = {
            "@context": ACTIVITY_STREAMS,
            "id": f"{self.feed_url}/{CHANGES}",
            "type": "OrderedCollection",
            "totalItems": len(items),
        }
        with open(os.path.join(self.folder, CHANGES), "w", encoding="utf-8", buffering=_BUFFER) as f:
            # one activity a line: a reader can stop at the date it last read
            f.write(json.dumps(head, ensure_ascii=False)[:-1] + ',\n"orderedItems": [\n')
            f.write(",\n".join(map(_activity_line, items)))
            f.write("\n]}\n")


def _copy(out: Counted, run: list | None) -> None:
    if run and run[2] > run[1]:
        out.write_bytes(os.pread(run[0], run[2] - run[1], run[1]))


def _activity(kind: str, subject: str, dataset_class: str, when: str | None) -> dict:
    item = {"type": kind, "object": {"id": subject, "type": dataset_class}}
    if when:
        item["endTime"] = when
    return item


def _activity_line(item: Mapping) -> str:
    """json.dumps(item), written out: one call per activity costs more than
    the rest of the log (100 000 of them in a large catalogue)."""
    text, subject = _JSON_STRING, item["object"]
    when = f', "endTime": {text(item["endTime"])}' if "endTime" in item else ""
    return (
        f'{{"type": {text(item["type"])}, "object": {{"id": {text(subject["id"])}, '
        f'"type": {text(subject["type"])}}}{when}}}'
    )


_JSON_STRING = json.encoder.encode_basestring  # the C encoder of one JSON string, as json.dumps writes it


def _read_log(path: str) -> list:
    """The activities of the feed's current change log (none if it has none)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f).get("orderedItems", [])
    except (OSError, ValueError):
        return []


def modified(record: Mapping) -> str | None:
    """When a record last changed, as a change log says it: the store's time
    of its last change, else the catalogue's metadata_modified (UTC is not
    said where the source did not say it)."""
    return record.get("harvest_updated") or record.get("metadata_modified") or None


def publish_time() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
