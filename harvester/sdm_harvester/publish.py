"""Publish the catalogue as static feeds, one folder per audience.

    OUT/national/       catalog.ttl catalog.rdf catalog.jsonld catalog.nt   (government)
    OUT/international/  the same four, DCAT-AP 3.0.1                        (international)
    OUT/schemaorg/      catalog.jsonld                                      (public)

Past `page_size` datasets a feed continues in catalog-2.ttl, catalog-3.ttl …,
each page linked to the next by hydra:next, the way ckanext-dcat pages its
catalogue and its harvester follows it.

Datasets stream through: each is mapped once per profile (asking the
disclosure policy first) and its triples go straight to every open file,
so memory does not grow with the catalogue.  Every feed is written into a
fresh folder that replaces the old one only when complete: a reader never
sees half a feed, and pages left from a larger catalogue disappear; on any
failure the fresh folders are removed and the old feeds stay as they were.

A stored record is checked before it is written (validation.shape_errors),
and a record whose mapping fails is left out of every feed: either way it is
skipped and reported by name (`summary["skipped"]`), never a reason to stop
the feeds of every other record.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from typing import Iterable, Mapping, Optional

from sdm_schema.rdf import dcat_ap3, national, schemaorg
from sdm_schema.validation import shape_errors
from sdm_schema.rdf.catalog import catalog_iri, page_triples
from sdm_schema.rdf.mapping import Profile, dataset_triples, page_vocabulary
from sdm_schema.rdf.terms import IRI
from sdm_schema.rdf.writers import WRITERS, by_subject

RDF_FORMATS = ("ttl", "rdf", "jsonld", "nt")
#: Folder name → (profile, formats written).
FEEDS = {
    "national": (national.PROFILE, RDF_FORMATS),
    "international": (dcat_ap3.PROFILE, RDF_FORMATS),
    "schemaorg": (schemaorg.PROFILE, ("jsonld",)),
}
_BUFFER = 1 << 20


def page_name(number: int, extension: str) -> str:
    return f"catalog.{extension}" if number == 1 else f"catalog-{number}.{extension}"


class PagedFeed:
    """One feed in several formats, cut into pages as datasets arrive."""

    def __init__(self, folder: str, feed_url: str, profile: Profile, formats,
                 catalog_info: Mapping, page_size: int):
        self.folder, self.feed_url = folder, feed_url.rstrip("/")
        self.profile, self.formats = profile, formats
        self.catalog_info, self.page_size = catalog_info, page_size
        self.catalog = catalog_iri(catalog_info)
        self.link = IRI(profile.dataset_link)
        # written once, the same on every page
        self.header = list(profile.catalog(catalog_info)) + list(page_vocabulary(profile))
        self.page = 0
        self.on_page = 0
        self.datasets = 0
        self.writers: list = []

    def url(self, number: int, extension: str) -> str:
        return f"{self.feed_url}/{page_name(number, extension)}"

    def _open(self):
        self.page += 1
        self.on_page = 0
        self.writers = []
        for extension in self.formats:
            out = open(os.path.join(self.folder, page_name(self.page, extension)), "w",
                       encoding="utf-8", buffering=_BUFFER)
            writer = WRITERS[extension](out, self.profile.prefixes)
            writer.begin()
            writer.write(self.header)
            self.writers.append(writer)

    def _close(self, has_next: bool):
        for writer, extension in zip(self.writers, self.formats):
            writer.write(page_triples(
                self.url(self.page, extension),
                first=self.url(1, extension),
                previous=self.url(self.page - 1, extension) if self.page > 1 else None,
                next_=self.url(self.page + 1, extension) if has_next else None,
                items=self.page_size,
            ))
            writer.end()
            writer.out.close()
        self.writers = []

    def add(self, subject: IRI, triples: list):
        if not self.writers:
            self._open()
        elif self.on_page == self.page_size:
            # only now is it known that the full page has a next one
            self._close(has_next=True)
            self._open()
        triples.append((self.catalog, self.link, subject))
        groups = by_subject(triples)  # once for every format
        for writer in self.writers:
            writer.write_subjects(groups)
        self.on_page += 1
        self.datasets += 1

    def finish(self):
        if not self.writers:  # an empty catalogue still gets its catalogue page
            self._open()
        self._close(has_next=False)


def publish(datasets: Iterable[Mapping], out_dir: str, page_size: int = 1000,
            catalog_info: Optional[Mapping] = None, feeds_url: Optional[str] = None,
            today: Optional[dt.date] = None) -> dict:
    """Write every feed of the catalogue under `out_dir`.

    `datasets` yields SDM dataset dicts (package_show shape, with resources);
    `catalog_info` describes the catalogue (sdm_schema.rdf.catalog), its
    `base_url` naming datasets that carry no `uri`; `feeds_url` is where
    `out_dir` is served (default `{base_url}/feeds`), for the page links.
    Returns {feed: {"datasets": n, "pages": n}}.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    info = dict(catalog_info or {})
    if not info.get("base_url"):
        raise ValueError("catalog_info needs a base_url")
    feeds_url = (feeds_url or f"{info['base_url'].rstrip('/')}/feeds").rstrip("/")
    os.makedirs(out_dir, exist_ok=True)
    feeds, skipped = {}, []
    try:
        for name, (profile, formats) in FEEDS.items():
            folder = os.path.join(out_dir, f".{name}.new")
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            feeds[name] = PagedFeed(folder, f"{feeds_url}/{name}", profile, formats, info, page_size)
        for record in datasets:
            mapped = _mapped(record, feeds, info["base_url"], today, skipped)
            for feed, (subject, triples) in zip(feeds.values(), mapped):
                if subject is not None:
                    feed.add(subject, triples)
        summary: dict = {}
        for name, feed in feeds.items():
            feed.finish()
            _replace(feed.folder, os.path.join(out_dir, name))
            summary[name] = {"datasets": feed.datasets, "pages": feed.page}
    finally:
        for feed in feeds.values():  # what a failure left half-written
            for writer in feed.writers:
                writer.out.close()
            shutil.rmtree(feed.folder, ignore_errors=True)
    summary["skipped"] = skipped
    return summary


def _name(record: Mapping) -> str:
    return str(record.get("name") or record.get("id") or record.get("uri") or "?")


def _mapped(record: Mapping, feeds: Mapping, base_url: str, today, skipped: list) -> list:
    """The record's triples for every feed, or for none: a record that is
    malformed, or whose mapping fails, is skipped and reported."""
    errors = shape_errors(record)
    if errors:
        skipped.append({"record": _name(record), "source": record.get("harvest_source"),
                        "fields": [{"field": e.field, "messages": dict(e.messages)} for e in errors]})
        return []
    try:
        return [dataset_triples(record, feed.profile, base_url, today) for feed in feeds.values()]
    except Exception as error:  # one record's bug must not freeze every feed
        skipped.append({"record": _name(record), "source": record.get("harvest_source"),
                        "fields": [{"field": "dataset", "messages": {
                            "zh-Hans": f"映射失败：{type(error).__name__}: {error}",
                            "en": f"mapping failed: {type(error).__name__}: {error}"}}]})
        return []


def _replace(new: str, target: str):
    """Swap a finished feed folder in for the old one."""
    old = target + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(target):
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)
