"""Fetching documents from department platforms, defensively.

Every byte the harvester reads comes through `Fetcher.get`, and a source's
answers are not trusted to say where to go next.  Each URL (the source's
own, each redirect hop, each pagination link) is checked before it is used:

* it is parsed strictly: no backslashes, spaces, control characters or
  user-info (`user@host`), the tricks that make two parsers see two hosts;
* it keeps the source's scheme family: an http(s) source never reads
  `file://`, an https source never drops to http, and a file source reads
  only regular files in its own folder;
* its host matches the source's `allow_hosts`, if any, and the addresses it
  resolves to are no more internal than the source's own (a public source
  cannot send the harvester to 127.0.0.1, 10.x or 169.254.169.254); the
  address is checked again on connecting, so DNS cannot change it between;
* credentials (token, basic auth) go only to the source's own origin.

Bodies are capped in size after decoding (gzip and deflate are inflated here,
in bounded steps, whatever urllib3 does), and the source's time limit is a
total deadline: a watchdog shuts the socket of a request that drips past it.
5xx answers and timeouts are retried with exponential backoff.  Answers with
an ETag or Last-Modified are kept for conditional requests, but only once
the caller commits them: a run that meets a classified record discards them
(`taint`), so no classified text reaches the cache.
"""

from __future__ import annotations

import base64
import fnmatch
import ipaddress
import os
import socket
import stat
import threading
import time
import urllib.parse
import urllib.request
import weakref
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Protocol

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from sdm_harvester import __version__

USER_AGENT = f"sdm-harvest/{__version__} (+https://github.com/ckanext-sdm)"
DEFAULT_SCHEMES = ("http", "https", "file")
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
#: Bodies held for the cache until the run commits them, at most this much;
#: beyond it answers are simply not cached this run.
PENDING_CACHE_BYTES = 64 * 1024 * 1024
_FORBIDDEN_CHARS = frozenset("\\ \t\r\n\x00") | {chr(c) for c in range(0x20)} | {"\x7f"}
_DEFAULT_PORTS = {"http": 80, "https": 443}

#: Address classes, from the outside in.  A URL may lead to a public address,
#: or to one of the same class as the source's own address; never to another
#: internal class, and never to a reserved or multicast one.
PUBLIC, PRIVATE, LINK_LOCAL, LOOPBACK, RESERVED = "public", "private", "link-local", "loopback", "reserved"


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
    """Where validators and bodies of earlier answers are kept (the store's HttpCache)."""

    def lookup(self, url: str) -> tuple[str | None, str | None, bytes] | None: ...

    def remember(self, url: str, etag: str | None, last_modified: str | None, body: bytes) -> None: ...

    def forget(self, url: str) -> None: ...


def full_url(url: str, params: Mapping | None = None) -> str:
    """The URL with its query parameters, as a cache key and for messages."""
    if not params:
        return url
    query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None])
    return url + ("&" if "?" in url else "?") + query


def parse_url(url: str) -> urllib.parse.SplitResult:
    """The URL's parts, or FetchError when parsers could disagree about it."""
    bad = sorted({c for c in url if c in _FORBIDDEN_CHARS})
    if bad:
        raise FetchError(f"{url!r}: refused: the URL contains {', '.join(repr(c) for c in bad)}")
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if "@" in parts.netloc:
            raise FetchError(
                f"{url}: refused: user-info (user@host) in the URL; credentials come from "
                "the source's credentials, never from a URL"
            )
        if not parts.hostname:
            raise FetchError(f"{url}: no host")
        try:
            _ = parts.port  # urllib parses the port only when asked
        except ValueError:
            raise FetchError(f"{url}: the port is not a number from 0 to 65535") from None
    elif scheme == "file" and parts.netloc not in ("", "localhost"):
        raise FetchError(f"{url}: a file URL names no host (file:///path)")
    return parts


def origin(url: str) -> tuple:
    """(scheme, host, port): what credentials are bound to."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def address_class(address: str) -> str:
    """PUBLIC, PRIVATE, LINK_LOCAL, LOOPBACK or RESERVED, for an IP literal."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_loopback or ip.is_unspecified:  # 0.0.0.0 reaches this host too
        return LOOPBACK
    if ip.is_link_local:  # 169.254/16 (cloud metadata), fe80::/10
        return LINK_LOCAL
    if ip.is_multicast or ip.is_reserved:
        return RESERVED
    if not ip.is_global:  # 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 …
        return PRIVATE
    return PUBLIC


