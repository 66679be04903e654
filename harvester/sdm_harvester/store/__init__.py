"""The store: every harvested record, in SQLite (embedded) or PostgreSQL (shared).

Its parts, each a module and a class over the one `Database` (one engine,
one connection, one transaction at a time) they share:

* `records.RecordStore` — every harvested record keyed by (source, original
  identifier) with its content hash, first/last seen and withdrawal time;
  the publisher reads it through `iter_datasets()`;
* `ledger.LoadLedger` — per load target, the hash each record was last
  loaded with;
* `runlog.RunLog` — each source's last run, a bounded run history and, for
  runs spread over workers, each source's part of the run;
* `cache.HttpCache` and `cache.PageMemos` — the HTTP validators and bodies
  for conditional requests, and each DCAT page as last read;
* `leases.Leases` — the per-source leases that keep a source from being
  harvested twice at once (`leases.Lease` holds one and fences the
  database's writes).

`Store` is all of them over one Database, as the pipeline, the command line,
the workers, the publisher and the backup use it; sources see only the
protocols they need (`http.Cache`, `sources.base.PageMemo`).

One implementation over SQLAlchemy Core (1.4 and 2.0) speaks both
databases: by default one SQLite file in the data directory, which is what
a single machine needs; given `postgresql://…` (`--store`, `$SDM_STORE`),
one database that workers on many machines share (docs/harvester.md,
"Many workers").  The guarantees are the same on both:

* writes happen in short transactions (`transaction()`, `batches()`: a
  batch of records, a source's withdrawals), so a run killed at any point
  leaves whole records and a rerun picks up where it stopped;
* the primary key makes duplicates impossible and the content hash turns
  already-stored records into no-ops;
* the run history keeps the newest runs only;
* a transaction opened while a `Lease` fences the store first renews the
  lease inside that same transaction, and fails (`LeaseLost`) when another
  worker has taken the source: writes land only while their worker holds it.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

import sqlalchemy as sa

from sdm_harvester.store.cache import CACHE_MAX_AGE, HttpCache, PageMemos
from sdm_harvester.store.database import (
    DB_NAME,
    STORE_ENV,
    Database,
    LeaseLost,
    describe,
    make_engine,
    now_iso,
    open_failure,
    store_url,
)
from sdm_harvester.store.leases import LEASE_TTL, Busy, Lease, Leases, holder_name
from sdm_harvester.store.ledger import LoadLedger
from sdm_harvester.store.records import (
    ID_NAMESPACE,
    NEW,
    UNCHANGED,
    UPDATED,
    Incoming,
    RecordStore,
    StoredRecord,
    dataset_id,
)
from sdm_harvester.store.runlog import RunLog
from sdm_harvester.store.tables import MIGRATED, derived, http_cache, loads, pages, records

__all__ = [
    "CACHE_MAX_AGE",
    "DB_NAME",
    "ID_NAMESPACE",
    "LEASE_TTL",
    "MIGRATED",
    "NEW",
    "STORE_ENV",
    "UNCHANGED",
    "UPDATED",
    "Busy",
    "Database",
    "HttpCache",
    "Incoming",
    "Lease",
    "LeaseLost",
    "Leases",
    "LoadLedger",
    "PageMemos",
    "RecordStore",
    "RunLog",
    "Store",
    "StoredRecord",
    "dataset_id",
    "describe",
    "open_failure",
    "holder_name",
    "make_engine",
    "migrate",
    "now_iso",
    "store_url",
]


class Store(RecordStore, LoadLedger, RunLog, HttpCache, PageMemos, Leases):
    """Every part of the store over one Database: its SQLite file in the
    data directory, or the database at `url` (or $SDM_STORE) shared with
    other workers."""

    def __init__(self, data_dir: str, url: str | None = None) -> None:
        super().__init__(Database(data_dir, url))
        self._forget_classified()

    # the database's, for the callers that speak to the store as one
    data_dir = property(lambda self: self.database.data_dir)
    url = property(lambda self: self.database.url)
    dialect = property(lambda self: self.database.dialect)
    path = property(lambda self: self.database.path)
    engine = property(lambda self: self.database.engine)
    db = property(lambda self: self.database.dbapi, doc="The DBAPI connection (sqlite3 or psycopg2).")

    @property
    def fence(self) -> tuple[str, str, float] | None:
        return self.database.fence

    @fence.setter
    def fence(self, fence: tuple[str, str, float] | None) -> None:
        self.database.fence = fence

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One transaction over every part (a savepoint when nested)."""
        return self.database.transaction()

    def batches(self, size: int) -> contextlib.AbstractContextManager[Callable[[], None]]:
        """A transaction committed every `size` ticks (Database.batches)."""
        return self.database.batches(size)

    def close(self) -> None:
        self.database.close()

    def _forget_classified(self) -> None:
        """Stores written before classified records were only counted held
        their identifiers and possibly their pages: keep what was once
        loaded somewhere as a withdrawal, drop the rest and the memos."""
        db = self.database
        if not db.read(sa.select(records.c.source).where(records.c.classified == 1).limit(1)):
            return
        with db.transaction():
            loaded = sa.exists().where(loads.c.source == records.c.source, loads.c.identifier == records.c.identifier)
            db.conn.execute(
                records.update()
                .where(records.c.classified == 1, loaded)
                .values(
                    classified=0,
                    data=None,
                    withdrawn_at=sa.func.coalesce(records.c.withdrawn_at, now_iso()),
                    **derived(None),
                )
            )
            db.conn.execute(records.delete().where(records.c.classified == 1))
            db.conn.execute(pages.delete())
            db.conn.execute(http_cache.delete())


def migrate(source: Store, target: Store, batch: int = 1000) -> dict:
    """Copy every row of one store into another, empty one (SQLite to
    PostgreSQL), in one transaction of the target: on any failure the
    target stays empty.  Returns {table: rows copied}."""
    into = target.database
    held = {t.name: into.read(sa.select(sa.func.count()).select_from(t))[0][0] for t in MIGRATED}
    if any(held.values()):
        busy = ", ".join(f"{name} {n}" for name, n in held.items() if n)
        raise ValueError(f"{describe(target.url)} is not empty ({busy}); migrate into an empty store")
    copied = {}
    with into.transaction():
        for table in MIGRATED:
            copied[table.name] = _copy(source.database.stream(sa.select(table)), into, table, batch)
        if into.dialect == "postgresql":  # later runs continue after the copied ids
            into.conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('runs', 'id'), coalesce(max(id), 0) + 1, false) FROM runs"
            )
    return copied


def _copy(rows: Iterator[Any], into: Database, table: sa.Table, batch: int) -> int:
    copied, chunk = 0, []
    for row in rows:
        chunk.append(dict(row._mapping))
        if len(chunk) >= batch:
            into.conn.execute(table.insert(), chunk)
            copied, chunk = copied + len(chunk), []
    if chunk:
        into.conn.execute(table.insert(), chunk)
        copied += len(chunk)
    return copied
