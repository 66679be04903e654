"""OAI-PMH repositories: ListRecords in oai_dc or oai_datacite.

Pages follow resumption tokens; an incremental source asks `from` its last
success.  Besides titles, descriptions and subjects, a record keeps its
second titles (alternative_title), its link to the data (a handle, DOI or
URL identifier, DataCite related and alternate identifiers → landing_page),
its licence (dc:rights, DataCite rights/rightsURI/rightsIdentifier), and its
dates (dc:date, DataCite dates and publicationYear; the OAI datestamp when
the record gives no modification date).  Elements no field takes are
counted and reported.  Records with status="deleted" are withdrawn.  Every page is
parsed by safexml, so a hostile page fails the source with a message naming
it and the run goes on with the other sources.

Options:
  metadata_prefix  oai_dc (default) or oai_datacite
  set              an OAI set spec
  until            upper datestamp bound (makes the listing partial)
  incremental      ask `from` the last success (deletions then come only
                   from deleted records; `sdm-harvest run --full` lists all)
A file:// URL names a saved first ListRecords response; each resumption
token names the next page's file beside it (`<token>.xml`).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Iterable, Iterator

from lxml.etree import _Element as Element
from stdnum.cn import uscc as stdnum_uscc

from sdm_harvester import safexml
from sdm_harvester.mapping import RecordBuilder
from sdm_harvester.sources.base import Broken, Deleted, Harvester, Item, Record, SourceError
from sdm_schema import identifiers, lang

NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "datacite": "http://datacite.org/schema/kernel-4",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PREFIXES = ("oai_dc", "oai_datacite")
#: Pages at most, against a repository whose tokens never end.
MAX_PAGES = 100_000

# Access-rights vocabularies repositories use (COAR, info:eu-repo) → SDM.
_OPEN = ("open_attribute", "unconditional")
_RESTRICTED = ("open_attribute", "conditional")
_CLOSED = ("open_attribute", "not_open")
_EMBARGOED = ("disclosure", "deferred")
ACCESS_RIGHTS = {
    "http://purl.org/coar/access_right/c_abf2": _OPEN,
    "http://purl.org/coar/access_right/c_16ec": _RESTRICTED,
    "http://purl.org/coar/access_right/c_14cb": _CLOSED,
    "http://purl.org/coar/access_right/c_f1cf": _EMBARGOED,
    "info:eu-repo/semantics/openaccess": _OPEN,
    "info:eu-repo/semantics/restrictedaccess": _RESTRICTED,
    "info:eu-repo/semantics/closedaccess": _CLOSED,
    "info:eu-repo/semantics/embargoedaccess": _EMBARGOED,
}


def _text(element: Element | None) -> str | None:
    return element.text.strip() if element is not None and element.text and element.text.strip() else None


def _lang(element: Element) -> str | None:
    return element.get(XML_LANG)


_HANDLE = re.compile(r"^(?:hdl:|info:hdl/)(\S+/\S+)$|^(\d+(?:\.\d+)+/\S+)$", re.IGNORECASE)


def landing_page(value: str | None) -> str | None:
    """The web address of an identifier: a DOI or handle as its resolver's
    URL, an http(s) URL as it is; None for anything else (an ISBN, a local id)."""
    value = (value or "").strip()
    doi = identifiers.doi(value)
    if doi:
        return f"https://doi.org/{doi}"
    if value.lower().startswith(("http://", "https://")):
        return value
    handle = _HANDLE.match(value)
    return f"https://hdl.handle.net/{handle.group(1) or handle.group(2)}" if handle else None


def _put_identifier(builder: RecordBuilder, value: str | None) -> None:
    if not value:
        return
    found = identifiers.recognise(value)
    if found:
        builder.put(*found)
    builder.put("landing_page", landing_page(value))


def _put_rights(builder: RecordBuilder, value: str | None) -> None:
    """Access rights by their URI or label; any other rights statement is
    the record's licence, kept as given (an IRI or a text)."""
    target = ACCESS_RIGHTS.get((value or "").strip().lower())
    if target is None and value:
        code = builder.mapper.known_code("open_attribute", value)
        target = ("open_attribute", code) if code else ("license_id", value.strip())
    if target:
        builder.put(*target)


def _put_date(builder: RecordBuilder, key: str, value: str | None) -> None:
    """A source date, as it came."""
    if value and key not in builder.record:
        builder.record[key] = value.strip()


def _unmapped(metadata: Element, builder: RecordBuilder, known: Iterable[str]) -> None:
    for element in metadata.iter():
        if not isinstance(element.tag, str):
            continue
        local = element.tag.rsplit("}", 1)[-1]
        if local not in known and _text(element):
            builder.not_mapped(local)


_DC_READ = {"dc", "title", "description", "subject", "publisher", "identifier", "rights", "date"}


