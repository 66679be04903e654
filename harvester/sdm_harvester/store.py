"""The store: every harvested record, in SQLite (embedded) or PostgreSQL (shared).

It holds every harvested record keyed by (source, original identifier) with
its content hash, first/last seen and withdrawal time; each source's last
run; a bounded run history (and, for runs spread over workers, each
source's part of the run); the HTTP validators and bodies for conditional
requests; per load target, the hash each record was last loaded with; and
the per-source leases that keep a source from being harvested twice at once.
The publisher reads it through `iter_datasets()`.

One implementation over SQLAlchemy Core (1.4 and 2.0) speaks both
databases: by default one SQLite file in the data directory, which is what
a single machine needs; given `postgresql://…` (`--store`, `$SDM_STORE`),
one database that workers on many machines share (docs/harvester.md,
"Many workers").  The guarantees are the same on both:

* writes happen in short transactions (a batch of records, a source's
  withdrawals), so a run killed at any point leaves whole records and a
  rerun picks up where it stopped;
* the primary key makes duplicates impossible and the content hash turns
  already-stored records into no-ops;
* the run history keeps the newest runs only.

A transaction opened while a `Lease` fences the store first renews the
lease inside that same transaction, and fails (`LeaseLost`) when another
worker has taken the source: writes land only while their worker holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from sdm_harvester.lock import refuse_links

DB_NAME = "harvest.sqlite"
#: Environment variable naming a shared store (a database URL).
STORE_ENV = "SDM_STORE"
#: Seconds a lease runs without renewal; a dead worker's source is free after it.
LEASE_TTL = 60.0
#: Namespace of the stable dataset ids derived from (source, identifier).
ID_NAMESPACE = uuid.UUID("5b1f2e0c-6a57-4f0e-9d0a-2f7c3d1c5e11")
#: Conditional-request cache entries unused this long are dropped.
CACHE_MAX_AGE = dt.timedelta(days=30)

metadata = sa.MetaData()
_text, _int = sa.Text, sa.Integer
records = sa.Table(
    "records",
    metadata,
    sa.Column("source", _text, primary_key=True),
    sa.Column("identifier", _text, primary_key=True),
    sa.Column("name", _text, nullable=False),
    sa.Column("hash", _text, nullable=False),
    sa.Column("data", _text),  # the SDM dataset as JSON; NULL once withdrawn as hidden
    sa.Column("classified", _int, nullable=False, server_default="0"),
    sa.Column("source_modified", _text),  # the source's own modification mark
    sa.Column("first_seen", _text, nullable=False),
    sa.Column("last_seen", _text, nullable=False),
    sa.Column("updated", _text, nullable=False),  # when data or hash last changed
    sa.Column("withdrawn_at", _text),
    # from data, kept beside it so both databases can pick the winning copy
    # of a dataset held more than once without JSON functions of their own
    sa.Column("origin", _text),
    sa.Column("hops", _int),  # len(data.provenance)
)
sa.Index("records_name", records.c.name, unique=True)
sa.Index("records_by_origin", records.c.origin, records.c.hops)
sources = sa.Table(
    "sources",
    metadata,
    sa.Column("name", _text, primary_key=True),
    *(
        sa.Column(c, _text)
        for c in ("last_started", "last_finished", "last_status", "last_success", "last_counts", "last_error")
    ),
)
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", _int, primary_key=True, autoincrement=True),
    sa.Column("started", _text, nullable=False),
    sa.Column("finished", _text),
    sa.Column("exit_code", _int),
    sa.Column("report", _text),
    sqlite_autoincrement=True,
)
# a run spread over workers: one row per queued source, its report once done
run_sources = sa.Table(
    "run_sources",
    metadata,
    sa.Column("run_id", _int, primary_key=True),
    sa.Column("source", _text, primary_key=True),
    sa.Column("report", _text),
)
# what each target (a CKAN site) holds of each record: the content hash
# loaded there, NULL once withdrawn from it
loads = sa.Table(
    "loads",
    metadata,
    sa.Column("target", _text, primary_key=True),
    sa.Column("source", _text, primary_key=True),
    sa.Column("identifier", _text, primary_key=True),
    sa.Column("hash", _text),
    sa.Column("loaded_at", _text, nullable=False),
)
# DCAT pages as last read: a byte-identical page whose records are all held
# is not parsed again
pages = sa.Table(
    "pages",
    metadata,
    sa.Column("source", _text, primary_key=True),
    sa.Column("url", _text, primary_key=True),
    sa.Column("digest", _text, nullable=False),
    sa.Column("next_url", _text),
    sa.Column("identifiers", _text, nullable=False),  # JSON list
)
http_cache = sa.Table(
    "http_cache",
    metadata,
    sa.Column("url", _text, primary_key=True),
    sa.Column("etag", _text),
    sa.Column("last_modified", _text),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("used_at", _text, nullable=False),
)
# who harvests a source now, until when (seconds since the epoch, by the
# database's clock, so that workers' clocks need not agree)
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("source", _text, primary_key=True),
    sa.Column("holder", _text, nullable=False),
    sa.Column("expires", sa.Float, nullable=False),
)

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"

_PUBLISHABLE = "r.withdrawn_at IS NULL AND r.classified=0 AND r.data IS NOT NULL"
#: Which copy of a dataset held more than once (one `origin`) wins: the one
#: with the fewest harvests behind it, i.e. read closest to where the
#: dataset was first catalogued (a department's own platform beats the
#: city's feed of it); between equals, the first by source name and
#: identifier.  docs/harvester.md documents the rule.
_WINNER = (
    "NOT EXISTS (SELECT 1 FROM records o WHERE o.withdrawn_at IS NULL AND o.classified=0"
    " AND o.data IS NOT NULL AND o.origin = r.origin"
    " AND (o.hops < r.hops OR (o.hops = r.hops AND (o.source < r.source"
    " OR (o.source = r.source AND o.identifier < r.identifier)))))"
)
_RECORD_COLUMNS = (
    "r.source, r.identifier, r.name, r.hash, r.data, r.classified, r.first_seen, r.updated, r.withdrawn_at"
)


class LeaseLost(RuntimeError):
    """Another worker holds the source now: this worker's writes must not land."""


