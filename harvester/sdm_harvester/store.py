"""The embedded store: one SQLite file in the data directory.

It holds every harvested record keyed by (source, original identifier) with
its content hash, first/last seen and withdrawal time; each source's last
run; a bounded run history; the HTTP validators and bodies for conditional
requests; and, per load target, the hash each record was last loaded with.  The publisher reads it
through `iter_datasets()`.

Writes happen in short transactions (a batch of records, a source's
withdrawals), so a run killed at any point leaves whole records and a rerun
picks up where it stopped: the primary key makes duplicates impossible and
the content hash turns already-stored records into no-ops.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import uuid
import zlib
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Optional

from sdm_harvester.lock import refuse_links

DB_NAME = "harvest.sqlite"
#: Namespace of the stable dataset ids derived from (source, identifier).
ID_NAMESPACE = uuid.UUID("5b1f2e0c-6a57-4f0e-9d0a-2f7c3d1c5e11")
#: Conditional-request cache entries unused this long are dropped.
CACHE_MAX_AGE = dt.timedelta(days=30)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    source TEXT NOT NULL,
    identifier TEXT NOT NULL,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT,                       -- the SDM dataset; NULL while classified
    classified INTEGER NOT NULL DEFAULT 0,
    source_modified TEXT,            -- the source's own modification mark
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    updated TEXT NOT NULL,           -- when data or hash last changed
    withdrawn_at TEXT,
    PRIMARY KEY (source, identifier)
);
CREATE UNIQUE INDEX IF NOT EXISTS records_name ON records (name);
CREATE INDEX IF NOT EXISTS records_origin ON records (json_extract(data, '$.origin'));
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    last_started TEXT,
    last_finished TEXT,
    last_status TEXT,
    last_success TEXT,
    last_counts TEXT,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT,
    exit_code INTEGER,
    report TEXT
);
-- what each target (a CKAN site) holds of each record: the content hash
-- loaded there, NULL once withdrawn from it
CREATE TABLE IF NOT EXISTS loads (
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    identifier TEXT NOT NULL,
    hash TEXT,
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (target, source, identifier)
);
-- DCAT pages as last read: a byte-identical page whose records are all held
-- is not parsed again
CREATE TABLE IF NOT EXISTS pages (
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    digest TEXT NOT NULL,
    next_url TEXT,
    identifiers TEXT NOT NULL,       -- JSON list
    PRIMARY KEY (source, url)
);
CREATE TABLE IF NOT EXISTS http_cache (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    body BLOB NOT NULL,
    used_at TEXT NOT NULL
);
"""

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"

