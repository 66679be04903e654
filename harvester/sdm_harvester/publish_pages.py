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
import sqlite3
import threading
from array import array
from itertools import islice
from typing import Iterable, Iterator, Mapping, Sequence

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

    def write(self, text: str | bytes) -> None:
        """Write text, or the UTF-8 bytes the writers render."""
        self.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)

    def write_bytes(self, data: bytes) -> None:
        self.raw.write(data)
        self.pos += len(data)

    def copy(self, fd: int, start: int, end: int) -> None:
        """Append bytes [start, end) of the file `fd`, copied by the kernel
        (copy_file_range): a page's texts never pass through this process."""
        self.raw.flush()  # what is buffered comes first
        out = self.raw.fileno()
        while start < end:
            done = os.copy_file_range(fd, out, end - start, start)
            if not done:
                raise OSError(f"{self.raw.name}: copying from a fragment ended early at byte {start}")
            start += done
            self.pos += done

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


#: A feed's index (SQLite, stdlib): read by key, written as the pages are
#: cut, never held whole.  `records`: every record the feed saw, the page
#: it lies on (a record left out is filed under the page being filled when
#: it came), where its text lies in each format (`spans`, NULL when left
#: out), its IRI and when it last changed; `gone`: the datasets the feed
#: showed once and no longer holds, for the change log's Deletes; `slices`:
#: each slice of the records as the map cut it (publish.slice_digest of its
#: keys) with the places of those the feed left out, so that a slice seen
#: again is known in one lookup, not one a record.  The `_time` indexes
#: hand the log its order without a sort.
INDEX_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (key TEXT PRIMARY KEY, page INTEGER NOT NULL, spans BLOB, subject TEXT, modified TEXT)
  WITHOUT ROWID;