class Busy(RuntimeError):
    """Another live worker holds the source's lease."""


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def dataset_id(source: str, identifier: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{source}\n{identifier}"))


def _origin_and_hops(data: dict | None) -> tuple[str | None, int | None]:
    if data is None:
        return None, None
    origin = data.get("origin")
    return (None if origin is None else str(origin)), len(data.get("provenance") or ())


@dataclass(frozen=True)
class StoredRecord:
    source: str
    identifier: str
    name: str
    hash: str
    data: dict | None
    classified: bool
    first_seen: str
    updated: str
    withdrawn_at: str | None

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


def _stored(row) -> StoredRecord:
    return StoredRecord(
        row.source,
        row.identifier,
        row.name,
        row.hash,
        json.loads(row.data) if row.data else None,
        bool(row.classified),
        row.first_seen,
        row.updated,
        row.withdrawn_at,
    )


def store_url(data_dir: str, url: str | None = None) -> str:
    """The database URL of a store: `url` (or $SDM_STORE) when given, else
    the SQLite file in the data directory."""
    url = url or os.environ.get(STORE_ENV) or ""
    if url:
        if not url.startswith(("postgresql:", "postgresql+", "sqlite:")):
            raise ValueError(f"store {url!r}: expected postgresql://… or sqlite:///…")
        return url
    return "sqlite:///" + os.path.abspath(os.path.join(data_dir, DB_NAME))


def describe(url: str) -> str:
    """The store's URL without its password, for messages and logs."""
    return sa.engine.make_url(url).__repr__()


def make_engine(url: str) -> sa.engine.Engine:
    if url.startswith("sqlite:"):
        path = sa.engine.make_url(url).database
        # SQLite's files beside the database, as links, would be written through too
        refuse_links(path, *(path + suffix for suffix in ("-wal", "-shm", "-journal")))
        engine = sa.create_engine(
            url, future=True, connect_args={"timeout": 30, "check_same_thread": False}, poolclass=sa.pool.NullPool
        )
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, future=True, pool_pre_ping=True, pool_size=2, max_overflow=2)


