"""Load targets: catalogues the store's records are copied into.

The embedded store stays the harvester's memory and the one place records
are diffed: a record's content hash changes only when its content does.
The store's `loads` ledger remembers, per target, the hash each record was
last loaded with, so `sync` sends a target only what it lacks (new or
changed records) and withdraws what it holds that was withdrawn upstream or
became classified.  Unchanged records cost the target nothing, not even a
read.  A write that fails is not entered in the ledger, so the next run
tries it again.
"""

from __future__ import annotations

from typing import Callable

from sdm_harvester import report as reports
from sdm_harvester.store import Store, StoredRecord

CREATED, UPDATED, WITHDRAWN = "created", "updated", "withdrawn"


class TargetError(Exception):
    """A target refused or could not take one write."""


class Target:
    """What a load target implements.  Subclasses set `key`, which names the
    target in the store's ledger (so two targets never share a memory)."""

    key: str

    def put(self, record: StoredRecord) -> str:
        """Create or replace the record's dataset; return CREATED or UPDATED."""
        raise NotImplementedError

    def withdraw(self, record: StoredRecord) -> str:
        """Take the record's dataset out of public view; return WITHDRAWN."""
        raise NotImplementedError


def sync(store: Store, target: Target, source: str, report: reports.SourceReport) -> None:
    """Bring the target up to date with the store for one source."""
    for record in store.pending_withdrawals(target.key, source):
        _apply(store, target.key, record, target.withdraw, None, report)
    for record in store.pending_loads(target.key, source):
        if store.is_winner(record.source, record.identifier):  # one dataset per origin
            _apply(store, target.key, record, target.put, record.hash, report)


def _apply(
    store: Store,
    key: str,
    record: StoredRecord,
    write: Callable[[StoredRecord], str],
    loaded_hash: str | None,
    report: reports.SourceReport,
) -> None:
    try:
        result = write(record)
    except TargetError as error:
        report.add_target_failure(record.identifier, str(error))
        return
    # one short transaction per write: the ledger never claims more than the
    # target holds, even if the run is killed
    with store.transaction():
        store.mark_loaded(key, record, loaded_hash)
    report.target[result] += 1