_PUBLISHABLE = "r.withdrawn_at IS NULL AND r.classified=0 AND r.data IS NOT NULL"
_ORIGIN = "json_extract(r.data, '$.origin')"
#: Which copy of a dataset held more than once (one `origin`) wins: the one
#: with the fewest harvests behind it, i.e. read closest to where the
#: dataset was first catalogued (a department's own platform beats the
#: city's feed of it); between equals, the first by source name and
#: identifier.  docs/harvester.md documents the rule.
_WINNER = (
    "NOT EXISTS (SELECT 1 FROM records o WHERE o.withdrawn_at IS NULL AND o.classified=0"
    " AND o.data IS NOT NULL AND json_extract(o.data, '$.origin') = " + _ORIGIN +
    " AND (json_array_length(o.data, '$.provenance'), o.source, o.identifier)"
    " < (json_array_length(r.data, '$.provenance'), r.source, r.identifier))"
)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def dataset_id(source: str, identifier: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{source}\n{identifier}"))


@dataclass(frozen=True)
class StoredRecord:
    source: str
    identifier: str
    name: str
    hash: str
    data: Optional[dict]
    classified: bool
    first_seen: str
    updated: str
    withdrawn_at: Optional[str]

    def dataset(self) -> dict:
        """The SDM dataset dict as the publisher receives it.  Dates an
        upstream catalogue gave (dct:issued, dct:modified) are the dataset's
        and travel on as they came; the store's harvest times are kept apart
        (harvest_first_seen, harvest_updated) and never published as the
        dataset's dates."""
        return {
            **self.data,
            "harvest_first_seen": self.first_seen,
            "harvest_updated": self.updated,
            "id": dataset_id(self.source, self.identifier),
            "name": self.name,
            "harvest_source": self.source,
            "harvest_identifier": self.identifier,
        }


class Store:
    def __init__(self, data_dir: str):
        os.makedirs(data_dir, exist_ok=True)
        self.data_dir = data_dir
        self.path = os.path.join(data_dir, DB_NAME)
        # SQLite's files beside the database, as links, would be written through too
        refuse_links(self.path, *(self.path + suffix for suffix in ("-wal", "-shm", "-journal")))
        # autocommit; transactions are opened explicitly by transaction()
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._forget_classified()
        #: record rows written (inserted, changed, withdrawn) by this Store
        self.record_writes = 0

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self):
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- records -------------------------------------------------------------

    def modified_marks(self, source: str) -> dict:
        """{identifier: source_modified} of a source's current records."""
        rows = self.db.execute(
            "SELECT identifier, source_modified FROM records WHERE source=? AND withdrawn_at IS NULL",
            (source,),
        )
        return {r["identifier"]: r["source_modified"] for r in rows}

    def active_count(self, source: str) -> int:
        return self.db.execute(
            "SELECT count(*) FROM records WHERE source=? AND withdrawn_at IS NULL", (source,)
        ).fetchone()[0]

    def put(self, source: str, identifier: str, name: str, data: Optional[dict], content_hash: str,
            classified: bool, source_modified: Optional[str], now: str) -> str:
        """Insert or update one record; returns NEW, UPDATED or UNCHANGED.

        An unchanged record is not written (apart from a changed source
        modification mark, which only saves refetching it next time).
        """
        row = self.db.execute(
            "SELECT hash, withdrawn_at, source_modified FROM records WHERE source=? AND identifier=?",
            (source, identifier),
        ).fetchone()
        payload = None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True)
        if row is None:
            self.db.execute(
                "INSERT INTO records (source, identifier, name, hash, data, classified, source_modified,"
                " first_seen, last_seen, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (source, identifier, name, content_hash, payload, int(classified), source_modified, now, now, now),
            )
            self.record_writes += 1
            return NEW
        if row["hash"] == content_hash and row["withdrawn_at"] is None:
            if source_modified and row["source_modified"] != source_modified:
                self.db.execute(
                    "UPDATE records SET source_modified=? WHERE source=? AND identifier=?",
                    (source_modified, source, identifier),
                )
            return UNCHANGED
        # the name is not updated: a record keeps the name it was first
        # given, so its address in a CKAN target never moves
        self.db.execute(
            "UPDATE records SET hash=?, data=?, classified=?, source_modified=?, last_seen=?,"
            " updated=?, withdrawn_at=NULL WHERE source=? AND identifier=?",
            (content_hash, payload, int(classified), source_modified, now, now, source, identifier),
        )
        self.record_writes += 1
        return UPDATED

    def name_owner(self, name: str) -> Optional[tuple[str, str]]:
        row = self.db.execute("SELECT source, identifier FROM records WHERE name=?", (name,)).fetchone()
        return (row["source"], row["identifier"]) if row else None

    def mark_seen(self, source: str, identifiers: Iterable[str], now: str) -> None:
        self.db.executemany(
            "UPDATE records SET last_seen=? WHERE source=? AND identifier=?",
            ((now, source, i) for i in identifiers),
        )

    def missing(self, source: str, seen: set) -> list[str]:
        """Current identifiers of a source that a full listing did not contain."""
        return [i for i in self.modified_marks(source) if i not in seen]

    def withdraw(self, source: str, identifiers: Iterable[str], now: str) -> int:
        count = 0
        for identifier in identifiers:
            count += self.db.execute(
                "UPDATE records SET withdrawn_at=? WHERE source=? AND identifier=? AND withdrawn_at IS NULL",
                (now, source, identifier),
            ).rowcount
        self.record_writes += count
        return count

    def withdraw_hidden(self, source: str, identifier: str, now: str) -> int:
        """Withdraw a held record that upstream now hides (classified or
        private), dropping its content; 1 if there was one to withdraw."""
        count = self.db.execute(
            "UPDATE records SET withdrawn_at=?, data=NULL WHERE source=? AND identifier=? AND withdrawn_at IS NULL",
            (now, source, identifier)).rowcount
        self.db.execute("UPDATE records SET data=NULL WHERE source=? AND identifier=? AND data IS NOT NULL",
                        (source, identifier))
        self.record_writes += count
        return count

    def _forget_classified(self) -> None:
        """Stores written before classified records were only counted held
        their identifiers and possibly their pages: keep what was once
        loaded somewhere as a withdrawal, drop the rest and the memos."""
        if not self.db.execute("SELECT 1 FROM records WHERE classified=1 LIMIT 1").fetchone():
            return
        with self.transaction():
            self.db.execute(
                "UPDATE records SET classified=0, data=NULL, withdrawn_at=coalesce(withdrawn_at, ?)"
                " WHERE classified=1 AND EXISTS (SELECT 1 FROM loads l WHERE l.source=records.source"
                " AND l.identifier=records.identifier)", (now_iso(),))
            self.db.execute("DELETE FROM records WHERE classified=1")
            self.db.execute("DELETE FROM pages")
            self.db.execute("DELETE FROM http_cache")

    def _records(self, where: str, params=(), join: str = "", limit: str = "") -> Iterator[StoredRecord]:
        cursor = self.db.execute(
            "SELECT r.source, r.identifier, r.name, r.hash, r.data, r.classified, r.first_seen, r.updated,"
            f" r.withdrawn_at FROM records r {join} WHERE {where} ORDER BY r.source, r.identifier {limit}",
            params,
        )
        for row in cursor:
            yield StoredRecord(
                row["source"], row["identifier"], row["name"], row["hash"],
                json.loads(row["data"]) if row["data"] else None, bool(row["classified"]),
                row["first_seen"], row["updated"], row["withdrawn_at"],
            )

    def iter_datasets(self) -> Iterator[dict]:
        """Current, publishable SDM dataset dicts, streamed in a stable order.

        Withdrawn records are left out, and classified ones are never here:
        their content is not even kept.  Copies of one dataset that arrived
        by several paths (the same `origin`) are one dataset: the winner
        (`copies`) carries the provenance of every copy.
        """
        merged = self._merged()
        for record in self._records(_PUBLISHABLE + " AND " + _WINNER):
            dataset = record.dataset()
            dataset.update(merged.get(dataset.get("origin"), ()))
            yield dataset

    def _merged(self) -> dict:
        """{origin: {provenance, uri}} for origins held more than once: every
        copy's provenance, and the IRI an upstream catalogue already gave
        the dataset, so that every level names it alike."""
        rows = self.db.execute(
            f"SELECT {_ORIGIN} AS origin, r.data FROM records r WHERE {_PUBLISHABLE} AND {_ORIGIN} IN"
            f" (SELECT {_ORIGIN} FROM records r WHERE {_PUBLISHABLE} GROUP BY 1 HAVING count(*) > 1)"
            " ORDER BY json_array_length(r.data, '$.provenance'), r.source, r.identifier")
        hops: dict = {}
        merged: dict = {}
        for row in rows:
            data = json.loads(row["data"])
            found = hops.setdefault(row["origin"], {})
            for hop in data.get("provenance") or ():
                found[(hop["catalogue"], hop["record"], hop["unit"]["uscc"])] = hop
            entry = merged.setdefault(row["origin"], {})
            if data.get("uri"):
                entry.setdefault("uri", data["uri"])
        for origin, entry in merged.items():
            entry["provenance"] = [hops[origin][key] for key in sorted(hops[origin])]
        return merged

    def is_winner(self, source: str, identifier: str) -> bool:
        """Whether a record is the copy of its dataset that is published."""
        return self.db.execute(f"SELECT 1 FROM records r WHERE r.source=? AND r.identifier=? AND {_WINNER}",
                               (source, identifier)).fetchone() is not None

    def iter_withdrawn(self) -> Iterator[dict]:
        """{id, name, withdrawn_at} of every withdrawn record (a deletions feed)."""
        for record in self._records("withdrawn_at IS NOT NULL"):
            yield {"id": dataset_id(record.source, record.identifier), "name": record.name,
                   "withdrawn_at": record.withdrawn_at}

    # -- load targets ----------------------------------------------------------

    def pending_loads(self, target: str, source: str) -> Iterator[StoredRecord]:
        """A source's publishable records whose content the target lacks."""
        return self._pending(target, source, "LEFT JOIN",
                             "r.withdrawn_at IS NULL AND r.classified=0 AND r.data IS NOT NULL"
                             " AND (l.hash IS NULL OR l.hash != r.hash)")

    def pending_withdrawals(self, target: str, source: str) -> Iterator[StoredRecord]:
        """A source's records the target holds that were withdrawn or became classified."""
        return self._pending(target, source, "JOIN",
                             "l.hash IS NOT NULL AND (r.withdrawn_at IS NOT NULL OR r.classified=1)")

    def _pending(self, target: str, source: str, join: str, condition: str) -> Iterator[StoredRecord]:
        # in key-ordered batches: loading writes the ledger this query reads,
        # and SQLite does not promise what a running query sees of that
        join = f"{join} loads l ON l.target=? AND l.source=r.source AND l.identifier=r.identifier"
        last = ""
        while True:
            batch = list(self._records(f"r.source=? AND r.identifier > ? AND {condition}",
                                       (target, source, last), join, "LIMIT 100"))
            yield from batch
            if len(batch) < 100:
                return
            last = batch[-1].identifier

    def mark_loaded(self, target: str, record: StoredRecord, loaded_hash: Optional[str]) -> None:
        """Record what the target now holds of a record (None: withdrawn)."""
        self.db.execute(
            "INSERT OR REPLACE INTO loads (target, source, identifier, hash, loaded_at) VALUES (?,?,?,?,?)",
            (target, record.source, record.identifier, loaded_hash, now_iso()),
        )

    # -- sources and runs ------------------------------------------------------

    def source_state(self, name: str) -> Optional[dict]:
        row = self.db.execute("SELECT * FROM sources WHERE name=?", (name,)).fetchone()
        if row is None:
            return None
        state = dict(row)
        state["last_counts"] = json.loads(state["last_counts"]) if state["last_counts"] else {}
        return state

    def source_states(self) -> list[dict]:
        return [self.source_state(r["name"]) for r in self.db.execute("SELECT name FROM sources ORDER BY name")]

    def record_source_run(self, name: str, started: str, finished: str, status: str,
                          counts: Mapping, error: Optional[str]) -> None:
        success = finished if status == "ok" else None
        self.db.execute(
            "INSERT INTO sources (name, last_started, last_finished, last_status, last_success, last_counts,"
            " last_error) VALUES (?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET last_started=excluded.last_started,"
            " last_finished=excluded.last_finished, last_status=excluded.last_status,"
            " last_success=coalesce(excluded.last_success, sources.last_success),"
            " last_counts=excluded.last_counts, last_error=excluded.last_error",
            (name, started, finished, status, success, json.dumps(dict(counts)), error),
        )

    def start_run(self, started: str) -> int:
        return self.db.execute("INSERT INTO runs (started) VALUES (?)", (started,)).lastrowid

    def finish_run(self, run_id: int, finished: str, exit_code: int, report: Mapping, keep: int) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE runs SET finished=?, exit_code=?, report=? WHERE id=?",
                (finished, exit_code, json.dumps(report, ensure_ascii=False), run_id),
            )
            self.db.execute("DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)", (keep,))

    def runs(self, limit: int = 10) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT id, started, finished, exit_code FROM runs ORDER BY id DESC LIMIT ?", (limit,))]

    # -- DCAT page memo ----------------------------------------------------------

    def page_memo(self, source: str, url: str) -> Optional[tuple[str, Optional[str], list]]:
        """(digest, next_url, identifiers) of a page as last read, or None."""
        row = self.db.execute("SELECT digest, next_url, identifiers FROM pages WHERE source=? AND url=?",
                              (source, url)).fetchone()
        return (row["digest"], row["next_url"], json.loads(row["identifiers"])) if row else None

    def remember_page(self, source: str, url: str, digest: str, next_url: Optional[str], identifiers) -> None:
        self.db.execute("INSERT OR REPLACE INTO pages (source, url, digest, next_url, identifiers)"
                        " VALUES (?,?,?,?,?)", (source, url, digest, next_url, json.dumps(list(identifiers))))

    # -- conditional requests (http.Cache) --------------------------------------

    def lookup(self, url: str):
        row = self.db.execute("SELECT etag, last_modified, body FROM http_cache WHERE url=?", (url,)).fetchone()
        if row is None:
            return None
        self.db.execute("UPDATE http_cache SET used_at=? WHERE url=?", (now_iso(), url))
        return row["etag"], row["last_modified"], zlib.decompress(row["body"])

    def remember(self, url: str, etag: Optional[str], last_modified: Optional[str], body: bytes) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO http_cache (url, etag, last_modified, body, used_at) VALUES (?,?,?,?,?)",
            (url, etag, last_modified, zlib.compress(body), now_iso()),
        )

    def forget(self, url: str) -> None:
        self.db.execute("DELETE FROM http_cache WHERE url=?", (url,))

    def prune_cache(self) -> None:
        cutoff = (dt.datetime.now(dt.timezone.utc) - CACHE_MAX_AGE).replace(microsecond=0).isoformat()
        self.db.execute("DELETE FROM http_cache WHERE used_at < ?", (cutoff,))
