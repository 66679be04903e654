"""DCAT catalogues (Turtle, RDF/XML, JSON-LD, N-Triples), paged by hydra:next.

The RDF is read by sdm_schema.rdf.parse, the same mapping the feeds are
written with, so there is one DCAT mapping in the project.  RDF/XML is first
checked by safexml (no entity declarations) before rdflib sees it.  A
dataset is identified by its IRI, else its dct:identifier (resource code).

Options:
  format   ttl, rdf, jsonld or nt; default: the Content-Type, then the
           URL's extension, then Turtle
"""
from __future__ import annotations

import urllib.parse
from typing import Iterator

from sdm_harvester import safexml
from sdm_harvester.sources.base import Broken, Harvester, Item, Record, SourceError
from sdm_schema import codelist, dataset_fields
from sdm_schema.rdf.parse import FORMATS, ParseError, read_page, rdflib_format

#: Pages at most, against catalogues whose hydra:next never ends.
MAX_PAGES = 100_000
_EXTENSIONS = {".ttl": "ttl", ".rdf": "rdf", ".xml": "rdf", ".jsonld": "jsonld", ".nt": "nt", ".n3": "n3"}


def _format(option, content_type: str, url: str) -> str:
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
            try:
                if rdflib_format(fmt) == "xml":
                    safexml.parse(response.content, f"{source.name}: {where}", source.max_bytes)
                parsed = read_page(response.content, fmt, base_url=url)
            except ParseError as error:
                raise SourceError(f"{where}: {error}") from None
            for number, dataset in enumerate(parsed.datasets, start=1):
                yield self._item(dataset, f"{where} dataset {number}")
            self.ctx.progress(f"{where}: {len(parsed.datasets)} datasets")
            if not parsed.next_url:
                break
            url = urllib.parse.urljoin(url, parsed.next_url)
            if url in visited:
                raise SourceError(f"{where}: hydra:next points back to {url}; the catalogue loops")
        else:
            raise SourceError(f"more than {MAX_PAGES} pages")
        self.full_listing = True

    def _item(self, dataset: dict, where: str) -> Item:
        identifier = dataset.get("uri") or dataset.get("resource_code")
        if not identifier:
            return Broken(where, "dataset with neither an IRI nor a dct:identifier")
        return Record(str(identifier), self._remap(dataset))

    def _remap(self, dataset: dict) -> dict:
        """Apply the source's mapping overrides to values the parser left uncoded."""
        for field in dataset_fields():
            value = dataset.get(field.name)
            if field.codelist_name is None or value is None:
                continue
            if field.kind == "codes" and isinstance(value, list):
                dataset[field.name] = self.ctx.mapper.codes(field.name, value)
            elif isinstance(value, str) and value not in codelist(field.codelist_name):
                dataset[field.name] = self.ctx.mapper.code(field.name, value)
        return dataset
