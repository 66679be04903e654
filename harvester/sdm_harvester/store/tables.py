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
    # from data, kept beside it (`derived`) so both databases can pick the
    # winning copy of a dataset held more than once without JSON functions
    # of their own, and a publish can key a record without reading its data
    *_optional("origin"),
    *_optional("hops", kind=_int),  # len(data.provenance)
    *_optional("policy"),  # [disclosure, embargo_until] of a deferred record, else NULL
)
sa.Index("records_name", records.c.name, unique=True)
sa.Index("records_by_origin", records.c.origin, records.c.hops)
# the rows of an earlier version's classified records (Store._forget_classified),
# looked for at every opening: without it, a read of the whole table
_CLASSIFIED = records.c.classified == 1
sa.Index("records_classified", records.c.classified, sqlite_where=_CLASSIFIED, postgresql_where=_CLASSIFIED)
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


#: The columns `derived` from a record's data.
DERIVED = ("origin", "hops", "policy")
#: What the `policy` column holds, in order (a JSON array).
POLICY = ("disclosure", "embargo_until")


def derived(data: dict | None) -> dict:
    """The columns kept beside a record's data, read from it: its `origin`
    and `hops` (len(data.provenance)), and for a deferred record its
    `policy`, what decides whether its embargo runs on a given day
    (disclosure.embargo_active): a publish that reads no content still
    keys the record by it.  All None without data."""
    if data is None:
        return dict.fromkeys(DERIVED)
    origin = data.get("origin")
    deferred = data.get("disclosure") == "deferred"
    return {
        "origin": None if origin is None else str(origin),
        "hops": len(data.get("provenance") or ()),
        "policy": json.dumps([data.get(field) for field in POLICY], default=str) if deferred else None,
    }


def create(conn: sa.engine.Connection) -> None:
    """Every table, and the columns a store of an earlier version lacks."""
    metadata.create_all(conn, checkfirst=True)
    columns = {c["name"] for c in sa.inspect(conn).get_columns("records")}
    missing = [name for name in DERIVED if name not in columns]
    if missing:
        _add_derived_columns(conn, missing)
    for index in records.indexes:  # those an earlier version did not make
        index.create(conn, checkfirst=True)


def _add_derived_columns(conn: sa.engine.Connection, missing: list[str]) -> None:
    """A store written before some `derived` columns existed (the embedded
    SQLite of earlier versions) gets them, and every derived column is
    filled in again from the data."""
    for name in missing:
        kind = records.c[name].type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE records ADD COLUMN {name} {kind}")
    update = (
        records.update()
        .where(records.c.source == sa.bindparam("s"), records.c.identifier == sa.bindparam("i"))
        .values({name: sa.bindparam(name) for name in DERIVED})
    )
    after: tuple = ("", "")
    while True:  # a thousand records at a time, in key order: memory does not grow with the store
        rows = conn.execute(
            sa.select(records.c.source, records.c.identifier, records.c.data)
            .where(records.c.data.is_not(None), sa.tuple_(records.c.source, records.c.identifier) > after)
            .order_by(records.c.source, records.c.identifier)
            .limit(1000)
        ).fetchall()
        if not rows:
            break
        conn.execute(update, [dict(derived(json.loads(row.data)), s=row.source, i=row.identifier) for row in rows])
        after = (rows[-1].source, rows[-1].identifier)
