"""Fetching documents from department platforms, defensively.

Every byte the harvester reads comes through `Fetcher.get`: schemes and
hosts are checked against allow-lists (redirects too, hop by hop), bodies
are capped in size, 5xx answers and timeouts are retried with exponential
backoff, and responses carrying an ETag or Last-Modified are cached so the
next run asks with If-None-Match / If-Modified-Since and a 304 costs nothing.
"""
from __future__ import annotations

import fnmatch
import os
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Protocol

import requests

from sdm_harvester import __version__

USER_AGENT = f"sdm-harvest/{__version__} (+https://github.com/ckanext-sdm)"
DEFAULT_SCHEMES = ("http", "https", "file")
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A document could not be fetched; the message names the URL."""


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    #: True when the server answered 304 and the body came from the cache.
    from_cache: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Cache(Protocol):
    """Where validators and bodies of earlier answers are kept (see store.py)."""

    def lookup(self, url: str) -> Optional[tuple[Optional[str], Optional[str], bytes]]: ...

    def remember(self, url: str, etag: Optional[str], last_modified: Optional[str], body: bytes) -> None: ...


def full_url(url: str, params: Optional[Mapping] = None) -> str:
    """The URL with its query parameters, as a cache key and for messages."""
    if not params:
        return url
    query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None])
    return url + ("&" if "?" in url else "?") + query


@dataclass
class Fetcher:
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_bytes: int = 50 * 1024 * 1024
    schemes: tuple = DEFAULT_SCHEMES
    #: fnmatch patterns of the hosts that may be contacted; empty means any.
    allow_hosts: tuple = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    cache: Optional[Cache] = None
    #: time.monotonic() after which no request may start (per-source timeout).
    deadline: Optional[float] = None
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, url: str, params: Optional[Mapping] = None) -> Response:
        url = full_url(url, params)
        self.check_url(url)
        if urllib.parse.urlsplit(url).scheme == "file":
            return self._read_file(url)
        return self._get_http(url)

    def check_url(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in self.schemes:
            raise FetchError(f"{url}: scheme {parts.scheme or '(none)'!r} is not allowed (allowed: {', '.join(self.schemes)})")
        if parts.scheme != "file" and self.allow_hosts:
            host = (parts.hostname or "").lower()
            if not any(fnmatch.fnmatch(host, pattern.lower()) for pattern in self.allow_hosts):
                raise FetchError(f"{url}: host {host!r} is not in the allowed hosts ({', '.join(self.allow_hosts)})")

    def _read_file(self, url: str) -> Response:
        path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
        try:
            size = os.path.getsize(path)
            if size > self.max_bytes:
                raise FetchError(f"{url}: {size} bytes exceeds the limit of {self.max_bytes}")
            with open(path, "rb") as f:
                return Response(url, 200, f.read())
        except OSError as error:
            raise FetchError(f"{url}: {error.strerror or error}") from None

    def _remaining(self) -> float:
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchError("the source's time limit was reached")
        return min(self.timeout, left)

    def _get_http(self, url: str) -> Response:
        cached = self.cache.lookup(url) if self.cache else None
        headers = {"User-Agent": USER_AGENT, **self.headers}
        if cached:
            etag, last_modified, _ = cached
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        for attempt in range(self.retries + 1):
            try:
                response = self._follow(url, headers)
            except (requests.Timeout, requests.ConnectionError) as error:
                if attempt == self.retries:
                    raise FetchError(f"{url}: {type(error).__name__} after {attempt + 1} attempts") from None
                self._wait(attempt, None)
                continue
            if response.status_code == 304 and cached:
                response.close()
                return Response(url, 304, cached[2], dict(response.headers), from_cache=True)
            if response.status_code in _RETRY_STATUS and attempt < self.retries:
                retry_after = response.headers.get("Retry-After")
                response.close()
                self._wait(attempt, retry_after)
                continue
            if response.status_code >= 400:
                response.close()
                raise FetchError(f"{url}: HTTP {response.status_code}")
            body = self._read_capped(url, response)
            result = Response(response.url, response.status_code, body,
                              {k.lower(): v for k, v in response.headers.items()})
            if self.cache and (result.headers.get("etag") or result.headers.get("last-modified")):
                self.cache.remember(url, result.headers.get("etag"), result.headers.get("last-modified"), body)
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, attempt: int, retry_after: Optional[str]) -> None:
        delay = self.backoff * (2 ** attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 60.0))
        if self.deadline is not None and time.monotonic() + delay > self.deadline:
            raise FetchError("the source's time limit would pass while waiting to retry")
        self.sleep(delay)

    def _follow(self, url: str, headers: Mapping[str, str]) -> requests.Response:
        """GET, following redirects one hop at a time so each is checked."""
        for _ in range(_MAX_REDIRECTS + 1):
            response = self.session.get(url, headers=headers, timeout=self._remaining(),
                                        stream=True, allow_redirects=False)
            if not response.is_redirect:
                return response
            target = urllib.parse.urljoin(url, response.headers["Location"])
            response.close()
            if urllib.parse.urlsplit(target).scheme == "file":
                raise FetchError(f"{url}: redirect to a file URL refused")
            self.check_url(target)
            url = target
        raise FetchError(f"{url}: more than {_MAX_REDIRECTS} redirects")

    def _read_capped(self, url: str, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise FetchError(f"{url}: {declared} bytes exceeds the limit of {self.max_bytes}")
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"{url}: response exceeds the limit of {self.max_bytes} bytes")
                chunks.append(chunk)
        except requests.RequestException as error:
            raise FetchError(f"{url}: {type(error).__name__} while reading the body") from None
        finally:
            response.close()
        return b"".join(chunks)