def _put_title(builder: RecordBuilder, text: str | None, tag: str | None, alternative: bool = False) -> None:
    """A title; a second title in a language already given is an alternative title."""
    given = builder.record.get("title_translated") or {}
    key = lang.canonical_tag(tag) if tag else (lang.guess(text) if text else None)
    if text and (alternative or (key in given and given[key] != text)):
        builder.put("alternative_title", text, tag)
    else:
        builder.put("title_translated", text, tag)


def map_oai_dc(metadata: Element, builder: RecordBuilder) -> None:
    for element in metadata.iterfind(".//dc:title", NS):
        _put_title(builder, _text(element), _lang(element))
    for name, field in (
        ("description", "notes_translated"),
        ("subject", "keywords_translated"),
        ("publisher", "provider_unit"),
    ):
        for element in metadata.iterfind(f".//dc:{name}", NS):
            builder.put(field, _text(element), _lang(element))
    for element in metadata.iterfind(".//dc:identifier", NS):
        _put_identifier(builder, _text(element))
    for element in metadata.iterfind(".//dc:rights", NS):
        _put_rights(builder, _text(element))
    dates = sorted(_text(e) for e in metadata.iterfind(".//dc:date", NS) if _text(e))
    if dates:
        _put_date(builder, "metadata_created", dates[0])
        if dates[-1] != dates[0]:
            _put_date(builder, "metadata_modified", dates[-1])
    _unmapped(metadata, builder, _DC_READ)


def map_datacite(metadata: Element, builder: RecordBuilder) -> None:
    resource = metadata.find(".//datacite:resource", NS)
    if resource is None:
        raise ValueError("no DataCite <resource> in the metadata")

    def each(path: str) -> Iterator[Element]:
        return resource.iterfind(path, NS)

    for element in each("datacite:titles/datacite:title"):
        _put_title(builder, _text(element), _lang(element), alternative=bool(element.get("titleType")))
    for element in each("datacite:descriptions/datacite:description"):
        if element.get("descriptionType", "Abstract") == "Abstract":
            builder.put("notes_translated", _text(element), _lang(element))
    for element in each("datacite:subjects/datacite:subject"):
        if "13745" in (element.get("subjectScheme") or ""):
            builder.put("discipline", element.get("classificationCode") or _text(element))
        else:
            builder.put("keywords_translated", _text(element), _lang(element))
    identifier = resource.find("datacite:identifier", NS)
    if identifier is not None and identifier.get("identifierType", "").upper() == "DOI":
        _put_identifier(builder, _text(identifier))
    for element in each("datacite:alternateIdentifiers/datacite:alternateIdentifier"):
        if element.get("alternateIdentifierType", "").upper() == "CSTR":
            _put_identifier(builder, "CSTR:" + (_text(element) or "").removeprefix("CSTR:"))
        else:
            builder.put("landing_page", landing_page(_text(element)))
    for element in each("datacite:relatedIdentifiers/datacite:relatedIdentifier"):
        # the record's own pages only: what it Cites or IsPartOf names other works
        if element.get("relationType") in ("IsIdenticalTo", "IsVariantFormOf", "HasMetadata"):
            builder.put("landing_page", landing_page(_text(element)))
    builder.put("provider_unit", _text(resource.find("datacite:publisher", NS)))
    builder.put("version", _text(resource.find("datacite:version", NS)))
    for element in each("datacite:rightsList/datacite:rights"):
        _put_rights(builder, element.get("rightsURI") or element.get("rightsIdentifier") or _text(element))
    for element in each("datacite:dates/datacite:date"):
        key = {"Issued": "metadata_created", "Created": "metadata_created", "Updated": "metadata_modified"}.get(
            element.get("dateType")
        )
        if key:
            _put_date(builder, key, _text(element))
    _put_date(builder, "metadata_created", _text(resource.find("datacite:publicationYear", NS)))
    if builder.record.get("disclosure") == "deferred":
        for element in each("datacite:dates/datacite:date"):
            if element.get("dateType") == "Available":
                builder.put("embargo_until", _text(element))
    for element in each("datacite:contributors/datacite:contributor"):
        if element.get("contributorType") == "ContactPerson":
            builder.put("contact_name", _text(element.find("datacite:contributorName", NS)))
    _put_unit(resource, builder)
    _unmapped(resource, builder, _DATACITE_READ)


_DATACITE_READ = {
    "resource",
    "titles",
    "title",
    "descriptions",
    "description",
    "subjects",
    "subject",
    "identifier",
    "alternateIdentifiers",
    "alternateIdentifier",
    "relatedIdentifiers",
    "relatedIdentifier",
    "publisher",
    "version",
    "rightsList",
    "rights",
    "dates",
    "date",
    "publicationYear",
    "contributors",
    "contributor",
    "contributorName",
    "nameIdentifier",
}