def _resolve(host: str, port: int | None) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)})
    except (socket.gaierror, UnicodeError):
        return []


class AddressGuard:
    """Which addresses a source may reach, and the sockets it has open.

    The source's own addresses set the classes it may reach besides public
    ones; `allow_networks` (CIDR) opens more.  Sockets are kept (weakly) so
    the deadline watchdog can shut them.
    """

    def __init__(self, allow_networks: Iterable[str] = ()) -> None:
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow_networks)
        self.home: frozenset | None = None
        self.sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def settle(self, host: str, port: int | None) -> None:
        """Take the source's own host: its address classes become reachable."""
        if self.home is None:
            self.home = frozenset(address_class(a) for a in _resolve(host, port))

    def refusal(self, address: str) -> str | None:
        """Why `address` may not be contacted, or None."""
        kind = address_class(address)
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if kind == PUBLIC or kind in (self.home or ()) and kind != RESERVED:
            return None
        if any(ip in network for network in self.networks):
            return None
        return (
            f"{address} is a {kind} address and the source itself is not "
            f"({', '.join(sorted(self.home or ())) or 'unresolved'}); allow it with allow_networks"
        )

    def check_host(self, url: str, host: str, port: int | None) -> None:
        for address in _resolve(host, port):
            reason = self.refusal(address)
            if reason:
                raise FetchError(f"{url}: refused: {reason}")

    def shutdown(self) -> None:
        for sock in list(self.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _guarded(base: type, guard: AddressGuard) -> type:
    """An urllib3 connection class that checks the address it connects to."""

    def _new_conn(self: HTTPConnection) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        addresses = [info[4][0] for info in infos]
        allowed = [a for a in addresses if guard.refusal(a) is None]
        if not allowed:
            raise FetchError(f"{self.host}: refused: {guard.refusal(addresses[0])}")
        for number, address in enumerate(allowed, start=1):  # in the resolver's order
            try:
                sock = urllib3.util.connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from error
            except OSError as error:
                if number == len(allowed):
                    raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error
                continue
            guard.sockets.add(sock)
            return sock
        raise AssertionError("unreachable: the last address returns or raises")

    return type(f"Guarded{base.__name__}", (base,), {"_new_conn": _new_conn})


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)
        pools = {}
        for scheme, pool, conn in (
            ("http", HTTPConnectionPool, HTTPConnection),
            ("https", HTTPSConnectionPool, HTTPSConnection),
        ):
            pools[scheme] = type(f"Guarded{pool.__name__}", (pool,), {"ConnectionCls": _guarded(conn, self.guard)})
        self.poolmanager.pool_classes_by_scheme = pools


class _Inflater:
    """Bounded gzip/deflate decoding: never more than `room` bytes at once."""

    def __init__(self, encoding: str) -> None:
        self.gzip = encoding in ("gzip", "x-gzip")
        self._raw_fallback = not self.gzip
        self._d = zlib.decompressobj(31 if self.gzip else 15)

    def feed(self, data: bytes, room: int) -> bytes:
        out, total = [], 0
        while data:
            try:
                piece = self._d.decompress(data, room + 1 - total)
            except zlib.error as error:
                if self._raw_fallback:  # "deflate" sent without its zlib header
                    self._raw_fallback, self._d = False, zlib.decompressobj(-15)
                    continue
                raise ValueError(f"the {'gzip' if self.gzip else 'deflate'} body is corrupt: {error}") from None
            self._raw_fallback = False
            out.append(piece)
            total += len(piece)
            if total > room:
                break
            data = self._d.unconsumed_tail
            if self._d.eof:
                rest = self._d.unused_data
                data, self._d = (rest, zlib.decompressobj(31)) if rest and self.gzip else (b"", self._d)
        return b"".join(out)


def _decoder(response: requests.Response):
    header = response.headers.get("Content-Encoding", "")
    encodings = [e.strip().lower() for e in header.split(",") if e.strip() and e.strip().lower() != "identity"]
    if not encodings:
        return None
    if len(encodings) > 1 or encodings[0] not in ("gzip", "x-gzip", "deflate"):
        raise ValueError(f"content encoding {header!r} is not supported (gzip or deflate)")
    return _Inflater(encodings[0])


