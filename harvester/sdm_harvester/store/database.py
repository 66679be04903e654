"""The one connection every part of the store shares, and its transactions.

SQLAlchemy Core (1.4 and 2.0) over SQLite (one file in the data directory,
the default) or PostgreSQL (`postgresql://…`, shared by workers).  The
record store, load ledger, run log, HTTP cache and leases all write through
one `Database`, so that one transaction can span them.

* writes happen in short transactions (`transaction()`, `batches()`), so a
  run killed at any point leaves whole records and a rerun picks up where
  it stopped; a nested transaction is a savepoint;
* while a lease fences the database (`fence`), every transaction first
  renews the lease inside itself and fails (`LeaseLost`) when another
  worker has taken the source: writes land only while their worker holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import Any, Callable, Iterator, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from sdm_harvester.lock import refuse_links
from sdm_harvester.store import tables
from sdm_harvester.store.tables import leases

DB_NAME = "harvest.sqlite"
#: Environment variable naming a shared store (a database URL).
STORE_ENV = "SDM_STORE"


class LeaseLost(RuntimeError):
    """Another worker holds the source now: this worker's writes must not land."""


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


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


def open_failure(data_dir: str, url: str | None, error: Exception) -> str:
    """Why the store at `url` (else the data directory's) could not be
    opened, never with the password a URL may carry."""
    text = str(error)
    return f"store {describe(url) if url else data_dir}: {type(error).__name__}: {text.splitlines()[0] if text else ''}"


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


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own implicit transactions off: SQLAlchemy's begin() (below) opens them
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _sqlite_begin(connection: sa.engine.Connection) -> None:
    # a writing transaction takes the write lock at once, so two writers
    # wait for each other (busy timeout) instead of failing on upgrade
    immediate = connection.info.pop("immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One engine and one connection to the store's database, its tables
    created; the parts of the store read and write through it."""

    def __init__(self, data_dir: str, url: str | None = None) -> None:
        os.makedirs(data_dir, exist_ok=True)
        self.data_dir = data_dir
        self.url = store_url(data_dir, url)
        self.engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name
        self.path = self.engine.url.database if self.dialect == "sqlite" else None
        self.conn = self.engine.connect()
        self._depth = 0
        #: (source, holder, ttl) while a Lease fences this database's writes
        self.fence: tuple[str, str, float] | None = None
        with self.transaction():
            if self.dialect == "postgresql":  # workers starting at once create the tables once
                self.conn.exec_driver_sql("SELECT pg_advisory_xact_lock(5143)")
            tables.create(self.conn)

    @property
    def dbapi(self) -> Any:
        """The DBAPI connection under the store (sqlite3 or psycopg2), for
        tools and tests that speak the database's own SQL."""
        raw = self.conn.connection
        return getattr(raw, "dbapi_connection", None) or raw.connection

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()

    # -- transactions ----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
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
    def batches(self, size: int) -> Iterator[Callable[[], None]]:
        """A transaction committed every `size` calls of the function it
        yields, and at the end even on an error: what was handled before a
        failure is whole, and kept."""
        state: dict = {"pending": 0, "transaction": None}

        def begin() -> None:
            state["transaction"] = self.transaction()
            state["transaction"].__enter__()

        def tick() -> None:
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

    @property
    def in_transaction(self) -> bool:
        return bool(self._depth)

    # -- the fence -------------------------------------------------------------

    def renewal(self, source: str, holder: str, ttl: float) -> sa.sql.Update:
        """The statement extending `holder`'s lease on a source by `ttl`
        seconds; it changes no row once another holder has the source."""
        return (
            leases.update()
            .where(leases.c.source == source, leases.c.holder == holder)
            .values(expires=self.clock() + ttl)
        )

    def _check_fence(self) -> None:
        if self.fence is None:
            return
        source, holder, ttl = self.fence
        if self.conn.execute(self.renewal(source, holder, ttl)).rowcount != 1:
            raise LeaseLost(
                f"source {source}: the lease of {holder} was taken over; nothing of this transaction was written"
            )

    @contextlib.contextmanager
    def unfenced(self) -> Iterator[None]:
        """Writes to the leases themselves, which a fence must not guard
        (taking a lease is how a worker gets its fence)."""
        fence, self.fence = self.fence, None
        try:
            yield
        finally:
            self.fence = fence

    # -- statements ----------------------------------------------------------

    def read(self, statement: Any, params: Mapping | None = None) -> list:
        rows = self.conn.execute(statement, dict(params or {})).fetchall()
        if not self._depth:
            self.conn.rollback()
        return rows

    def write(self, statement: Any, params: Any = None) -> sa.engine.CursorResult:
        with self.transaction():
            return self.conn.execute(statement, params) if params is not None else self.conn.execute(statement)

    def upsert(
        self, table: sa.Table, values: Mapping | Sequence[Mapping], update: Mapping | None = None, where: Any = None
    ) -> sa.engine.CursorResult:
        """INSERT … ON CONFLICT (primary key) DO UPDATE [WHERE …], in either database,
        of one row or of many with the same columns in one statement.
        `update` maps columns to functions of the excluded row."""
        rows = [values] if isinstance(values, Mapping) else list(values)
        insert = (pg_dialect.insert if self.dialect == "postgresql" else sqlite_dialect.insert)(table)
        insert = insert.values(rows)
        keys = [c.name for c in table.primary_key]
        changes = {c: insert.excluded[c] for c in rows[0] if c not in keys}
        changes.update({c: make(insert.excluded) for c, make in (update or {}).items()})
        return self.write(insert.on_conflict_do_update(index_elements=keys, set_=changes, where=where))

    def stream(self, statement: Any, params: Mapping | None = None) -> Iterator:
        """Rows of a long read, on a connection of its own: streamed (a
        server-side cursor on PostgreSQL), so memory does not grow with the
        catalogue, and never in the way of this database's transactions."""
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(statement, dict(params or {}))
            while True:
                rows = result.fetchmany(500)
                if not rows:
                    return
                yield from rows

    def clock(self) -> sa.sql.ColumnElement:
        """Seconds since the epoch by the database's clock."""
        if self.dialect == "postgresql":
            return sa.literal_column("extract(epoch from clock_timestamp())", sa.Float)
        return sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)", sa.Float)


class Part:
    """A part of the store (records, load ledger, run log, caches, leases):
    its statements, over a Database it shares with the other parts."""

    def __init__(self, database: Database) -> None:
        self.database = database
