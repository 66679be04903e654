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
_int = sa.Integer


def _key(name: str, kind: type = sa.Text) -> sa.Column:
    return sa.Column(name, kind, primary_key=True)


def _required(name: str, kind: type = sa.Text, **options: object) -> sa.Column:
    return sa.Column(name, kind, nullable=False, **options)


def _optional(*names: str, kind: type = sa.Text) -> list[sa.Column]:
    return [sa.Column(name, kind) for name in names]


records = sa.Table(
    "records",
    metadata,
    _key("source"),
    _key("identifier"),
    _required("name"),
    _required("hash"),
    *_optional("data"),  # the SDM dataset as JSON; NULL once withdrawn as hidden
    _required("classified", _int, server_default="0"),
    *_optional("source_modified"),  # the source's own modification mark
    _required("first_seen"),
    _required("last_seen"),
    _required("updated"),  # when data or hash last changed
    *_optional("withdrawn_at"),
    # from data, kept beside it so both databases can pick the winning copy
    # of a dataset held more than once without JSON functions of their own
    *_optional("origin"),
    *_optional("hops", kind=_int),  # len(data.provenance)
)
sa.Index("records_name", records.c.name, unique=True)
sa.Index("records_by_origin", records.c.origin, records.c.hops)
sources = sa.Table(
    "sources",
    metadata,
    _key("name"),
    *_optional("last_started", "last_finished", "last_status", "last_success", "last_counts", "last_error"),
)
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", _int, primary_key=True, autoincrement=True),
    _required("started"),
    *_optional("finished"),
    *_optional("exit_code", kind=_int),
    *_optional("report"),
    sqlite_autoincrement=True,
)
# a run spread over workers: one row per queued source, its report once done
run_sources = sa.Table("run_sources", metadata, _key("run_id", _int), _key("source"), *_optional("report"))
# what each target (a CKAN site) holds of each record: the content hash
# loaded there, NULL once withdrawn from it
loads = sa.Table(
    "loads", metadata, _key("target"), _key("source"), _key("identifier"), *_optional("hash"), _required("loaded_at")
)
# DCAT pages as last read: a byte-identical page whose records are all held
# is not parsed again
pages = sa.Table(
    "pages",
    metadata,
    _key("source"),
    _key("url"),
    _required("digest"),
    *_optional("next_url"),
    _required("identifiers"),  # JSON list
)
http_cache = sa.Table(
    "http_cache",
    metadata,
    _key("url"),
    *_optional("etag", "last_modified"),
    _required("body", sa.LargeBinary),
    _required("used_at"),
)
# who harvests a source now, until when (seconds since the epoch, by the
# database's clock, so that workers' clocks need not agree)
leases = sa.Table("leases", metadata, _key("source"), _required("holder"), _required("expires", sa.Float))

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