def _sqlite_connect(dbapi_connection, _record) -> None:
    # pysqlite's own implicit transactions off: SQLAlchemy's begin() (below) opens them
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _sqlite_begin(connection) -> None:
    # a writing transaction takes the write lock at once, so two writers
    # wait for each other (busy timeout) instead of failing on upgrade
    immediate = connection.info.pop("immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    def __init__(self, data_dir: str, url: str | None = None):
        """The store of a data directory: its SQLite file, or the database
        at `url` (or $SDM_STORE) shared with other workers."""
        os.makedirs(data_dir, exist_ok=True)
        self.data_dir = data_dir
        self.url = store_url(data_dir, url)
        self.engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name
        self.path = self.engine.url.database if self.dialect == "sqlite" else None
        self.conn = self.engine.connect()
        self._depth = 0
        #: (source, holder, ttl) while a Lease fences this store's writes
        self.fence: tuple[str, str, float] | None = None
        self._create()
        self._forget_classified()
        #: record rows written (inserted, changed, withdrawn) by this Store
        self.record_writes = 0

    @property
    def db(self):
        """The DBAPI connection under the store (sqlite3 or psycopg2), for
        tools and tests that speak the database's own SQL."""
        raw = self.conn.connection
        return getattr(raw, "dbapi_connection", None) or raw.connection

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()

    # -- schema ------------------------------------------------------------------

    def _create(self) -> None:
        with self.transaction():
            if self.dialect == "postgresql":  # workers starting at once create the tables once
                self.conn.exec_driver_sql("SELECT pg_advisory_xact_lock(5143)")
            metadata.create_all(self.conn, checkfirst=True)
            columns = {c["name"] for c in sa.inspect(self.conn).get_columns("records")}
            if "origin" not in columns:
                self._add_origin_columns()

    def _add_origin_columns(self) -> None:
        """A store written before `origin` and `hops` had their columns
        (the embedded SQLite of earlier versions) gets them, filled in."""
        self.conn.exec_driver_sql("ALTER TABLE records ADD COLUMN origin TEXT")
        self.conn.exec_driver_sql("ALTER TABLE records ADD COLUMN hops INTEGER")
        rows = self.conn.execute(
            sa.select(records.c.source, records.c.identifier, records.c.data).where(records.c.data.is_not(None))
        ).fetchall()
        for row in rows:
            origin, hops = _origin_and_hops(json.loads(row.data))
            self.conn.execute(
                records.update()
                .where(records.c.source == row.source, records.c.identifier == row.identifier)
                .values(origin=origin, hops=hops)
            )
        for index in records.indexes:
            index.create(self.conn, checkfirst=True)

    # -- transactions ----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self):
        """One transaction; a nested call is a savepoint in the outer one
        (PostgreSQL would otherwise refuse the rest of a transaction after
        one failed statement).  Under a fence, the lease is renewed in it,
        or nothing of it lands."""
        if self._depth:  # a savepoint: an error undoes this part only, on both databases
            self._depth += 1
            try:
                with self.conn.begin_nested():
                    yield
            finally:
                self._depth -= 1
            return
        if self.conn.in_transaction():  # the implicit one of a read: end it
            self.conn.rollback()
        self.conn.info["immediate"] = True
        self._depth = 1
        try:
            with self.conn.begin():
                yield
                self._check_fence()
        finally:
            self._depth = 0
            self.conn.info.pop("immediate", None)

    @contextlib.contextmanager
    def batches(self, size: int):
        """A transaction committed every `size` calls of the function it
        yields, and at the end even on an error: what was handled before a
        failure is whole, and kept."""
        state = {"pending": 0, "transaction": None}

        def begin():
            state["transaction"] = self.transaction()
            state["transaction"].__enter__()

        def tick():
            state["pending"] += 1
            if state["pending"] >= size:
                state["transaction"].__exit__(None, None, None)
                state["pending"] = 0
                begin()

        begin()
        try:
            yield tick
        finally:
            state["transaction"].__exit__(None, None, None)

    def _check_fence(self) -> None:
        if self.fence is None:
            return
        source, holder, ttl = self.fence
        if not self.renew_lease(source, holder, ttl):
            raise LeaseLost(
                f"source {source}: the lease of {holder} was taken over; nothing of this transaction was written"
            )

    def _read(self, statement, params: Mapping | None = None) -> list:
        rows = self.conn.execute(statement, dict(params or {})).fetchall()
        if not self._depth:
            self.conn.rollback()
        return rows

    def _write(self, statement, params=None):
        with self.transaction():
            return self.conn.execute(statement, params) if params is not None else self.conn.execute(statement)

    def _upsert(self, table: sa.Table, values: Mapping, update: Mapping | None = None):
        """INSERT … ON CONFLICT (primary key) DO UPDATE, in either database."""
        insert = (pg_dialect.insert if self.dialect == "postgresql" else sqlite_dialect.insert)(table)
        insert = insert.values(**values)
        keys = [c.name for c in table.primary_key]
        changes = {c: insert.excluded[c] for c in values if c not in keys}
        changes.update({c: make(insert.excluded) for c, make in (update or {}).items()})
        return self._write(insert.on_conflict_do_update(index_elements=keys, set_=changes))

    def _db_now(self):
        """Seconds since the epoch by the database's clock."""
        if self.dialect == "postgresql":
            return sa.literal_column("extract(epoch from clock_timestamp())", sa.Float)
        return sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)", sa.Float)

    # -- records -------------------------------------------------------------

    def modified_marks(self, source: str) -> dict:
        """{identifier: source_modified} of a source's current records."""
        rows = self._read(
            sa.select(records.c.identifier, records.c.source_modified).where(
                records.c.source == source, records.c.withdrawn_at.is_(None)
            )
        )
        return {r.identifier: r.source_modified for r in rows}

    def active_count(self, source: str) -> int:
        return self._read(
            sa.select(sa.func.count())
            .select_from(records)
            .where(records.c.source == source, records.c.withdrawn_at.is_(None))
        )[0][0]

    def _key(self, source: str, identifier: str):
        return sa.and_(records.c.source == source, records.c.identifier == identifier)

    def put(
        self,
        source: str,
        identifier: str,
        name: str,
        data: dict | None,
        content_hash: str,
        classified: bool,
        source_modified: str | None,
        now: str,
    ) -> str:
        """Insert or update one record; returns NEW, UPDATED or UNCHANGED.

        An unchanged record is not written (apart from a changed source
        modification mark, which only saves refetching it next time).
        """
        with self.transaction():
            rows = self._read(
                sa.select(records.c.hash, records.c.withdrawn_at, records.c.source_modified).where(
                    self._key(source, identifier)
                )
            )
            payload = None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True)
            origin, hops = _origin_and_hops(data)
            if not rows:
                self.conn.execute(
                    records.insert().values(
                        source=source,
                        identifier=identifier,
                        name=name,
                        hash=content_hash,
                        data=payload,
                        classified=int(classified),
                        source_modified=source_modified,
                        first_seen=now,
                        last_seen=now,
                        updated=now,
                        origin=origin,
                        hops=hops,
                    )
                )
                self.record_writes += 1
                return NEW
            row = rows[0]
            if row.hash == content_hash and row.withdrawn_at is None:
                if source_modified and row.source_modified != source_modified:
                    self.conn.execute(
                        records.update().where(self._key(source, identifier)).values(source_modified=source_modified)
                    )
                return UNCHANGED
            # the name is not updated: a record keeps the name it was first
            # given, so its address in a CKAN target never moves
            self.conn.execute(
                records.update()
                .where(self._key(source, identifier))
                .values(
                    hash=content_hash,
                    data=payload,
                    classified=int(classified),
                    source_modified=source_modified,
                    last_seen=now,
                    updated=now,
                    withdrawn_at=None,
                    origin=origin,
                    hops=hops,
                )
            )
            self.record_writes += 1
            return UPDATED

    def name_owner(self, name: str) -> tuple[str, str] | None:
        rows = self._read(sa.select(records.c.source, records.c.identifier).where(records.c.name == name))
        return (rows[0].source, rows[0].identifier) if rows else None

    def mark_seen(self, source: str, identifiers: Iterable[str], now: str) -> None:
        params = [{"s": source, "i": i, "now": now} for i in identifiers]
        if params:
            self._write(sa.text("UPDATE records SET last_seen=:now WHERE source=:s AND identifier=:i"), params)

    def missing(self, source: str, seen: set) -> list[str]:
        """Current identifiers of a source that a full listing did not contain."""
        return [i for i in self.modified_marks(source) if i not in seen]

    def withdraw(self, source: str, identifiers: Iterable[str], now: str) -> int:
        count = 0
        with self.transaction():
            for identifier in identifiers:
                count += self.conn.execute(
                    records.update()
                    .where(self._key(source, identifier), records.c.withdrawn_at.is_(None))
                    .values(withdrawn_at=now)
                ).rowcount
        self.record_writes += count
        return count

    def withdraw_hidden(self, source: str, identifier: str, now: str) -> int:
        """Withdraw a held record that upstream now hides (classified or
        private), dropping its content; 1 if there was one to withdraw."""
        with self.transaction():
            count = self.conn.execute(
                records.update()
                .where(self._key(source, identifier), records.c.withdrawn_at.is_(None))
                .values(withdrawn_at=now, data=None, origin=None, hops=None)
            ).rowcount
            self.conn.execute(
                records.update()
                .where(self._key(source, identifier), records.c.data.is_not(None))
                .values(data=None, origin=None, hops=None)
            )
        self.record_writes += count
        return count

    def _forget_classified(self) -> None:
        """Stores written before classified records were only counted held
        their identifiers and possibly their pages: keep what was once
        loaded somewhere as a withdrawal, drop the rest and the memos."""
        if not self._read(sa.select(records.c.source).where(records.c.classified == 1).limit(1)):
            return
        with self.transaction():
            self.conn.execute(
                sa.text(
                    "UPDATE records SET classified=0, data=NULL, origin=NULL, hops=NULL,"
                    " withdrawn_at=coalesce(withdrawn_at, :now) WHERE classified=1 AND EXISTS (SELECT 1 FROM loads l"
                    " WHERE l.source=records.source AND l.identifier=records.identifier)"
                ),
                {"now": now_iso()},
            )
            self.conn.execute(records.delete().where(records.c.classified == 1))
            self.conn.execute(pages.delete())
            self.conn.execute(http_cache.delete())

    def _select(self, where: str, join: str = "", limit: str = ""):
        return sa.text(
            f"SELECT {_RECORD_COLUMNS} FROM records r {join} WHERE {where} ORDER BY r.source, r.identifier {limit}"
        )

    def _stream(self, statement, params: Mapping | None = None) -> Iterator:
        """Rows of a long read, on a connection of its own: streamed (a
        server-side cursor on PostgreSQL), so memory does not grow with the
        catalogue, and never in the way of this store's transactions."""
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(statement, dict(params or {}))
            while True:
                rows = result.fetchmany(500)
                if not rows:
                    return
                yield from rows

    def iter_datasets(self) -> Iterator[dict]:
        """Current, publishable SDM dataset dicts, streamed in a stable order.

        Withdrawn records are left out, and classified ones are never here:
        their content is not even kept.  Copies of one dataset that arrived
        by several paths (the same `origin`) are one dataset: the winner
        (`copies`) carries the provenance of every copy.
        """
        merged = self._merged()
        for row in self._stream(self._select(_PUBLISHABLE + " AND " + _WINNER)):
            dataset = _stored(row).dataset()
            dataset.update(merged.get(dataset.get("origin"), ()))
            yield dataset

    def _merged(self) -> dict:
        """{origin: {provenance, uri}} for origins held more than once: every
        copy's provenance, and the IRI an upstream catalogue already gave
        the dataset, so that every level names it alike."""
        rows = self._stream(
            sa.text(
                f"SELECT r.origin, r.data FROM records r WHERE {_PUBLISHABLE} AND r.origin IN"
                f" (SELECT r.origin FROM records r WHERE {_PUBLISHABLE} GROUP BY r.origin HAVING count(*) > 1)"
                " ORDER BY r.hops, r.source, r.identifier"
            )
        )
        hops: dict = {}
        merged: dict = {}
        for row in rows:
            data = json.loads(row.data)
            found = hops.setdefault(row.origin, {})
            for hop in data.get("provenance") or ():
                found[(hop["catalogue"], hop["record"], hop["unit"]["uscc"])] = hop
            entry = merged.setdefault(row.origin, {})
            if data.get("uri"):
                entry.setdefault("uri", data["uri"])
        for origin, entry in merged.items():
            entry["provenance"] = [hops[origin][key] for key in sorted(hops[origin])]
        return merged

    def is_winner(self, source: str, identifier: str) -> bool:
        """Whether a record is the copy of its dataset that is published."""
        return bool(
            self._read(
                sa.text(f"SELECT 1 FROM records r WHERE r.source=:s AND r.identifier=:i AND {_WINNER}"),
                {"s": source, "i": identifier},
            )
        )

    def iter_withdrawn(self) -> Iterator[dict]:
        """{id, name, withdrawn_at} of every withdrawn record (a deletions feed)."""
        for row in self._stream(self._select("r.withdrawn_at IS NOT NULL")):
            yield {"id": dataset_id(row.source, row.identifier), "name": row.name, "withdrawn_at": row.withdrawn_at}

    # -- load targets ----------------------------------------------------------

    def pending_loads(self, target: str, source: str) -> Iterator[StoredRecord]:
        """A source's publishable records whose content the target lacks."""
        return self._pending(
            target,
            source,
            "LEFT JOIN",
            "r.withdrawn_at IS NULL AND r.classified=0 AND r.data IS NOT NULL AND (l.hash IS NULL OR l.hash != r.hash)",
        )

    def pending_withdrawals(self, target: str, source: str) -> Iterator[StoredRecord]:
        """A source's records the target holds that were withdrawn or became classified."""
        return self._pending(
            target, source, "JOIN", "l.hash IS NOT NULL AND (r.withdrawn_at IS NOT NULL OR r.classified=1)"
        )

    def _pending(self, target: str, source: str, join: str, condition: str) -> Iterator[StoredRecord]:
        # in key-ordered batches: loading writes the ledger this query reads
        join = f"{join} loads l ON l.target=:t AND l.source=r.source AND l.identifier=r.identifier"
        statement = self._select(f"r.source=:s AND r.identifier > :last AND {condition}", join, "LIMIT 100")
        last = ""
        while True:
            batch = [_stored(row) for row in self._read(statement, {"t": target, "s": source, "last": last})]
            yield from batch
            if len(batch) < 100:
                return
            last = batch[-1].identifier

    def mark_loaded(self, target: str, record: StoredRecord, loaded_hash: str | None) -> None:
        """Record what the target now holds of a record (None: withdrawn)."""
        self._upsert(
            loads,
            {
                "target": target,
                "source": record.source,
                "identifier": record.identifier,
                "hash": loaded_hash,
                "loaded_at": now_iso(),
            },
        )

    # -- sources and runs ------------------------------------------------------

    def source_state(self, name: str) -> dict | None:
        rows = self._read(sa.select(sources).where(sources.c.name == name))
        if not rows:
            return None
        state = dict(rows[0]._mapping)
        state["last_counts"] = json.loads(state["last_counts"]) if state["last_counts"] else {}
        return state

    def source_states(self) -> list[dict]:
        names = self._read(sa.select(sources.c.name).order_by(sources.c.name))
        return [self.source_state(r.name) for r in names]

    def record_source_run(
        self, name: str, started: str, finished: str, status: str, counts: Mapping, error: str | None
    ) -> None:
        success = finished if status == "ok" else None
        self._upsert(
            sources,
            {
                "name": name,
                "last_started": started,
                "last_finished": finished,
                "last_status": status,
                "last_success": success,
                "last_counts": json.dumps(dict(counts)),
                "last_error": error,
            },
            {"last_success": lambda new: sa.func.coalesce(new.last_success, sources.c.last_success)},
        )

    def start_run(self, started: str) -> int:
        with self.transaction():
            return self.conn.execute(runs.insert().values(started=started)).inserted_primary_key[0]

    def finish_run(self, run_id: int, finished: str, exit_code: int, report: Mapping, keep: int) -> None:
        with self.transaction():
            self.conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(finished=finished, exit_code=exit_code, report=json.dumps(report, ensure_ascii=False))
            )
            newest = sa.select(runs.c.id).order_by(runs.c.id.desc()).limit(keep)
            kept = [r.id for r in self.conn.execute(newest)]
            self.conn.execute(runs.delete().where(runs.c.id.not_in(kept)))
            self.conn.execute(run_sources.delete().where(run_sources.c.run_id.not_in(kept)))

    def runs(self, limit: int = 10) -> list[dict]:
        return [
            dict(r._mapping)
            for r in self._read(
                sa.select(runs.c.id, runs.c.started, runs.c.finished, runs.c.exit_code)
                .order_by(runs.c.id.desc())
                .limit(limit)
            )
        ]

    def run_started(self, run_id: int) -> str | None:
        rows = self._read(sa.select(runs.c.started).where(runs.c.id == run_id))
        return rows[0].started if rows else None

    def run_report(self, run_id: int) -> dict | None:
        rows = self._read(sa.select(runs.c.report).where(runs.c.id == run_id))
        return json.loads(rows[0].report) if rows and rows[0].report else None

    def expect_sources(self, run_id: int, names: Iterable[str]) -> None:
        """The sources a run spread over workers waits for."""
        with self.transaction():
            for name in names:
                self._upsert(run_sources, {"run_id": run_id, "source": name, "report": None})

    def record_part(self, run_id: int, name: str, report: Mapping) -> None:
        """One source's part of a spread run (a retry replaces it)."""
        self._upsert(run_sources, {"run_id": run_id, "source": name, "report": json.dumps(report, ensure_ascii=False)})

    def parts(self, run_id: int) -> dict:
        """{source: its report, or None while not done} of a spread run."""
        rows = self._read(
            sa.select(run_sources.c.source, run_sources.c.report)
            .where(run_sources.c.run_id == run_id)
            .order_by(run_sources.c.source)
        )
        return {r.source: json.loads(r.report) if r.report else None for r in rows}

    # -- leases --------------------------------------------------------------------

    def acquire_lease(self, source: str, holder: str, ttl: float) -> bool:
        """Take the source for `ttl` seconds, unless another holder's lease
        is still running.  True when `holder` now has it."""
        now = self._db_now()
        insert = (pg_dialect.insert if self.dialect == "postgresql" else sqlite_dialect.insert)(leases)
        insert = insert.values(source=source, holder=holder, expires=now + ttl)
        upsert = insert.on_conflict_do_update(
            index_elements=["source"],
            set_={"holder": holder, "expires": insert.excluded.expires},
            where=sa.or_(leases.c.expires < now, leases.c.holder == holder),
        )
        fence, self.fence = self.fence, None
        try:
            self._write(upsert)
        finally:
            self.fence = fence
        return self.lease_holder(source) == holder

    def renew_lease(self, source: str, holder: str, ttl: float) -> bool:
        """Extend a held lease; False when it is no longer `holder`'s."""
        statement = (
            leases.update()
            .where(leases.c.source == source, leases.c.holder == holder)
            .values(expires=self._db_now() + ttl)
        )
        if self._depth:
            return self.conn.execute(statement).rowcount == 1
        fence, self.fence = self.fence, None
        try:
            return self._write(statement).rowcount == 1
        finally:
            self.fence = fence

    def release_lease(self, source: str, holder: str) -> None:
        fence, self.fence = self.fence, None
        try:
            self._write(leases.delete().where(leases.c.source == source, leases.c.holder == holder))
        finally:
            self.fence = fence

    def lease_holder(self, source: str) -> str | None:
        """Who holds a running (unexpired) lease on the source."""
        rows = self._read(
            sa.select(leases.c.holder).where(leases.c.source == source, leases.c.expires >= self._db_now())
        )
        return rows[0].holder if rows else None

    def running_leases(self) -> list[dict]:
        """{source, holder, expires_in} of every running lease."""
        now = self._db_now()
        rows = self._read(
            sa.select(leases.c.source, leases.c.holder, (leases.c.expires - now).label("left"))
            .where(leases.c.expires >= now)
            .order_by(leases.c.source)
        )
        return [{"source": r.source, "holder": r.holder, "expires_in_s": round(float(r.left), 1)} for r in rows]

    # -- DCAT page memo ----------------------------------------------------------

    def page_memo(self, source: str, url: str) -> tuple[str, str | None, list] | None:
        """(digest, next_url, identifiers) of a page as last read, or None."""
        rows = self._read(
            sa.select(pages.c.digest, pages.c.next_url, pages.c.identifiers).where(
                pages.c.source == source, pages.c.url == url
            )
        )
        return (rows[0].digest, rows[0].next_url, json.loads(rows[0].identifiers)) if rows else None

    def remember_page(self, source: str, url: str, digest: str, next_url: str | None, identifiers) -> None:
        self._upsert(
            pages,
            {
                "source": source,
                "url": url,
                "digest": digest,
                "next_url": next_url,
                "identifiers": json.dumps(list(identifiers)),
            },
        )

    # -- conditional requests (http.Cache) --------------------------------------

    def lookup(self, url: str):
        rows = self._read(
            sa.select(http_cache.c.etag, http_cache.c.last_modified, http_cache.c.body).where(http_cache.c.url == url)
        )
        if not rows:
            return None
        self._write(http_cache.update().where(http_cache.c.url == url).values(used_at=now_iso()))
        return rows[0].etag, rows[0].last_modified, zlib.decompress(rows[0].body)

    def remember(self, url: str, etag: str | None, last_modified: str | None, body: bytes) -> None:
        self._upsert(
            http_cache,
            {
                "url": url,
                "etag": etag,
                "last_modified": last_modified,
                "body": zlib.compress(body),
                "used_at": now_iso(),
            },
        )

    def forget(self, url: str) -> None:
        self._write(http_cache.delete().where(http_cache.c.url == url))

    def prune_cache(self) -> None:
        cutoff = (dt.datetime.now(dt.UTC) - CACHE_MAX_AGE).replace(microsecond=0).isoformat()
        self._write(http_cache.delete().where(http_cache.c.used_at < cutoff))


