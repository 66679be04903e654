"""The link check behind the accessibility indicator (sdm_schema.evaluation).

Every access and download URL of the catalogue is asked for with HEAD (GET
when a server refuses HEAD, reading no body), concurrently but politely:

* bounded: at most `limit` URLs a run, `workers` at a time, each with a
  connect and read timeout, at most five redirects;
* one request at a time per host, at least `interval` seconds apart;
* through the harvester's address guard (sdm_harvester.http): a URL a
  department typed cannot make the catalogue's server call 127.0.0.1, the
  internal network or a cloud metadata address unless `allow_networks`
  opens them;
* results are cached with the time of the check, and a URL checked within
  `max_age` is not asked again: cron can run the check as often as it likes.

The CKAN plugin keeps its cache in the database and runs the check as a
background job; the harvester keeps it in the store's folder (SqliteCache).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Protocol

import requests

from sdm_harvester.http import USER_AGENT, AddressGuard, FetchError, _GuardedAdapter
from sdm_schema.evaluation import LinkResult

#: HEAD answers that say nothing of the resource: ask again with GET.
_TRY_GET = frozenset({400, 403, 404, 405, 406, 500, 501})


class Cache(Protocol):
    def get(self, url: str) -> LinkResult | None: ...

    def put(self, url: str, result: LinkResult) -> None: ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def fresh(result: LinkResult | None, now: dt.datetime, max_age: dt.timedelta) -> bool:
    if result is None:
        return False
    try:
        checked = dt.datetime.fromisoformat(result.checked)
    except ValueError:
        return False
    if checked.tzinfo is None:
        checked = checked.replace(tzinfo=dt.UTC)
    return now - checked < max_age


class _HostPace:
    """One request at a time per host, `interval` seconds apart."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: dict = {}
        self._last: dict = {}
        self._guard = threading.Lock()

    def lock(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def wait(self, host: str) -> None:
        """Called holding the host's lock."""
        pause = self._last.get(host, 0.0) + self.interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)

    def done(self, host: str) -> None:
        self._last[host] = time.monotonic()


class LinkChecker:
    def __init__(
        self,
        cache: Cache | None = None,
        *,
        timeout: float = 10.0,
        workers: int = 8,
        interval: float = 1.0,
        limit: int = 10_000,
        max_age: dt.timedelta = dt.timedelta(days=7),
        allow_networks: Iterable[str] = (),
    ) -> None:
        self.cache = cache
        self.timeout, self.workers, self.limit, self.max_age = timeout, workers, limit, max_age
        self.pace = _HostPace(interval)
        self.allow_networks = tuple(allow_networks)
        self.asked = 0  # requests sent by this checker, for the report

    def _session(self) -> requests.Session:
        session = requests.Session()
        adapter = _GuardedAdapter(AddressGuard(self.allow_networks))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.max_redirects = 5
        session.headers["User-Agent"] = USER_AGENT
        return session

    def check(self, urls: Iterable[str], now: dt.datetime | None = None) -> dict:
        """{url: LinkResult} for every URL given: cached answers younger than
        max_age as they are, the others (up to `limit`) asked now."""
        now = now or _now()
        out, pending = {}, []
        for url in dict.fromkeys(urls):
            cached = self.cache.get(url) if self.cache else None
            if fresh(cached, now, self.max_age):
                out[url] = cached
            elif len(pending) < self.limit:
                pending.append(url)
        local = threading.local()

        def one(url: str) -> tuple[str, LinkResult]:
            if not hasattr(local, "session"):
                local.session = self._session()
            return url, self._check_one(local.session, url)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for url, result in pool.map(one, pending):
                out[url] = result
                if self.cache:
                    self.cache.put(url, result)
        return out

    def _check_one(self, session: requests.Session, url: str) -> LinkResult:
        parts = urllib.parse.urlsplit(url)
        checked = _now().isoformat()
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return LinkResult(False, "not an http(s) URL", checked)
        with self.pace.lock(parts.hostname.lower()):
            self.pace.wait(parts.hostname.lower())
            try:
                return LinkResult(*self._ask(session, url), checked)
            finally:
                self.pace.done(parts.hostname.lower())

    def _ask(self, session: requests.Session, url: str) -> tuple:
        timeout = (self.timeout, self.timeout)
        try:
            self.asked += 1
            response = session.head(url, timeout=timeout, allow_redirects=True)
            if response.status_code in _TRY_GET:
                self.asked += 1
                response = session.get(url, timeout=timeout, allow_redirects=True, stream=True)
                response.close()  # the status is the answer; the body is not read
        except requests.Timeout:
            return False, "timeout"
        except requests.TooManyRedirects:
            return False, "too many redirects"
        except (requests.ConnectionError, FetchError) as error:
            refused = "refused" in str(error)
            return False, "refused: internal address" if refused else "connection failed"
        except requests.RequestException as error:
            return False, type(error).__name__
        return 200 <= response.status_code < 400, f"HTTP {response.status_code}"


class SqliteCache:
    """Link results in a SQLite file (the harvester's data directory)."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.lock = threading.Lock()
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS link_checks (url TEXT PRIMARY KEY, ok INTEGER NOT NULL,"
            " status TEXT NOT NULL, checked TEXT NOT NULL)"
        )

    def get(self, url: str) -> LinkResult | None:
        with self.lock:
            row = self.db.execute("SELECT ok, status, checked FROM link_checks WHERE url=?", (url,)).fetchone()
        return LinkResult(bool(row[0]), row[1], row[2]) if row else None

    def put(self, url: str, result: LinkResult) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO link_checks VALUES (?, ?, ?, ?)",
                (url, int(result.ok), result.status, result.checked),
            )

    def all(self) -> dict:
        with self.lock:
            rows = self.db.execute("SELECT url, ok, status, checked FROM link_checks").fetchall()
        return {url: LinkResult(bool(ok), status, checked) for url, ok, status, checked in rows}

    def close(self) -> None:
        self.db.close()
