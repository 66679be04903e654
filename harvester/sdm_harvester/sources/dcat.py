"""DCAT catalogues (Turtle, RDF/XML, JSON-LD, N-Triples), paged by hydra:next.

The RDF is read by sdm_schema.rdf.parse, the same mapping the feeds are
written with, so there is one DCAT mapping in the project.  RDF/XML is first
checked by safexml (no entity declarations) before the parser sees it.  A
dataset is identified by its IRI, else its dct:identifier (resource code).

DCAT gives no modification mark a harvester can trust, so pages are
compared instead: a page byte-identical to the one read last time (under
the same source settings), whose records are all still held, is not parsed
again; its records pass as Unchanged.  A blank-node dataset is identified by
its dct:identifier, whatever its form; dataset predicates no rule reads are
counted and reported.  An unchanged catalogue then costs
its download and a hash.

Options:
  format   ttl, rdf, jsonld or nt; default: the Content-Type, then the
           URL's extension, then Turtle
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from typing import Iterator

from sdm_harvester import safexml
from sdm_harvester.sources.base import Broken, Harvester, Item, Record, SourceError, Unchanged
from sdm_schema import codelist, dataset_fields
from sdm_schema.rdf.parse import FORMATS, ParseError, format_name, read_page

#: Pages at most, against catalogues whose hydra:next never ends.
MAX_PAGES = 100_000
_EXTENSIONS = {".ttl": "ttl", ".rdf": "rdf", ".xml": "rdf", ".jsonld": "jsonld", ".nt": "nt", ".n3": "n3"}


def _format(option: object, content_type: str, url: str) -> str:
    if option:
        return str(option)
    if content_type in FORMATS and content_type not in ("application/json", "text/plain"):
        return content_type
    path = urllib.parse.urlsplit(url).path.lower()
    for extension, name in _EXTENSIONS.items():
        if path.endswith(extension):
            return name
    return "ttl"


class DcatHarvester(Harvester):
    def items(self) -> Iterator[Item]:
        source = self.ctx.source
        url, visited = source.url, set()
        for page in range(1, MAX_PAGES + 1):
            visited.add(url)
            response = self.ctx.fetcher.get(url)
            where = f"page {page} ({response.url})"
            fmt = _format(source.options.get("format"), response.content_type, url)
            digest = self._digest(response.content, fmt)
            memo = self.ctx.pages.page_memo(source.name, url) if self.ctx.pages else None
            if memo and memo[0] == digest and all(i in self.ctx.known for i in memo[2]):
                next_url, identifiers = memo[1], memo[2]
                yield from (Unchanged(identifier) for identifier in identifiers)
            else:
                next_url, identifiers, whole = yield from self._read(response.content, fmt, url, where)
                if self.ctx.pages and whole:
                    self.ctx.pages.remember_page(source.name, url, digest, next_url, identifiers)
            self.ctx.progress(f"{where}: {len(identifiers)} datasets")
            if not next_url:
                break
            url = urllib.parse.urljoin(url, next_url)
            if url in visited:
                raise SourceError(f"{where}: hydra:next points back to {url}; the catalogue loops")
        else:
            raise SourceError(f"more than {MAX_PAGES} pages")
        self.full_listing = True

    def _digest(self, content: bytes, fmt: str) -> str:
        """The page's bytes under the settings that shape its records."""
        source = self.ctx.source
        settings = json.dumps([fmt, source.mapping, source.default_language], sort_keys=True)
        return hashlib.sha256(settings.encode() + b"\0" + content).hexdigest()

    def _read(self, content: bytes, fmt: str, url: str, where: str):
        """Parse a page and yield its items; returns (next_url, identifiers,
        whether every dataset was readable: only such a page may be skipped)."""
        source = self.ctx.source
        try:
            if format_name(fmt) == "xml":
                safexml.parse(content, f"{source.name}: {where}", source.max_bytes)
            parsed = read_page(content, fmt, base_url=url)
        except ParseError as error:
            raise SourceError(f"{where}: {error}") from None
        identifiers = []
        self.unmapped.update({str(predicate): n for predicate, n in parsed.unmapped.items()})
        for number, dataset in enumerate(parsed.datasets, start=1):
            item = self._item(dataset, f"{where} dataset {number}")
            if isinstance(item, Record):
                identifiers.append(item.identifier)
            yield item
        return parsed.next_url, identifiers, len(identifiers) == len(parsed.datasets)

    def _item(self, dataset: dict, where: str) -> Item:
        identifier = dataset.get("uri") or dataset.get("resource_code") or dataset.pop("source_identifier", None)
        dataset.pop("source_identifier", None)
        if not identifier:
            return Broken(
                where, "a blank-node dataset without a dct:identifier: nothing identifies it", unidentified=True
            )
        try:
            return Record(str(identifier), self._remap(dataset))
        except Exception as error:  # one odd dataset must not stop the page
            return Broken(where, f"could not be mapped: {type(error).__name__}: {error}", str(identifier))

    def _remap(self, dataset: dict) -> dict:
        """Apply the source's mapping overrides to values the parser left uncoded."""
        for field in dataset_fields():
            value = dataset.get(field.name)
            if field.codelist_name is None or value is None:
                continue
            if field.kind_type.multivalued and isinstance(value, list):
                dataset[field.name] = self.ctx.mapper.codes(field.name, value)
            elif isinstance(value, str) and value not in codelist(field.codelist_name):
                dataset[field.name] = self.ctx.mapper.code(field.name, value)
        return dataset