def holder_name(job_id: str = "") -> str:
    """Who holds a lease: machine, process and job, for operators and tests."""
    return f"{socket.gethostname()}:{os.getpid()}:{job_id}"


class Lease:
    """A source's lease, renewed by a thread of its own every third of its
    lifetime, and fencing the store's transactions while held.  Taking it
    waits up to `wait` seconds (by default two lifetimes, within which a
    dead holder's lease runs out), then raises Busy."""

    def __init__(self, store: Store, source: str, holder: str, ttl: float = LEASE_TTL, wait: float | None = None):
        self.store, self.source, self.holder, self.ttl = store, source, holder, ttl
        self.wait = 2 * ttl if wait is None else wait
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self):
        deadline = time.monotonic() + self.wait
        while not self.store.acquire_lease(self.source, self.holder, self.ttl):
            if time.monotonic() >= deadline:
                raise Busy(f"source {self.source} is being harvested by {self.store.lease_holder(self.source)}")
            time.sleep(min(1.0, self.ttl / 4))
        self._thread = threading.Thread(target=self._renew, name=f"lease-{self.source}", daemon=True)
        self._thread.start()
        self.store.fence = (self.source, self.holder, self.ttl)
        return self

    def _renew(self) -> None:
        store = None  # a connection of its own, opened at the first renewal
        try:
            while not self._stop.wait(self.ttl / 3):
                try:
                    store = store or Store(self.store.data_dir, url=self.store.url)
                    if not store.renew_lease(self.source, self.holder, self.ttl):
                        return  # taken over: the next fenced transaction fails
                except Exception:  # a busy database: the fence still guards; try again
                    logging.getLogger(__name__).warning(
                        "source %s: could not renew the lease", self.source, exc_info=True
                    )
        finally:
            if store is not None:
                store.close()

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.store.fence = None
        self.store.release_lease(self.source, self.holder)


