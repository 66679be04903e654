"""The record store: every harvested record, keyed by (source, original
identifier), with its content hash, first/last seen and withdrawal time.

The primary key makes duplicates impossible and the content hash turns
already-stored records into no-ops.  Classified records are never here:
their content is not even kept.  The publisher reads the store through
`iter_datasets()`, one winner per dataset held more than once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa

from sdm_harvester.store.database import Database, Part
from sdm_harvester.store.tables import POLICY, derived, records

#: Namespace of the stable dataset ids derived from (source, identifier).
ID_NAMESPACE = uuid.UUID("5b1f2e0c-6a57-4f0e-9d0a-2f7c3d1c5e11")

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"

PUBLISHABLE = "r.withdrawn_at IS NULL AND r.classified=0 AND r.data IS NOT NULL"
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
#: Records whose content one statement reads (`stored_contents`).
_READ = 500
_RECORD_COLUMNS = (
    "r.source, r.identifier, r.name, r.hash, r.data, r.classified, r.first_seen, r.updated, r.withdrawn_at"
)


def dataset_id(source: str, identifier: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{source}\n{identifier}"))


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


@dataclass(slots=True)  # not frozen: one is made for every record a publish reads, and frozen costs 6x
class Publishable:
    """A publishable record as the store holds it, its content not yet
    decoded: what `iter_datasets` yields, decoded (`dataset()`) only when
    asked.  An incremental publish knows an unchanged record by `identity`
    without decoding it: the content hash stands for the content."""

    source: str
    identifier: str
    name: str
    hash: str
    #: the content as stored (JSON), None when it was not read (`stored_contents`)
    data: str | None
    first_seen: str
    updated: str
    #: provenance and IRI from the other copies of the dataset (`_merged`)
    merged: dict
    #: its disclosure and embargo_until when deferred (the `policy` column), else empty
    policy: dict

    def dataset(self, data: str | None = None) -> dict:
        """The SDM dataset dict (StoredRecord.dataset), of `data` when the content was not read."""
        record = StoredRecord(
            self.source,
            self.identifier,
            self.name,
            self.hash,
            json.loads(self.data if data is None else data),
            False,
            self.first_seen,
            self.updated,
            None,
        )
        return {**record.dataset(), **self.merged}

    def identity(self) -> str:
        """Everything `dataset()` is made of, the content by its hash."""
        fields = "\x1f".join((self.hash, self.source, self.identifier, self.name, self.first_seen, self.updated))
        return fields + (json.dumps(self.merged, ensure_ascii=False, sort_keys=True) if self.merged else "")


def stored(row: Any) -> StoredRecord:
    """A row of `select_records()` as a StoredRecord."""
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


def select_records(where: str, join: str = "", limit: str = "") -> sa.sql.TextClause:
    """Records (as `r`) in key order, for `stored()`."""
    return sa.text(
        f"SELECT {_RECORD_COLUMNS} FROM records r {join} WHERE {where} ORDER BY r.source, r.identifier {limit}"
    )


def _content(data: dict | None, content_hash: str, classified: bool, source_modified: str | None, now: str) -> dict:
    """The columns a record's content sets when it is new or changed."""
    return {
        "hash": content_hash,
        "data": None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True),
        "classified": int(classified),
        "source_modified": source_modified,
        "last_seen": now,
        "updated": now,
        **derived(data),
    }


@dataclass(frozen=True)
class Incoming:
    """A record on its way into the store (`RecordStore.put_many`)."""

    identifier: str
    #: the name it gets if new, and the one it gets instead if another record holds that
    names: tuple[str, str]
    data: dict | None
    hash: str
    source_modified: str | None
    classified: bool = False


def _key(source: str, identifier: str) -> sa.sql.ColumnElement:
    return sa.and_(records.c.source == source, records.c.identifier == identifier)