def _uscc_of(value: str | None, scheme: str | None) -> str | None:
    """A USCC given as a name identifier: by its scheme, or by its form."""
    if not value:
        return None
    code = value.strip().rsplit("/", 1)[-1].upper()
    if (scheme or "").strip().upper() in ("USCC", "统一社会信用代码") or stdnum_uscc.is_valid(code):
        return code
    return None


def _put_unit(resource: Element, builder: RecordBuilder) -> None:
    """The responsible unit: the publisher when it carries a USCC
    (publisherIdentifier, DataCite 4.5), else the first organisational
    contributor with a USCC name identifier.  Elements naming the same code
    in several languages give the unit's names in each."""
    candidates = [
        (element, element.get("publisherIdentifier"), element.get("publisherIdentifierScheme"))
        for element in resource.iterfind("datacite:publisher", NS)
    ]
    for contributor in resource.iterfind("datacite:contributors/datacite:contributor", NS):
        if contributor.get("contributorType") == "ContactPerson":
            continue
        name = contributor.find("datacite:contributorName", NS)
        for identifier in contributor.iterfind("datacite:nameIdentifier", NS):
            candidates.append((name, _text(identifier), identifier.get("nameIdentifierScheme")))
    chosen = None
    for name, value, scheme in candidates:
        code = _uscc_of(value, scheme)
        if code and chosen in (None, code):
            chosen = code
            builder.put("unit_uscc", code)
            builder.put("unit_name", _text(name), _lang(name) if name is not None else None)


_MAPPERS = {"oai_dc": map_oai_dc, "oai_datacite": map_datacite}


class OaiPmhHarvester(Harvester):
    def items(self) -> Iterator[Item]:
        source, options = self.ctx.source, self.ctx.source.options
        prefix = options.get("metadata_prefix", "oai_dc")
        if prefix not in PREFIXES:
            raise SourceError(f"metadata_prefix {prefix!r}: supported are {', '.join(PREFIXES)}")
        from_file = source.url.startswith("file:")
        url, params = source.url, None
        if not from_file:
            params = {
                "verb": "ListRecords",
                "metadataPrefix": prefix,
                "set": options.get("set"),
                "until": options.get("until"),
                "from": self.ctx.since.strftime("%Y-%m-%d") if self.ctx.since else None,
            }
        tokens = set()
        for page in range(1, MAX_PAGES + 1):
            response = self.ctx.fetcher.get(url, params)
            where = f"page {page} ({response.url})"
            root = safexml.parse(response.content, f"{source.name}: {where}", source.max_bytes)
            listing = self._listing(root, where)
            count = 0
            if listing is not None:
                for element in listing.iterfind("oai:record", NS):
                    count += 1
                    yield self._item(element, prefix, where)
            token = _text(listing.find("oai:resumptionToken", NS)) if listing is not None else None
            self.ctx.progress(f"{where}: {count} records")
            if not token:
                break
            if token in tokens:
                raise SourceError(f"{where}: resumption token {token!r} repeated; the repository loops")
            tokens.add(token)
            if from_file:
                url = urllib.parse.urljoin(source.url, urllib.parse.quote(token) + ".xml")
            else:
                params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            raise SourceError(f"more than {MAX_PAGES} pages")
        self.full_listing = self.ctx.since is None and not options.get("until")

    @staticmethod
    def _listing(root: Element, where: str) -> Element | None:
        if root.tag != f"{{{NS['oai']}}}OAI-PMH":
            raise SourceError(f"{where}: not an OAI-PMH response (root element {root.tag})")
        error = root.find("oai:error", NS)
        if error is not None:
            if error.get("code") == "noRecordsMatch":
                return None
            raise SourceError(f"{where}: OAI-PMH error {error.get('code')}: {_text(error) or ''}")
        listing = root.find("oai:ListRecords", NS)
        if listing is None:
            raise SourceError(f"{where}: no ListRecords element")
        return listing

    def _item(self, element: Element, prefix: str, where: str) -> Item:
        header = element.find("oai:header", NS)
        identifier = _text(header.find("oai:identifier", NS)) if header is not None else None
        if not identifier:
            return Broken(where, "record without a header identifier", unidentified=header is not None)
        if header.get("status") == "deleted":
            return Deleted(identifier)
        metadata = element.find("oai:metadata", NS)
        if metadata is None:
            return Broken(where, "record without metadata", identifier)
        builder = RecordBuilder(self.ctx.mapper)
        datestamp = _text(header.find("oai:datestamp", NS))
        builder.guess_language(
            *(e.text for e in metadata.iter() if isinstance(e.tag, str) and e.tag.endswith(("}title", "}description")))
        )
        try:
            _MAPPERS[prefix](metadata, builder)
        except ValueError as error:
            return Broken(where, str(error), identifier)
        except Exception as error:  # one odd record must not stop the page
            return Broken(where, f"could not be mapped: {type(error).__name__}: {error}", identifier)
        _put_date(builder, "metadata_modified", datestamp)
        self.unmapped.update(builder.unmapped)
        return Record(identifier, builder.record, datestamp)