#: Tables a migration copies, parents first; leases are not worth moving.
MIGRATED = (records, sources, runs, run_sources, loads, pages, http_cache)


def migrate(source: Store, target: Store, batch: int = 1000) -> dict:
    """Copy every row of one store into another, empty one (SQLite to
    PostgreSQL), in one transaction of the target: on any failure the
    target stays empty.  Returns {table: rows copied}."""
    held = {t.name: target._read(sa.select(sa.func.count()).select_from(t))[0][0] for t in MIGRATED}
    if any(held.values()):
        busy = ", ".join(f"{name} {n}" for name, n in held.items() if n)
        raise ValueError(f"{describe(target.url)} is not empty ({busy}); migrate into an empty store")
    copied = {}
    with target.transaction():
        for table in MIGRATED:
            copied[table.name] = 0
            rows = source._stream(sa.select(table))
            chunk: list = []
            for row in rows:
                chunk.append(dict(row._mapping))
                if len(chunk) >= batch:
                    target.conn.execute(table.insert(), chunk)
                    copied[table.name] += len(chunk)
                    chunk = []
            if chunk:
                target.conn.execute(table.insert(), chunk)
                copied[table.name] += len(chunk)
        if target.dialect == "postgresql":  # later runs continue after the copied ids
            target.conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('runs', 'id'), coalesce(max(id), 0) + 1, false) FROM runs"
            )
    return copied
