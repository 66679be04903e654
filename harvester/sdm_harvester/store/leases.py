"""Leases: who harvests a source now, so that no source is harvested twice
at once by the workers of one shared store (docs/scale.md).

A lease runs `ttl` seconds by the database's clock and is renewed by a
thread of its own; while held it fences the store's Database, whose every
transaction renews it first (`Database.fence`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import sqlalchemy as sa

from sdm_harvester.store.database import Database, Part
from sdm_harvester.store.tables import leases

#: Seconds a lease runs without renewal; a dead worker's source is free after it.
LEASE_TTL = 60.0


class Busy(RuntimeError):
    """Another live worker holds the source's lease."""


def holder_name(job_id: str = "") -> str:
    """Who holds a lease: machine, process and job, for operators and tests."""
    return f"{socket.gethostname()}:{os.getpid()}:{job_id}"


class Leases(Part):
    """The lease table, over a shared Database; its writes are never fenced."""

    def acquire_lease(self, source: str, holder: str, ttl: float) -> bool:
        """Take the source for `ttl` seconds, unless another holder's lease
        is still running.  True when `holder` now has it."""
        now = self.database.clock()
        with self.database.unfenced():
            self.database.upsert(
                leases,
                {"source": source, "holder": holder, "expires": now + ttl},
                where=sa.or_(leases.c.expires < now, leases.c.holder == holder),
            )
        return self.lease_holder(source) == holder

    def renew_lease(self, source: str, holder: str, ttl: float) -> bool:
        """Extend a held lease; False when it is no longer `holder`'s."""
        renewal = self.database.renewal(source, holder, ttl)
        if self.database.in_transaction:
            return self.database.conn.execute(renewal).rowcount == 1
        with self.database.unfenced():
            return self.database.write(renewal).rowcount == 1

    def hand_over_lease(self, source: str, holder: str, successor: str, ttl: float) -> bool:
        """Give a held lease to another holder (the jobs of a source read in
        page jobs), with no moment at which it is free; False if not held."""
        now = self.database.clock()
        with self.database.unfenced():
            return (
                self.database.write(
                    leases.update()
                    .where(leases.c.source == source, leases.c.holder == holder, leases.c.expires >= now)
                    .values(holder=successor, expires=now + ttl)
                ).rowcount
                == 1
            )

    def release_lease(self, source: str, holder: str) -> None:
        with self.database.unfenced():
            self.database.write(leases.delete().where(leases.c.source == source, leases.c.holder == holder))

    def lease_holder(self, source: str) -> str | None:
        """Who holds a running (unexpired) lease on the source."""
        rows = self.database.read(
            sa.select(leases.c.holder).where(leases.c.source == source, leases.c.expires >= self.database.clock())
        )
        return rows[0].holder if rows else None

    def running_leases(self) -> list[dict]:
        """{source, holder, expires_in} of every running lease."""
        now = self.database.clock()
        rows = self.database.read(
            sa.select(leases.c.source, leases.c.holder, (leases.c.expires - now).label("left"))
            .where(leases.c.expires >= now)
            .order_by(leases.c.source)
        )
        return [{"source": r.source, "holder": r.holder, "expires_in_s": round(float(r.left), 1)} for r in rows]


class Lease:
    """A source's lease, renewed by a thread of its own every third of its
    lifetime, and fencing the store's transactions while held.  Taking it
    waits up to `wait` seconds (by default two lifetimes, within which a
    dead holder's lease runs out), then raises Busy.  `store` is anything
    with a `database` (a Store, or the Leases part alone).  With
    `release=False` the lease outlives the block (until its ttl runs out):
    the jobs of a split publish hold one lease in turn."""

    def __init__(
        self,
        store: Leases,
        source: str,
        holder: str,
        ttl: float = LEASE_TTL,
        wait: float | None = None,
        release: bool = True,
    ) -> None:
        self.store, self.source, self.holder, self.ttl = store, source, holder, ttl
        self.wait = 2 * ttl if wait is None else wait
        self.release = release
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Lease:
        deadline = time.monotonic() + self.wait
        while not self.store.acquire_lease(self.source, self.holder, self.ttl):
            if time.monotonic() >= deadline:
                raise Busy(f"source {self.source} is being harvested by {self.store.lease_holder(self.source)}")
            time.sleep(min(1.0, self.ttl / 4))
        self._thread = threading.Thread(target=self._renew, name=f"lease-{self.source}", daemon=True)
        self._thread.start()
        self.store.database.fence = (self.source, self.holder, self.ttl)
        return self

    def _renew(self) -> None:
        database = None  # a connection of its own, opened at the first renewal
        try:
            while not self._stop.wait(self.ttl / 3):
                try:
                    database = database or Database(self.store.database.data_dir, url=self.store.database.url)
                    if not Leases(database).renew_lease(self.source, self.holder, self.ttl):
                        return  # taken over: the next fenced transaction fails
                except Exception:  # a busy database: the fence still guards; try again
                    logging.getLogger(__name__).warning(
                        "source %s: could not renew the lease", self.source, exc_info=True
                    )
        finally:
            if database is not None:
                database.close()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.store.database.fence = None
        if self.release:
            self.store.release_lease(self.source, self.holder)