@dataclass
class Fetcher:
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_bytes: int = 50 * 1024 * 1024
    schemes: tuple = DEFAULT_SCHEMES
    #: fnmatch patterns of the hosts that may be contacted; empty means any.
    allow_hosts: tuple = ()
    #: CIDR networks that may be reached even if more internal than the source.
    allow_networks: tuple = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    #: headers sent only to the source's own origin (Authorization …)
    credentials: Mapping[str, str] = field(default_factory=dict)
    #: (user, password) for basic auth, also only to the source's own origin
    basic_auth: tuple | None = None
    #: the source's URL: fixes its origin, scheme family and home folder
    #: (None: the first URL fetched does)
    base_url: str | None = None
    cache: Cache | None = None
    #: time.monotonic() after which no request may go on (per-source timeout).
    deadline: float | None = None
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.guard = AddressGuard(self.allow_networks)
        adapter = _GuardedAdapter(self.guard)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.tainted = False
        self._pending: dict = {}
        self._pending_bytes = 0
        self._touched: set = set()
        self._expired = False

    # -- what may be fetched ---------------------------------------------------

    def get(self, url: str, params: Mapping | None = None) -> Response:
        url = full_url(url, params)
        if self.base_url is None:
            self.base_url = url
        self.check_url(url)
        if urllib.parse.urlsplit(url).scheme.lower() == "file":
            return self._read_file(url)
        return self._get_http(url)

    def check_url(self, url: str) -> None:
        parts = parse_url(url)
        scheme = parts.scheme.lower()
        if scheme not in self.schemes:
            raise FetchError(
                f"{url}: scheme {parts.scheme or '(none)'!r} is not allowed (allowed: {', '.join(self.schemes)})"
            )
        home = parse_url(self.base_url or url).scheme.lower()
        if (home == "file") != (scheme == "file"):
            raise FetchError(f"{url}: refused: a {home} source may not lead to a {scheme} URL")
        if home == "https" and scheme == "http":
            raise FetchError(f"{url}: refused: an https source may not drop to http")
        if scheme == "file":
            self._check_path(url)
            return
        host = parts.hostname.lower()
        if self.allow_hosts and not any(fnmatch.fnmatch(host, pattern.lower()) for pattern in self.allow_hosts):
            raise FetchError(f"{url}: host {host!r} is not in the allowed hosts ({', '.join(self.allow_hosts)})")
        base = urllib.parse.urlsplit(self.base_url or url)
        self.guard.settle(base.hostname or host, base.port)
        self.guard.check_host(url, host, parts.port)

    def _home_folder(self) -> str:
        path = urllib.request.url2pathname(urllib.parse.urlsplit(self.base_url).path)
        return os.path.dirname(os.path.realpath(path))

    def _check_path(self, url: str) -> None:
        real = os.path.realpath(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
        folder = self._home_folder()
        if os.path.commonpath([real, folder]) != folder:
            raise FetchError(f"{url}: refused: outside the source's folder {folder}")

    # -- files -------------------------------------------------------------------

    def _read_file(self, url: str) -> Response:
        path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise FetchError(f"{url}: {error.strerror or error}") from None
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise FetchError(f"{url}: refused: not a regular file (device, FIFO or socket)")
            chunks, size = [], 0
            while True:  # the size on disk is not trusted: read at most the cap
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"{url}: exceeds the limit of {self.max_bytes} bytes")
                self._check_deadline(url)
                chunks.append(chunk)
        return Response(url, 200, b"".join(chunks))

    # -- HTTP ----------------------------------------------------------------------

    def _check_deadline(self, url: str) -> None:
        if self._expired or (self.deadline is not None and time.monotonic() >= self.deadline):
            raise FetchError(f"{url}: the source's time limit was reached")

    def _remaining(self, url: str) -> float:
        self._check_deadline(url)
        return self.timeout if self.deadline is None else min(self.timeout, self.deadline - time.monotonic())

    def _expire(self) -> None:
        self._expired = True
        self.guard.shutdown()

    def _get_http(self, url: str) -> Response:
        watchdog = None
        if self.deadline is not None:
            watchdog = threading.Timer(max(self.deadline - time.monotonic(), 0), self._expire)
            watchdog.daemon = True
            watchdog.start()
        try:
            return self._attempts(url)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            self._check_deadline(url)
            raise FetchError(f"{url}: {type(error).__name__}") from None
        except FetchError:
            self._check_deadline(url)
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()

    def _attempts(self, url: str) -> Response:
        cached = self.cache.lookup(url) if self.cache else None
        conditional = {}
        if cached:
            etag, last_modified, _ = cached
            if etag:
                conditional["If-None-Match"] = etag
            if last_modified:
                conditional["If-Modified-Since"] = last_modified
        for attempt in range(self.retries + 1):
            try:
                response = self._follow(url, conditional)
            except (requests.Timeout, requests.ConnectionError) as error:
                self._check_deadline(url)
                if attempt == self.retries:
                    raise FetchError(f"{url}: {type(error).__name__} after {attempt + 1} attempts") from None
                self._wait(attempt, None)
                continue
            if response.status_code == 304 and cached:
                response.close()
                self._touched.add(url)
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
            result = Response(
                response.url, response.status_code, body, {k.lower(): v for k, v in response.headers.items()}
            )
            self._hold(url, result)
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 60.0))
        if self.deadline is not None and time.monotonic() + delay > self.deadline:
            raise FetchError("the source's time limit would pass while waiting to retry")
        self.sleep(delay)

    def _headers_for(self, url: str, extra: Mapping[str, str]) -> dict:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", **self.headers, **extra}
        if self.base_url and origin(url) == origin(self.base_url):
            headers.update(self.credentials)
            if self.basic_auth:
                user, password = self.basic_auth
                headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return headers

    def _follow(self, url: str, conditional: Mapping[str, str]) -> requests.Response:
        """GET, following redirects one hop at a time so each is checked;
        credentials are sent only while the hop stays at the source's origin."""
        for _ in range(_MAX_REDIRECTS + 1):
            response = self.session.get(
                url,
                headers=self._headers_for(url, conditional),
                timeout=self._remaining(url),
                stream=True,
                allow_redirects=False,
            )
            if not response.is_redirect:
                return response
            target = urllib.parse.urljoin(url, response.headers["Location"])
            response.close()
            self.check_url(target)
            url, conditional = target, {}
        raise FetchError(f"{url}: more than {_MAX_REDIRECTS} redirects")

    def _read_capped(self, url: str, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise FetchError(f"{url}: {declared} bytes exceeds the limit of {self.max_bytes}")
        chunks, size = [], 0
        try:
            decoder = _decoder(response)
            # raw bytes, decoded here: the cap counts what is decoded, in
            # bounded steps, whichever urllib3 is installed
            for chunk in response.raw.stream(_CHUNK, decode_content=False):
                self._check_deadline(url)
                if decoder is not None:
                    chunk = decoder.feed(chunk, self.max_bytes - size)
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"{url}: response exceeds the limit of {self.max_bytes} bytes")
                chunks.append(chunk)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            self._check_deadline(url)
            raise FetchError(f"{url}: {type(error).__name__} while reading the body") from None
        except ValueError as error:  # the encoding is unsupported or corrupt
            raise FetchError(f"{url}: {error}") from None
        except FetchError:
            self._check_deadline(url)
            raise
        finally:
            response.close()
        self._check_deadline(url)  # a watchdog shutdown can look like a clean end
        return b"".join(chunks)

    # -- the conditional-request cache -------------------------------------------

    def _hold(self, url: str, result: Response) -> None:
        etag, last_modified = result.headers.get("etag"), result.headers.get("last-modified")
        self._touched.add(url)
        if self.cache is None or self.tainted or not (etag or last_modified):
            return
        if self._pending_bytes + len(result.content) <= PENDING_CACHE_BYTES:
            self._pending[url] = (etag, last_modified, result.content)
            self._pending_bytes += len(result.content)

    def taint(self) -> None:
        """Something read in this run must not be kept (a classified or
        private record): drop the held answers, and the cached bodies of every
        URL read, which may now map to it."""
        self.tainted = True
        self._pending.clear()
        self._pending_bytes = 0
        if self.cache is not None:
            for url in self._touched:
                self.cache.forget(url)

    def commit_cache(self) -> None:
        """Keep the held answers for conditional requests next time."""
        if self.cache is not None and not self.tainted:
            for url, (etag, last_modified, body) in self._pending.items():
                self.cache.remember(url, etag, last_modified, body)
        self._pending.clear()
        self._pending_bytes = 0
