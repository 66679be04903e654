"""What the harvester remembers of what it read, to read less next time:
the HTTP validators and bodies of conditional requests (`http.Cache`), and
each DCAT page's digest and identifiers (`sources.base.PageMemo`).

Both are caches: dropping them costs a slower run, never a record.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from typing import Iterable

import sqlalchemy as sa

from sdm_harvester.store.database import Part, now_iso
from sdm_harvester.store.tables import http_cache, pages

#: Conditional-request cache entries unused this long are dropped.
CACHE_MAX_AGE = dt.timedelta(days=30)


class HttpCache(Part):
    """Validators and bodies of earlier answers, by URL (the fetcher's
    `http.Cache`), over a shared Database; bodies kept compressed."""

    def lookup(self, url: str) -> tuple[str | None, str | None, bytes] | None:
        rows = self.database.read(
            sa.select(http_cache.c.etag, http_cache.c.last_modified, http_cache.c.body).where(http_cache.c.url == url)
        )
        if not rows:
            return None
        self.database.write(http_cache.update().where(http_cache.c.url == url).values(used_at=now_iso()))
        return rows[0].etag, rows[0].last_modified, zlib.decompress(rows[0].body)

    def remember(self, url: str, etag: str | None, last_modified: str | None, body: bytes) -> None:
        self.database.upsert(
            http_cache,
            {
                "url": url,
                "etag": etag,
                "last_modified": last_modified,
                "body": zlib.compress(body),
                "used_at": now_iso(),
            },
        )

    def forget(self, url: str) -> None:
        self.database.write(http_cache.delete().where(http_cache.c.url == url))

    def prune_cache(self) -> None:
        cutoff = (dt.datetime.now(dt.UTC) - CACHE_MAX_AGE).replace(microsecond=0).isoformat()
        self.database.write(http_cache.delete().where(http_cache.c.used_at < cutoff))


class PageMemos(Part):
    """Each paged source's pages as last read (the sources' `PageMemo`)."""

    def page_memo(self, source: str, url: str) -> tuple[str, str | None, list] | None:
        """(digest, next_url, identifiers) of a page as last read, or None."""
        rows = self.database.read(
            sa.select(pages.c.digest, pages.c.next_url, pages.c.identifiers).where(
                pages.c.source == source, pages.c.url == url
            )
        )
        return (rows[0].digest, rows[0].next_url, json.loads(rows[0].identifiers)) if rows else None

    def remember_page(
        self, source: str, url: str, digest: str, next_url: str | None, identifiers: Iterable[str]
    ) -> None:
        self.database.upsert(
            pages,
            {
                "source": source,
                "url": url,
                "digest": digest,
                "next_url": next_url,
                "identifiers": json.dumps(list(identifiers)),
            },
        )