CREATE INDEX records_page ON records (page);
CREATE INDEX records_subject ON records (subject);
CREATE INDEX records_time ON records (modified, subject) WHERE subject IS NOT NULL;
CREATE TABLE pages (number INTEGER PRIMARY KEY, hash TEXT);
CREATE TABLE gone (subject TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE INDEX gone_time ON gone (at, subject);
CREATE TABLE slices (digest TEXT PRIMARY KEY, hidden TEXT NOT NULL) WITHOUT ROWID;
"""
#: An index of another layout is not read (its meta names the layout's hash).
_LAYOUT = hashlib.blake2b(INDEX_SCHEMA.encode(), digest_size=8).hexdigest()
#: Keys asked of SQLite in one statement.
_LOOKUP = 500


class Previous:
    """The last publish of a feed, as far as its index says: which records
    it held, where the text of each lies in its files, and the hash of each
    page.  Nothing (every record new) when the index is missing or stale:
    another version, other formats, or files it did not write."""

    def __init__(self, folder: str, index_path: str | None, version: str, formats: Sequence[str]) -> None:
        self.folder, self.formats, self.path = folder, tuple(formats), index_path
        self.pages: list = []
        self.valid = False
        self._fds: dict = {}
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        if not index_path or not os.path.exists(index_path) or not os.path.isdir(folder):
            return
        try:
            db = self._open()
            meta = dict(db.execute("SELECT name, value FROM meta"))
            if (
                meta.get("version") == version
                and meta.get("layout") == _LAYOUT
                and json.loads(meta.get("formats", "[]")) == list(self.formats)
                and json.loads(meta.get("files", "null")) == file_stats(folder)
            ):
                self.pages = [digest for (digest,) in db.execute("SELECT hash FROM pages ORDER BY number")]
                self.valid = True
        except sqlite3.DatabaseError:  # not an index of this code (or damaged): start afresh
            self.valid = False

    def _open(self) -> sqlite3.Connection:
        """This process's connection (a forked renderer opens its own)."""
        if self._db is None or self._pid != os.getpid():
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._pid = os.getpid()
        return self._db

    def _rows(self, columns: str, keys: Sequence[str]) -> Iterator[tuple]:
        if not self.valid:
            return
        for start in range(0, len(keys), _LOOKUP):
            part = list(keys[start : start + _LOOKUP])
            marks = ",".join("?" * len(part))
            yield from self._open().execute(f"SELECT key, {columns} FROM records WHERE key IN ({marks})", part)

    def states(self, keys: Sequence[str], digest: str | None = None) -> dict:
        """{key: 1 (its text is known) or 0 (left out last time)} of the keys
        the last publish saw; a key not there is new.  A slice the last
        publish saw whole (its `digest`, publish.slice_digest) is answered
        by one row of `slices`.  Else SQLite answers a batch of keys in one
        row (a row at a time costs more than the rest): how many keys it
        knows and which of them were left out — when it knows them all,
        that is the whole answer — else one JSON object of the keys it knows."""
        found: dict = {}
        if not self.valid:
            return found
        db = self._open()
        if digest is not None:
            row = db.execute("SELECT hidden FROM slices WHERE digest=?", (digest,)).fetchone()
            if row is not None:
                found = dict.fromkeys(keys, 1)
                found.update((keys[place], 0) for place in json.loads(row[0]))
                return found
        for start in range(0, len(keys), _LOOKUP):
            part = list(keys[start : start + _LOOKUP])
            marks = ",".join("?" * len(part))
            known, hidden = db.execute(
                "SELECT count(*), json_group_array(key) FILTER (WHERE subject IS NULL)"
                f" FROM records WHERE key IN ({marks})",
                part,
            ).fetchone()
            if known == len(set(part)):
                found.update(dict.fromkeys(part, 1))
                found.update(dict.fromkeys(json.loads(hidden), 0))
                continue
            (text,) = db.execute(
                f"SELECT json_group_object(key, subject IS NOT NULL) FROM records WHERE key IN ({marks})", part
            ).fetchone()
            found.update(json.loads(text))
        return found

    def entries(self, keys: Sequence[str]) -> dict:
        """{key: (page, [start, end per format], IRI, modified)} of these
        shown records, for a page written again around their old texts."""
        return {
            key: (page, _spans(spans), subject, when)
            for key, page, spans, subject, when in self._rows("page, spans, subject, modified", keys)
            if spans is not None
        }

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
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


class NewIndex:
    """The index a publish writes as it cuts the pages: a copy of the last
    one (when that one is valid) in which only the pages written again,
    and those past the new end, are replaced; swapped in by `publish` with
    the feeds, so a failed publish leaves the old index with the old feeds.
    The copy is made by a thread of its own while the map begins (the
    kernel copies, some 0.1 s a feed at 100 000 datasets); `db` waits for
    it, then connects.  The thread only copies: SQLite is used on this
    thread alone, as a pool forked meanwhile would inherit a lock of
    SQLite's held by another thread and hang at its first SQLite call."""

    def __init__(self, path: str, previous: Previous) -> None:
        self.path, self.fresh = path, not previous.valid
        for leftover in (path, path + "-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
        self._db: sqlite3.Connection | None = None
        self._failure: BaseException | None = None
        self._copying = threading.Thread(target=self._copy, args=(previous,), name=f"index {path}", daemon=True)
        self._copying.start()

    def _copy(self, previous: Previous) -> None:
        try:
            if previous.valid:
                shutil.copyfile(previous.path, self.path)  # only changes are written below
        except BaseException as error:  # raised where the index is first used
            self._failure = error

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._copying.join()
            if self._failure is not None:
                raise RuntimeError(f"publish: the new index {self.path} could not be made") from self._failure
            self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # written whole before it is used, and thrown away on any failure
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        if self.fresh:
            db.executescript(INDEX_SCHEMA)
        db.execute("BEGIN")
        db.execute("DELETE FROM slices")  # this publish's slices replace the last one's
        # the IRIs of rows replaced: a Delete unless the feed still holds them
        db.execute("CREATE TEMP TABLE dropped (subject TEXT NOT NULL)")
        return db

    def slice(self, digest: str, hidden: list[int]) -> None:
        """A slice of this publish: its digest, the places of those left out."""
        self.db.execute("INSERT OR REPLACE INTO slices VALUES (?, ?)", (digest, json.dumps(hidden)))

    def kept(self, number: int, digest: str | None) -> None:
        """Page `number` taken as it was: its rows stand."""
        self.db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?)", (number, digest))

    def written(self, number: int, digest: str | None, rows: Iterable[tuple]) -> None:
        """Page `number` written: its old rows give way to `rows`
        ((key, page, spans, IRI, modified) of every record filed under it)."""
        self.db.execute(
            "INSERT INTO dropped SELECT subject FROM records WHERE page=? AND subject IS NOT NULL", (number,)
        )
        self.db.execute("DELETE FROM records WHERE page=?", (number,))
        self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)", rows)
        self.kept(number, digest)

    def finish(self, pages: int, now: str, old_log: Iterable[tuple]) -> None:
        """Pages past the new last one dropped; the Deletes brought up to
        date: every IRI a replaced row held, and whatever the last log
        listed when there was no index to say it (`old_log`: (type, IRI,
        time)), unless the feed holds it now."""
        db = self.db
        db.execute("INSERT INTO dropped SELECT subject FROM records WHERE page>? AND subject IS NOT NULL", (pages,))
        db.execute("DELETE FROM records WHERE page>?", (pages,))
        db.execute("DELETE FROM pages WHERE number>?", (pages,))
        db.executemany(
            "INSERT OR IGNORE INTO gone VALUES (?, ?)",
            ((subject, when if kind == "Delete" and when else now) for kind, subject, when in old_log),
        )
        db.execute("INSERT OR IGNORE INTO gone SELECT subject, ? FROM dropped", (now,))
        db.execute("DELETE FROM gone WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject = gone.subject)")

    def activities(self, dataset_class: str) -> tuple[int, Iterator[list[str]]]:
        """(how many, batches of them as lines of JSON, oldest first): an
        Update for every dataset the feed holds, a Delete for every one it
        held once.  SQLite merges them in the order of its indexes and
        writes each line; they come a few thousand at a time.  Read from
        the committed index (`commit`), by any process."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        total = db.execute(
            "SELECT (SELECT count(*) FROM records WHERE subject IS NOT NULL) + (SELECT count(*) FROM gone)"
        ).fetchone()[0]
        line = (
            """'{"type": "' || ? || '", "object": {"id": ' || json_quote(subject) || ', "type": ' || ?"""
            """ || '}' || CASE WHEN {when} IS NULL THEN '' ELSE ', "endTime": ' || json_quote({when}) END || '}'"""
        )
        kind = json.dumps(dataset_class)
        rows = db.execute(
            f"SELECT {line.replace('{when}', 'modified')}, modified, subject FROM records WHERE subject IS NOT NULL"
            f" UNION ALL SELECT {line.replace('{when}', 'at')}, at, subject FROM gone ORDER BY 2, 3",
            ("Update", kind, "Delete", kind),
        )
        return total, iter(lambda: [text for text, _when, _subject in rows.fetchmany(4096)], [])

    def commit(self) -> None:
        """Every row written: the change log can be read from the file."""
        self.db.execute("COMMIT")
        self.db.close()

    def seal(self, version: str, formats: Sequence[str], files: Mapping) -> None:
        """What makes the index valid for the next publish, once the feed's
        files are all written (`files`, their sizes and times)."""
        db = sqlite3.connect(self.path, isolation_level=None)
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("version", version),
                ("layout", _LAYOUT),
                ("formats", json.dumps(list(formats))),
                ("files", json.dumps(files)),
            ],
        )
        db.close()

    def abandon(self) -> None:
        self._copying.join()
        if self._db is not None:
            self._db.close()
        if os.path.exists(self.path):
            os.remove(self.path)


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
    the page is taken from the last publish (same hash) or written, and its
    rows of the new index with it."""

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
        index_path: str,
    ) -> None:
        super().__init__(folder, feed_url, profile, formats, catalog_info, page_size, changes=True)
        self.version, self.previous = version, previous
        self.leads = [len(WRITERS[extension].lead) for extension in self.formats]
        self.new_index = NewIndex(index_path, previous)
        #: [key, where its texts lie (None: the old files; False: left out),
        #: chunk, IRI, modified] of the records not yet on a page
        self.pending: list = []
        self.shown = 0  # of them, those the feed shows
        self.unnamed = 0  # records without a key (no index kept): numbered for the log's rows
        self.index: dict = {}
        self.old: dict = {}
        self.reused = 0
        self.written = 0

    def add_entries(self, entries: Iterable, chunk: int, fds: Sequence[int]) -> None:
        """A chunk's entries for this feed: [key, None] (left out), [key,
        OLD] (the text the last publish wrote) or [key, [length per format],
        IRI, modified], the fresh texts lying one after another in `fds`
        (one per format), each non-empty one after its format's `lead`
        (JSON-LD's comma), as on a page: a page's texts from one fragment
        are one run of bytes, copied at once (`_write`)."""
        offsets = [0] * len(self.formats)
        leads = self.leads
        pending = self.pending  # a name of this frame: an entry a record, 100 000 of them
        for entry in entries:
            key, state = entry[0], entry[1]
            if key is None:
                self.unnamed += 1
                key = f"#{self.unnamed}"  # never a content hash, so never looked up
            if state is None:
                pending.append([key, False, chunk, None, None])
                continue
            if state == OLD:
                pending.append([key, None, chunk, None, None])
            else:
                starts = [
                    offset + (lead if length else 0) for offset, lead, length in zip(offsets, leads, state, strict=True)
                ]
                pending.append([key, list(zip(fds, starts, state, strict=True)), chunk, entry[2], entry[3]])
                offsets = [start + length for start, length in zip(starts, state, strict=True)]
            self.shown += 1
            if self.shown > self.page_size:
                self._emit_page()

    def add_slices(self, slices: Iterable, entries: Sequence) -> None:
        """The map's slices of a chunk ([digest, records], in order over the
        chunk's `entries`) into the new index, each with the places of the
        records this feed left out (what `Previous.states` reads back)."""
        at = 0
        for digest, count in slices:
            part = entries[at : at + count]
            self.new_index.slice(digest, [n for n, entry in enumerate(part) if entry[1] is None])
            at += count

    def _emit_page(self) -> None:
        """The first `page_size` shown records waiting, and the left-out
        ones among them, as a page: another one follows."""
        shown = (n for n, item in enumerate(self.pending) if item[1] is not False)
        cut = next(islice(shown, self.page_size, None))  # where the next page's first one waits
        self._emit(self.pending[:cut], has_next=True)
        del self.pending[:cut]
        self.shown -= self.page_size

    def waiting_since(self) -> int | None:
        """The chunk whose fragments the oldest waiting dataset needs, if any."""
        return self.pending[0][2] if self.pending else None

    def finish(self) -> None:
        if self.pending or not self.page:
            self._emit(self.pending, has_next=False)
        self.pending, self.shown = [], 0

    def _emit(self, items: list, has_next: bool) -> None:
        number = self.page + 1
        shown = [item for item in items if item[1] is not False]
        keys = [item[0] for item in shown]
        digest = None
        if not self.unnamed:  # a page is known by its records' keys, the left-out ones too
            hidden = [item[0] for item in items if item[1] is False]
            digest = hashlib.blake2b(
                json.dumps([self.version, number, has_next, keys, hidden]).encode(), digest_size=16
            ).hexdigest()
        if digest is not None and digest == self.previous.page_hash(number) and self._take_old(number):
            self.page = number
            self.new_index.kept(number, digest)
        else:
            self.old = self.previous.entries([item[0] for item in shown if item[1] is None])
            self.index = {}
            self._write(number, [(key, where, chunk) for key, where, chunk, *_member in shown], has_next)
            self.new_index.written(number, digest, self._rows(number, items))
            self.old = {}
            self.written += 1
        self.datasets += len(shown)
        self.reused += sum(1 for item in shown if item[1] is None)

    def _rows(self, number: int, items: list) -> Iterator[tuple]:
        """The new index's rows of a page just written."""
        for key, where, _chunk, subject, when in items:
            if where is False:
                yield key, number, None, None, None
                continue
            if where is None:
                _page, _spans, subject, when = self.old[key]
            yield key, number, array("q", self.index[key][1:]).tobytes(), subject, when

    def _take_old(self, number: int) -> bool:
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
        page, spans, _subject, _when = self.old[key]  # the text the last publish wrote
        return self.previous.fd(page, self.formats[n]), spans[2 * n], spans[2 * n + 1] - spans[2 * n]

    def summary(self) -> dict:
        return {"datasets": self.datasets, "pages": self.page, "reused": self.reused, "written": self.written}

    def complete_index(self, old_log: str, now: str) -> None:
        """The new index completed and committed, the change log to be
        written from it (`write_changes`): the Deletes come from the last
        index (the rows of the pages written again); without a valid one,
        from the last log (`old_log`)."""
        self.new_index.finish(self.page, now, () if self.previous.valid else _read_log(old_log))
        self.new_index.commit()

    def write_changes(self) -> None:
        """The feed's change log, from its completed index, in this process
        or another: an ActivityStreams 2.0 OrderedCollection (as the IIIF
        Change Discovery API writes one), oldest first, of an Update for
        every dataset in the feed (endTime: when its record last changed)
        and a Delete for every dataset the feed showed once and no longer
        holds (endTime: the publish that found it gone).  Only datasets the
        feed showed are named.  Written from the index in time order, one
        activity a line: never held whole."""
        total, activities = self.new_index.activities(self.profile.dataset_class)
        head = {
            "@context": ACTIVITY_STREAMS,
            "id": f"{self.feed_url}/{CHANGES}",
            "type": "OrderedCollection",
            "totalItems": total,
        }
        with open(os.path.join(self.folder, CHANGES), "w", encoding="utf-8", buffering=_BUFFER) as f:
            # one activity a line: a reader can stop at the date it last read
            f.write(json.dumps(head, ensure_ascii=False)[:-1] + ',\n"orderedItems": [')
            separator = "\n"
            for lines in activities:
                f.write(separator + ",\n".join(lines))
                separator = ",\n"
            f.write("\n]}\n")

    def seal_index(self) -> None:
        """The new index made valid for the files now in the feed's folder."""
        self.new_index.seal(self.version, self.formats, file_stats(self.folder))

    def abandon(self) -> None:
        super().abandon()
        self.new_index.abandon()


def _copy(out: Counted, run: list | None) -> None:
    if run and run[2] > run[1]:
        out.copy(*run)


def _spans(packed: bytes) -> list:
    spans = array("q")
    spans.frombytes(packed)
    return spans.tolist()


def _read_log(path: str) -> Iterator[tuple]:
    """(type, IRI, time) of every activity of the feed's current change log
    (none if it has none), read a line at a time as `write_changes` wrote it."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith('{"type"'):
                    try:
                        item = json.loads(line.rstrip().rstrip(","))
                        yield item["type"], item["object"]["id"], item.get("endTime")
                    except (ValueError, KeyError, TypeError):
                        continue
    except OSError:
        return


def modified(record: Mapping) -> str | None:
    """When a record last changed, as a change log says it: the store's time
    of its last change, else the catalogue's metadata_modified (UTC is not
    said where the source did not say it)."""
    return record.get("harvest_updated") or record.get("metadata_modified") or None


def publish_time() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
