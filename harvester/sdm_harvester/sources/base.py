"""What every source yields, and what it is given to work with.

A source turns a department platform into a stream of items:
  Record     a record mapped to a raw SDM dict (validated by the pipeline)
  Unchanged  a record the listing shows unmodified since the last run, by the
             source's own modification mark: it is neither fetched nor mapped
  Deleted    a record the platform says it deleted (OAI-PMH status="deleted")
  Broken     a record that could not be read; reported, never silently lost
  Withheld   a record the platform keeps private (CKAN `private: true`):
             counted, never kept or republished
A failure that stops the whole source raises SourceError.  After the stream
ends, `full_listing` tells whether every record was listed, i.e. whether an
absence means a deletion.

A source whose pages are addressable up front (CKAN's package_search,
rows/start) can be read a range of pages at a time: `listing_size()` says
how many records it lists and how many a page, and a Context with a
`page_range` makes `items()` yield that range only (one page job,
sdm_harvester.workqueue).  Sources whose pages are reached one from the
next (OAI-PMH resumption tokens, DCAT hydra:next) answer None: one job.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Protocol

from sdm_harvester.config import Source
from sdm_harvester.http import Fetcher
from sdm_harvester.mapping import Mapper


class SourceError(Exception):
    """The source as a whole could not be harvested."""


@dataclass(frozen=True)
class Record:
    identifier: str
    data: dict
    #: the source's own modification mark (CKAN metadata_modified, OAI datestamp)
    modified: str | None = None


@dataclass(frozen=True)
class Unchanged:
    identifier: str


@dataclass(frozen=True)
class Deleted:
    identifier: str


@dataclass(frozen=True)
class Broken:
    where: str
    message: str
    identifier: str | None = None
    #: read whole, but nothing identifies it (a blank-node dataset without a
    #: dct:identifier, a package without id or name): never a record the
    #: store could hold, so, unlike an unreadable record, it cannot hide one
    #: that would be withdrawn by mistake; refused like an invalid record
    unidentified: bool = False


@dataclass(frozen=True)
class Withheld:
    identifier: str


Item = Record | Unchanged | Deleted | Broken | Withheld


@dataclass(frozen=True)
class PageRange:
    """Pages `first` to `last` (0-based, inclusive; None: to the end) of a
    listing that had `count` records when it was split: a page job's part."""

    first: int
    last: int | None
    count: int

    @property
    def label(self) -> str:
        """The range as operators read it: 1-based pages."""
        return f"pages {self.first + 1}-{self.last + 1}" if self.last is not None else f"pages {self.first + 1}-end"


class PageMemo(Protocol):
    """What a paged source remembers of each page (the store's PageMemos):
    a byte-identical page whose records are all held is not parsed again."""

    def page_memo(self, source: str, url: str) -> tuple[str, str | None, list] | None: ...

    def remember_page(
        self, source: str, url: str, digest: str, next_url: str | None, identifiers: Iterable[str]
    ) -> None: ...


@dataclass
class Context:
    source: Source
    fetcher: Fetcher
    mapper: Mapper
    #: {identifier: modification mark} of the records held from earlier runs
    known: Mapping[str, str | None] = field(default_factory=dict)
    #: harvest only what changed since then (incremental); None: list everything
    since: dt.datetime | None = None
    progress: Callable[[str], None] = lambda message: None
    #: what each page of a paged source held last time (the store)
    pages: PageMemo | None = None
    #: read only these pages (a page job); None: the whole listing
    page_range: PageRange | None = None


class Harvester:
    """Base of the source types: subclasses implement items()."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.full_listing = False
        #: problems worth reporting that stop nothing (e.g. ignored columns)
        self.warnings: list[str] = []
        #: input fields no SDM field takes → how many records had them
        self.unmapped: Counter = Counter()

    def items(self) -> Iterator[Item]:
        raise NotImplementedError

    def listing_size(self) -> tuple[int, int] | None:
        """(records listed, records a page) when the pages can be addressed
        up front and so read by separate jobs; None (the default) when each
        page is reached from the one before."""
        return None

    def unchanged(self, identifier: str, modified: str | None) -> bool:
        """Whether the listing's modification mark equals the stored one."""
        return modified is not None and self.ctx.known.get(identifier, object()) == modified
