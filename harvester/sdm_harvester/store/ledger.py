"""The load ledger: per load target (a CKAN site), the content hash each
record was last loaded with, or NULL once withdrawn from it.

What a target lacks is read against the record store in key-ordered
batches, because loading writes the ledger those queries read.
"""

from __future__ import annotations

from typing import Iterator

from sdm_harvester.store.database import Part, now_iso
from sdm_harvester.store.records import PUBLISHABLE, StoredRecord, select_records, stored
from sdm_harvester.store.tables import loads

_BATCH = 100


class LoadLedger(Part):
    """What each load target holds of each record, over a shared Database."""

    def pending_loads(self, target: str, source: str) -> Iterator[StoredRecord]:
        """A source's publishable records whose content the target lacks."""
        return self._pending(target, source, "LEFT JOIN", f"{PUBLISHABLE} AND (l.hash IS NULL OR l.hash != r.hash)")

    def pending_withdrawals(self, target: str, source: str) -> Iterator[StoredRecord]:
        """A source's records the target holds that were withdrawn or became classified."""
        return self._pending(
            target, source, "JOIN", "l.hash IS NOT NULL AND (r.withdrawn_at IS NOT NULL OR r.classified=1)"
        )

    def _pending(self, target: str, source: str, join: str, condition: str) -> Iterator[StoredRecord]:
        join = f"{join} loads l ON l.target=:t AND l.source=r.source AND l.identifier=r.identifier"
        statement = select_records(f"r.source=:s AND r.identifier > :last AND {condition}", join, f"LIMIT {_BATCH}")
        last = ""
        while True:
            batch = [stored(row) for row in self.database.read(statement, {"t": target, "s": source, "last": last})]
            yield from batch
            if len(batch) < _BATCH:
                return
            last = batch[-1].identifier

    def mark_loaded(self, target: str, record: StoredRecord, loaded_hash: str | None) -> None:
        """Record what the target now holds of a record (None: withdrawn)."""
        self.database.upsert(
            loads,
            {
                "target": target,
                "source": record.source,
                "identifier": record.identifier,
                "hash": loaded_hash,
                "loaded_at": now_iso(),
            },
        )
