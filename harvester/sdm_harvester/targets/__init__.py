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

import os
from typing import Callable

from sdm_harvester import report as reports
from sdm_harvester.config import ConfigError
from sdm_harvester.store import Store, StoredRecord

CREATED, UPDATED, WITHDRAWN = "created", "updated", "withdrawn"
#: Where a CKAN target's token is read from, unless --ckan-token-env says otherwise.
DEFAULT_TOKEN_ENV = "SDM_CKAN_TOKEN"


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


def url_problems(kind: str, url: str) -> list[str]:
    """What is wrong with a target's address (`--target`, `--ckan-url`)."""
    if kind == "ckan" and not (url or "").startswith(("http://", "https://")):
        return [f"--target ckan needs --ckan-url http(s)://… (or $SDM_CKAN_URL), got {url!r}"]
    return []


def from_options(kind: str, url: str, token_env: str = DEFAULT_TOKEN_ENV) -> Target | None:
    """The load target `--target`, `--ckan-url` and `--ckan-token-env` name
    (None for the store alone), its token read from this machine's
    environment: `run` reads it where it runs, each worker where it works.
    Raises ConfigError naming every problem."""
    if kind == "store":
        return None
    problems = url_problems(kind, url)
    token = os.environ.get(token_env)
    if not token:
        problems.append(
            f"--target ckan: set ${token_env} to a sysadmin's API token "
            "(tokens are never taken from the command line or the configuration)"
        )
    if problems:
        raise ConfigError(problems)
    from sdm_harvester.targets.ckan import CkanTarget

    return CkanTarget(url, token)