class RecordStore(Part):
    """The records of every source, over a shared Database."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        #: record rows written (inserted, changed, withdrawn) through this store
        self.record_writes = 0

    def modified_marks(self, source: str) -> dict:
        """{identifier: source_modified} of a source's current records."""
        rows = self.database.read(
            sa.select(records.c.identifier, records.c.source_modified).where(
                records.c.source == source, records.c.withdrawn_at.is_(None)
            )
        )
        return {r.identifier: r.source_modified for r in rows}

    def active_count(self, source: str) -> int:
        return self.database.read(
            sa.select(sa.func.count())
            .select_from(records)
            .where(records.c.source == source, records.c.withdrawn_at.is_(None))
        )[0][0]

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
        incoming = Incoming(identifier, (name, name), data, content_hash, source_modified, classified)
        return self.put_many(source, [incoming], now)[0]

    def put_many(self, source: str, incoming: Sequence[Incoming], now: str) -> list[str]:
        """`put()` for many records of one source in a few statements and
        one savepoint: their held hashes in one read, the held names among
        the new ones' in one more, the new ones in one insert.  NEW, UPDATED
        or UNCHANGED for each, in order; on any error nothing of it lands
        (the caller can then put them one at a time)."""
        db, conn = self.database, self.database.conn
        with db.transaction():
            held = {
                r.identifier: r
                for r in conn.execute(
                    sa.select(
                        records.c.identifier, records.c.hash, records.c.withdrawn_at, records.c.source_modified
                    ).where(records.c.source == source, records.c.identifier.in_([i.identifier for i in incoming]))
                )
            }
            taken = self._names_held(
                [i.names[0] for i in incoming if i.identifier not in held and len(set(i.names)) > 1]
            )
            results, inserts = [], []
            for item in incoming:
                row = held.get(item.identifier)
                if row is not None and row.hash == item.hash and row.withdrawn_at is None:
                    if item.source_modified and row.source_modified != item.source_modified:
                        conn.execute(
                            records.update()
                            .where(_key(source, item.identifier))
                            .values(source_modified=item.source_modified)
                        )
                    results.append(UNCHANGED)
                    continue
                content = _content(item.data, item.hash, item.classified, item.source_modified, now)
                if row is not None:
                    # the name is not updated: a record keeps the name it was first
                    # given, so its address in a CKAN target never moves
                    conn.execute(
                        records.update().where(_key(source, item.identifier)).values(withdrawn_at=None, **content)
                    )
                    results.append(UPDATED)
                    continue
                name = item.names[1] if item.names[0] in taken else item.names[0]
                taken.add(name)
                inserts.append({"source": source, "identifier": item.identifier, "name": name, "first_seen": now})
                inserts[-1].update(content)
                results.append(NEW)
            if inserts:
                conn.execute(records.insert(), inserts)
        self.record_writes += sum(r != UNCHANGED for r in results)
        return results

    def _names_held(self, names: list[str]) -> set[str]:
        """Which of these names a record holds already."""
        if not names:
            return set()
        rows = self.database.conn.execute(sa.select(records.c.name).where(records.c.name.in_(names)))
        return {r.name for r in rows}

    def name_owner(self, name: str) -> tuple[str, str] | None:
        rows = self.database.read(sa.select(records.c.source, records.c.identifier).where(records.c.name == name))
        return (rows[0].source, rows[0].identifier) if rows else None

    def mark_seen(self, source: str, identifiers: Iterable[str], now: str) -> None:
        # one statement per 500 identifiers, not one per record
        chosen = list(identifiers)
        update = sa.text("UPDATE records SET last_seen=:now WHERE source=:s AND identifier IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        )
        with self.database.transaction():
            for start in range(0, len(chosen), 500):
                self.database.conn.execute(update, {"s": source, "ids": chosen[start : start + 500], "now": now})

    def missing(self, source: str, seen: set) -> list[str]:
        """Current identifiers of a source that a full listing did not contain."""
        return [i for i in self.modified_marks(source) if i not in seen]

    def withdraw(self, source: str, identifiers: Iterable[str], now: str) -> int:
        count = 0
        with self.database.transaction():
            for identifier in identifiers:
                count += self.database.conn.execute(
                    records.update()
                    .where(_key(source, identifier), records.c.withdrawn_at.is_(None))
                    .values(withdrawn_at=now)
                ).rowcount
        self.record_writes += count
        return count

    def withdraw_hidden(self, source: str, identifier: str, now: str) -> int:
        """Withdraw a held record that upstream now hides (classified or
        private), dropping its content; 1 if there was one to withdraw."""
        conn = self.database.conn
        with self.database.transaction():
            count = conn.execute(
                records.update()
                .where(_key(source, identifier), records.c.withdrawn_at.is_(None))
                .values(withdrawn_at=now, data=None, **derived(None))
            ).rowcount
            conn.execute(
                records.update()
                .where(_key(source, identifier), records.c.data.is_not(None))
                .values(data=None, **derived(None))
            )
        self.record_writes += count
        return count

    def iter_datasets(self, start: Sequence[str] | None = None, stop: Sequence[str] | None = None) -> Iterator[dict]:
        """`iter_publishable`'s records, decoded: the SDM dataset dicts."""
        for record in self.iter_publishable(start, stop):
            yield record.dataset()

    def iter_publishable(
        self,
        start: Sequence[str] | None = None,
        stop: Sequence[str] | None = None,
        content: bool = True,
        merged: dict | None = None,
    ) -> Iterator[Publishable]:
        """Current, publishable records (`Publishable`), streamed in a stable order
        (by source and identifier); from the record keyed `start` and before
        the one keyed `stop`, when given, for a publish split in slices
        (`slice_starts`).  Without `content` the stored text is not read
        (`stored_contents` reads it later): an incremental publish that expects
        few changes reads only the columns that say whether one changed.

        Withdrawn records are left out, and classified ones are never here:
        their content is not even kept.  Copies of one dataset that arrived
        by several paths (the same `origin`) are one dataset: the winner
        (`copies`) carries the provenance of every copy (`merged_copies`,
        read here unless given: a publish reading many ranges reads it once).
        """
        merged = self.merged_copies() if merged is None else merged
        where, params = PUBLISHABLE + " AND " + _WINNER, {}
        if start:
            # as row values, which both databases look up in the key's index
            # (of the OR of the columns, SQLite reads every identifier of a source)
            where += " AND (r.source, r.identifier) >= (:s0, :i0)"
            params.update(s0=start[0], i0=start[1])
        if stop:
            where += " AND (r.source, r.identifier) < (:s1, :i1)"
            params.update(s1=stop[0], i1=stop[1])
        query = sa.text(
            f"SELECT r.source, r.identifier, r.name, r.hash, {'r.data' if content else 'NULL AS data'},"
            f" r.first_seen, r.updated, r.origin, r.policy FROM records r WHERE {where}"
            " ORDER BY r.source, r.identifier"
        )
        # by place, not by name: a row a record, 100 000 of them
        for source, identifier, name, digest, data, first_seen, updated, origin, policy in self.database.stream(
            query, params
        ):
            yield Publishable(
                source,
                identifier,
                name,
                digest,
                data,
                first_seen,
                updated,
                merged.get(origin, {}),
                dict(zip(POLICY, json.loads(policy), strict=True)) if policy else {},
            )

    def stored_contents(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The content as stored (JSON) of records read without it (`Publishable.data`
        None), {(source, identifier): content}, `_READ` a statement."""
        found: dict = {}
        for start in range(0, len(keys), _READ):
            by_source: dict = {}
            for source, identifier in keys[start : start + _READ]:
                by_source.setdefault(source, []).append(identifier)
            # the identifiers of each source, not row values: SQLite scans
            # the whole table for (source, identifier) IN (...)
            rows = self.database.read(
                sa.select(records.c.source, records.c.identifier, records.c.data).where(
                    sa.or_(
                        *(
                            sa.and_(records.c.source == source, records.c.identifier.in_(identifiers))
                            for source, identifiers in by_source.items()
                        )
                    ),
                    records.c.data.is_not(None),
                )
            )
            found.update(((row.source, row.identifier), row.data) for row in rows)
        missing = [key for key in keys if key not in found]
        if missing:
            source, identifier = missing[0]
            raise LookupError(f"store: record {identifier!r} of {source!r} has no content (withdrawn meanwhile?)")
        return found

    def slice_starts(self, slices: int) -> list[tuple[str, str]]:
        """Where each of at most `slices` equal, contiguous slices of what
        `iter_datasets` yields starts (source, identifier): a split publish.
        The database numbers the records; only the starts come back."""
        numbered = (
            "SELECT r.source, r.identifier, row_number() OVER (ORDER BY r.source, r.identifier) AS n,"
            f" count(*) OVER () AS total FROM records r WHERE {PUBLISHABLE} AND {_WINNER}"
        )
        # one read: each slice holds ceil(total / slices) records (integer division in both databases)
        every = "(total + :slices - 1) / :slices"
        return [
            (row.source, row.identifier)
            for row in self.database.stream(
                sa.text(f"SELECT source, identifier FROM ({numbered}) s WHERE (n - 1) % ({every}) = 0 ORDER BY n"),
                {"slices": max(1, slices)},
            )
        ]

    def iter_keys(self) -> Iterator[tuple[str, str]]:
        """(source, identifier) of every record held, withdrawn ones too, in
        store order, read from the key's index alone: where a publish read
        by several processes cuts the store into ranges."""
        query = sa.text("SELECT r.source, r.identifier FROM records r ORDER BY r.source, r.identifier")
        yield from map(tuple, self.database.stream(query))

    def merged_copies(self) -> dict:
        """{origin: {provenance, uri}} for origins held more than once: every
        copy's provenance, and the IRI an upstream catalogue already gave
        the dataset, so that every level names it alike."""
        rows = self.database.stream(
            sa.text(
                f"SELECT r.origin, r.data FROM records r WHERE {PUBLISHABLE} AND r.origin IN"
                f" (SELECT r.origin FROM records r WHERE {PUBLISHABLE} GROUP BY r.origin HAVING count(*) > 1)"
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
            self.database.read(
                sa.text(f"SELECT 1 FROM records r WHERE r.source=:s AND r.identifier=:i AND {_WINNER}"),
                {"s": source, "i": identifier},
            )
        )

    def iter_withdrawn(self) -> Iterator[dict]:
        """{id, name, withdrawn_at} of every withdrawn record (a deletions feed)."""
        for row in self.database.stream(select_records("r.withdrawn_at IS NOT NULL")):
            yield {"id": dataset_id(row.source, row.identifier), "name": row.name, "withdrawn_at": row.withdrawn_at}
