"""DCAT-US 1.1 catalogues: the `data.json` of project-open-data (US federal
agencies, Socrata, CKAN's and DKAN's data.json exports).

A catalogue is a JSON object whose `dataset` list holds the datasets (v1.0
files, a bare list, are read too).  Each dataset is identified by its
`identifier`, as the schema requires.  Its fields map as:

  title, description, keyword, theme    title, description, keywords
  language                              the tag of the texts (one language;
                                        else each text's language is guessed)
  issued, modified                      the source's dates, as they came
  publisher.name                        provider_unit
  contactPoint.fn / hasEmail            contact_name / contact_email
  accessLevel public / restricted public / non-public
                                        open_attribute unconditional /
                                        conditional / not_open; `rights`
                                        gives the condition or the reason
  license, landingPage, accrualPeriodicity
                                        license_id, landing_page, update_cycle
  distribution[].downloadURL|accessURL, mediaType, format, title, description
                                        resources

Every other key (bureauCode, spatial, temporal …) is counted and reported
as not mapped.  The whole document is one page, so its listing is full.
"""

from __future__ import annotations

import json
from typing import Iterator

from sdm_harvester.mapping import RecordBuilder
from sdm_harvester.sources.base import Broken, Harvester, Item, Record, SourceError
from sdm_schema import identifiers, lang

ACCESS_LEVELS = {"public": "unconditional", "restricted public": "conditional", "non-public": "not_open"}
#: The field `rights` explains, by the access level's open attribute.
RIGHTS_FIELD = {"conditional": "open_condition", "not_open": "closed_reason"}
_READ = frozenset(
    {
        "@type",
        "title",
        "description",
        "keyword",
        "theme",
        "language",
        "issued",
        "modified",
        "publisher",
        "contactPoint",
        "identifier",
        "accessLevel",
        "rights",
        "license",
        "landingPage",
        "accrualPeriodicity",
        "distribution",
    }
)
_DISTRIBUTION_READ = frozenset({"@type", "downloadURL", "accessURL", "mediaType", "format", "title", "description"})


def _tag(dataset: dict) -> str | None:
    """The texts' language when the dataset names exactly one."""
    languages = dataset.get("language")
    languages = [languages] if isinstance(languages, str) else languages or []
    tags = {lang.canonical_tag(t) for t in languages if isinstance(t, str)} - {None}
    return tags.pop() if len(tags) == 1 else None


def _email(value: object) -> str | None:
    text = str(value or "").strip()
    return text[len("mailto:") :] if text.lower().startswith("mailto:") else text or None


def map_dataset(dataset: dict, builder: RecordBuilder) -> dict:
    tag = _tag(dataset)
    builder.guess_language(dataset.get("title"), dataset.get("description"))
    builder.put("title_translated", dataset.get("title"), tag)
    builder.put("notes_translated", dataset.get("description"), tag)
    for key in ("keyword", "theme"):
        builder.put("keywords_translated", dataset.get(key), tag)
    publisher = dataset.get("publisher")
    builder.put("provider_unit", publisher.get("name") if isinstance(publisher, dict) else publisher)
    contact = dataset.get("contactPoint")
    if isinstance(contact, dict):
        builder.put("contact_name", contact.get("fn"))
        builder.put("contact_email", _email(contact.get("hasEmail")))
    level = str(dataset.get("accessLevel") or "").strip().lower()
    if level:
        code = ACCESS_LEVELS.get(level, level)
        builder.put("open_attribute", code)
        if code in RIGHTS_FIELD:
            builder.put(RIGHTS_FIELD[code], dataset.get("rights"))
    builder.put("license_id", dataset.get("license"))
    builder.put("landing_page", dataset.get("landingPage"))
    found = identifiers.recognise(str(dataset.get("identifier") or ""))
    if found:  # a DOI or CSTR given as the identifier
        builder.put(*found)
    builder.put("update_cycle", dataset.get("accrualPeriodicity"))
    for key in set(dataset) - _READ:
        if dataset[key] not in (None, "", [], {}):
            builder.not_mapped(key)
    record = builder.record
    for key, target in (("issued", "metadata_created"), ("modified", "metadata_modified")):
        if isinstance(dataset.get(key), str) and dataset[key].strip():
            record[target] = dataset[key].strip()
    resources = [r for r in (_distribution(d, builder) for d in dataset.get("distribution") or []) if r]
    if resources:
        record["resources"] = resources
    return record


def _distribution(distribution: object, builder: RecordBuilder) -> dict | None:
    if not isinstance(distribution, dict):
        return None
    out = {}
    for key, source in (
        ("url", "downloadURL"),
        ("url", "accessURL"),
        ("mimetype", "mediaType"),
        ("format", "format"),
        ("name", "title"),
        ("description", "description"),
    ):
        value = distribution.get(source)
        if isinstance(value, str) and value.strip() and key not in out:
            out[key] = value.strip()
    for key in set(distribution) - _DISTRIBUTION_READ:
        builder.not_mapped(f"distribution.{key}")
    return out if out.get("url") else None


class DataJsonHarvester(Harvester):
    def items(self) -> Iterator[Item]:
        response = self.ctx.fetcher.get(self.ctx.source.url)
        try:
            document = json.loads(response.content.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as error:
            raise SourceError(f"{response.url}: not a data.json document: {error}") from None
        datasets = document.get("dataset") if isinstance(document, dict) else document
        if not isinstance(datasets, list):
            raise SourceError(f"{response.url}: no `dataset` list: is this a DCAT-US data.json catalogue?")
        for number, dataset in enumerate(datasets, start=1):
            yield self._item(dataset, f"dataset {number}")
        self.ctx.progress(f"{response.url}: {len(datasets)} datasets")
        self.full_listing = True

    def _item(self, dataset: object, where: str) -> Item:
        identifier = dataset.get("identifier") if isinstance(dataset, dict) else None
        if not isinstance(identifier, str) or not identifier.strip():
            return Broken(where, "dataset without an identifier", unidentified=isinstance(dataset, dict))
        identifier = identifier.strip()
        builder = RecordBuilder(self.ctx.mapper)
        try:
            data = map_dataset(dataset, builder)
        except Exception as error:  # one odd dataset must not stop the catalogue
            return Broken(where, f"could not be mapped: {type(error).__name__}: {error}", identifier)
        self.unmapped.update(builder.unmapped)
        return Record(identifier, data, dataset.get("modified") if isinstance(dataset.get("modified"), str) else None)
