"""The store's tables, one SQLAlchemy `MetaData` for all of its parts.

One schema in one database: the record store, the load ledger, the run log,
the HTTP cache and the leases are separate classes, but a migration copies
them together and one transaction may span them (a lease renewed in the
transaction that writes records).
"""

from __future__ import annotations

import json

import sqlalchemy as sa

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

#: Tables a migration copies, parents first; leases are not worth moving.
MIGRATED = (records, sources, runs, run_sources, loads, pages, http_cache)


def origin_and_hops(data: dict | None) -> tuple[str | None, int | None]:
    """The `origin` and `hops` columns of a record's data."""
    if data is None:
        return None, None
    origin = data.get("origin")
    return (None if origin is None else str(origin)), len(data.get("provenance") or ())


def create(conn: sa.engine.Connection) -> None:
    """Every table, and the columns a store of an earlier version lacks."""
    metadata.create_all(conn, checkfirst=True)
    columns = {c["name"] for c in sa.inspect(conn).get_columns("records")}
    if "origin" not in columns:
        _add_origin_columns(conn)


def _add_origin_columns(conn: sa.engine.Connection) -> None:
    """A store written before `origin` and `hops` had their columns
    (the embedded SQLite of earlier versions) gets them, filled in."""
    conn.exec_driver_sql("ALTER TABLE records ADD COLUMN origin TEXT")
    conn.exec_driver_sql("ALTER TABLE records ADD COLUMN hops INTEGER")
    rows = conn.execute(
        sa.select(records.c.source, records.c.identifier, records.c.data).where(records.c.data.is_not(None))
    ).fetchall()
    for row in rows:
        origin, hops = origin_and_hops(json.loads(row.data))
        conn.execute(
            records.update()
            .where(records.c.source == row.source, records.c.identifier == row.identifier)
            .values(origin=origin, hops=hops)
        )
    for index in records.indexes:
        index.create(conn, checkfirst=True)
