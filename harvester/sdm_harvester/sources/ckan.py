"""CKAN sites (2.9 and later) through the Action API.

package_search is paged (rows/start) in id order.  Datasets whose
metadata_modified equals the stored mark are passed on as Unchanged, neither
mapped nor validated again; with `incremental`, only datasets modified since
the last success are asked for (deletions then wait for a full run).  If
the site's count moves while paging, the listing is not trusted for
deletions.  Its pages can be read by separate jobs (`page_jobs`,
sdm_harvester.workqueue): `listing_size()` asks the count alone (rows=0),
and a page job's Context names the range of pages it reads.  SDM fields of an SDM-aware site are taken as they are; a
vanilla site's core fields and extras are mapped (extras by field name or
label, as spreadsheet headers are).  Private datasets (`private: true`,
listed when a token is configured) are passed on as Withheld: counted, and
withdrawn if held from when they were public, never kept or republished.

Options:
  page_size    rows per request (default 100, at most 1000)
  fq           a Solr filter, e.g. organization:meteo
  incremental  ask only for datasets modified since the last success
A file:// URL names a dump: JSON lines as `ckanapi dump datasets` writes
them, a JSON list of datasets, or a package_search response.
"""

from __future__ import annotations

import json
from typing import Iterable, Iterator, Mapping

from sdm_harvester.http import FetchError, Response
from sdm_harvester.mapping import NOT_HARVESTED, Columns, RecordBuilder
from sdm_harvester.sources.base import Broken, Harvester, Item, Record, SourceError, Unchanged, Withheld
from sdm_schema import dataset_fields
from sdm_schema.validation import decode_json

MAX_ROWS = 1000
#: `private` values that mean public; anything else (true, "yes", junk) is private
_PUBLIC = (None, False, 0, "", "false", "False", "0")


def is_private(package: dict) -> bool:
    """Whether the site keeps the dataset to its members: such a dataset is
    never republished, whoever's token listed it."""
    return package.get("private") not in _PUBLIC


#: Core CKAN keys read below, or CKAN's own bookkeeping that describes no data.
_CORE_KEYS = frozenset(
    {
        "id",
        "name",
        "title",
        "notes",
        "tags",
        "extras",
        "resources",
        "organization",
        "owner_org",
        "maintainer",
        "maintainer_email",
        "author",
        "author_email",
        "version",
        "license_id",
        "license_title",
        "license_url",
        "metadata_created",
        "metadata_modified",
        "private",
        "state",
        "type",
        "num_resources",
        "num_tags",
        "isopen",
        "creator_user_id",
        "revision_id",
        "url",
        "relationships_as_object",
        "relationships_as_subject",
        "tracking_summary",
        "tags_translated",
        "issued",
        "modified",
        "contact",
    }
)
#: Where ckanext-dcat's and ckanext-fluent's schemas keep what the SDM has
#: a field for: their key → (SDM field or date key).
_DCAT_KEYS = {
    "issued": "metadata_created",
    "modified": "metadata_modified",
    "dcat_issued": "metadata_created",
    "dcat_modified": "metadata_modified",
}
_RESOURCE_KEYS = ("url", "name", "description", "format", "mimetype", "license")
_RESOURCE_BOOKKEEPING = frozenset(
    {
        "id",
        "package_id",
        "created",
        "last_modified",
        "metadata_modified",
        "position",
        "state",
        "size",
        "hash",
        "url_type",
        "cache_url",
        "cache_last_updated",
        "datastore_active",
        "resource_type",
        "mimetype_inner",
        "revision_id",
        "tracking_summary",
    }
)


def _title(unit: object) -> object:
    """An organisation's title; older dumps and other sites give a string."""
    if isinstance(unit, dict):
        return unit.get("title_translated") or unit.get("title") or unit.get("name")
    return unit if isinstance(unit, str) else None


def unit_code(org: Mapping) -> str:
    """The `uscc` of an SDM site's organisation (a field, or an extra)."""
    if not isinstance(org, dict):
        return ""
    extras = {e.get("key"): e.get("value") for e in org.get("extras") or [] if isinstance(e, dict)}
    return str(org.get("uscc") or extras.get("uscc") or "").strip()


def _put_unit(org: object, builder: RecordBuilder) -> None:
    """The dataset's own responsible unit: its organisation, when that names
    its USCC (an SDM site); a vanilla site's organisation names none."""
    code = unit_code(org)
    if not code:
        return
    builder.put("unit_uscc", code)
    names = decode_json(org.get("title_translated")) or org.get("title")
    for tag, name in names.items() if isinstance(names, dict) else [(None, names)]:
        builder.put("unit_name", name, tag)


def map_package(package: dict, builder: RecordBuilder, columns: Columns) -> dict:
    sdm = {f.name for f in dataset_fields()} - NOT_HARVESTED
    for name in sdm & set(package):
        builder.put(name, decode_json(package[name]))
    for extra in package.get("extras") or []:
        if not isinstance(extra, dict):
            continue
        target = columns.resolve(extra.get("key"))
        if extra.get("key") in _DCAT_KEYS:
            _date(builder.record, _DCAT_KEYS[extra["key"]], extra.get("value"))
        elif target and target[0] not in ("identifier",):
            builder.put(target[0], decode_json(extra.get("value")), target[1])
        elif extra.get("value") not in (None, ""):
            builder.not_mapped(f"extras.{extra.get('key')}")
    builder.guess_language(package.get("title"), package.get("notes"))
    builder.put("title_translated", package.get("title"))
    builder.put("notes_translated", package.get("notes"))
    builder.put("keywords_translated", decode_json(package.get("tags_translated")))
    builder.put(
        "keywords_translated",
        [
            t["name"] if isinstance(t, dict) else t
            for t in package.get("tags") or []
            if (t.get("name") if isinstance(t, dict) else t)
        ],
    )
    contacts = package.get("contact") if isinstance(package.get("contact"), list) else []
    for contact in (c for c in contacts[:1] if isinstance(c, dict)):  # ckanext-dcat's repeating contact
        builder.put("contact_name", contact.get("name"))
        builder.put("contact_email", contact.get("email"))
    builder.put("provider_unit", _title(package.get("organization")))
    _put_unit(package.get("organization"), builder)
    builder.put("contact_name", package.get("maintainer") or package.get("author"))
    builder.put("contact_email", package.get("maintainer_email") or package.get("author_email"))
    builder.put("landing_page", package.get("url"))
    for key in ("version", "license_id"):
        builder.put(key, package.get(key))
    for key in set(package) - sdm - _CORE_KEYS - NOT_HARVESTED:
        if package[key] not in (None, "", [], {}):
            builder.not_mapped(key)
    record = builder.record
    record["resources"] = _resources(package.get("resources"), builder)
    if not record["resources"]:
        del record["resources"]
    # the source's own dates and licence address, published as they came:
    # the dataset's issued/modified (ckanext-dcat) before the catalogue record's
    for key in ("issued", "modified", "metadata_created", "metadata_modified"):
        _date(record, _DCAT_KEYS.get(key, key), package.get(key))
    if isinstance(package.get("license_url"), str) and package["license_url"].strip():
        record["license_url"] = package["license_url"].strip()
    if package.get("name"):
        record["name"] = package["name"]
    return record


def _date(record: dict, key: str, value: object) -> None:
    if isinstance(value, str) and value.strip() and key not in record:
        record[key] = value.strip()


def _resources(resources: object, builder: RecordBuilder) -> list:
    out = []
    for resource in resources if isinstance(resources, list) else []:
        if not isinstance(resource, dict) or not resource.get("url"):
            continue
        out.append({k: str(resource[k]) for k in _RESOURCE_KEYS if resource.get(k)})
        for key in set(resource) - set(_RESOURCE_KEYS) - _RESOURCE_BOOKKEEPING:
            if resource[key] not in (None, "", [], {}):
                builder.not_mapped(f"resources.{key}")
    return out


class CkanHarvester(Harvester):
    def items(self) -> Iterator[Item]:
        self.columns = Columns(self.ctx.source.columns)
        self._organizations: dict = {}
        if self.ctx.source.url.startswith("file:"):
            yield from self._dump()
        else:
            yield from self._search()

    def _item(self, package: object, where: str) -> Item:
        # a dump without ids (ckanapi's from other tools) still names each dataset
        identifier = package.get("id") or package.get("name") if isinstance(package, dict) else None
        if not identifier:
            return Broken(where, "dataset with neither an id nor a name", unidentified=isinstance(package, dict))
        identifier, modified = str(identifier), package.get("metadata_modified")
        if is_private(package):
            return Withheld(identifier)
        if self.unchanged(identifier, modified):
            return Unchanged(identifier)
        if not self.ctx.source.url.startswith("file:"):
            package = {**package, "organization": self._organization(package.get("organization"))}
        builder = RecordBuilder(self.ctx.mapper)
        try:
            data = map_package(package, builder, self.columns)
        except Exception as error:  # one odd package must not stop the source
            return Broken(where, f"could not be mapped: {type(error).__name__}: {error}", identifier)
        self.unmapped.update(builder.unmapped)
        return Record(identifier, data, modified)

    def _organization(self, org: object) -> object:
        """package_search gives an organisation without the fields a schema
        adds (`uscc`): organization_show, once per organisation and run."""
        if not isinstance(org, dict) or unit_code(org) or not org.get("id"):
            return org
        cache = self._organizations
        if org["id"] not in cache:
            endpoint = self.ctx.source.url.rstrip("/") + "/api/3/action/organization_show"
            try:
                cache[org["id"]] = {**org, **self._result(self.ctx.fetcher.get(endpoint, {"id": org["id"]}))}
            except (SourceError, FetchError) as error:  # the dataset still has its organisation's title
                self.warnings.append(f"organisation {org.get('name') or org['id']}: {error}")
                cache[org["id"]] = org
        return cache[org["id"]]

    def _dump(self) -> Iterator[Item]:
        content = self.ctx.fetcher.get(self.ctx.source.url).content.decode("utf-8-sig")
        try:
            document = json.loads(content)
        except ValueError:
            document = None
        if isinstance(document, dict):
            result = document.get("result", document)
            # a package_search answer, a package_show answer, or one dataset
            found = result.get("results") if isinstance(result, dict) and "results" in result else [result]
            packages: Iterable = enumerate(found if isinstance(found, list) else [], start=1)
        elif isinstance(document, list):
            packages = enumerate(document, start=1)
        else:
            packages = self._json_lines(content)
        count = 0
        for number, package in packages:
            count += 1
            yield package if isinstance(package, Broken) else self._item(package, f"dataset {number}")
        self.ctx.progress(f"dump: {count} datasets")
        self.full_listing = True

    @staticmethod
    def _json_lines(content: str) -> Iterator[tuple[int, object]]:
        for number, line in enumerate(content.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except ValueError as error:
                    yield number, Broken(f"line {number}", f"not JSON: {error}")

    def _endpoint(self) -> str:
        return self.ctx.source.url.rstrip("/") + "/api/3/action/package_search"

    def _rows(self) -> int:
        return min(int(self.ctx.source.options.get("page_size", 100)), MAX_ROWS)

    def _params(self, start: int, rows: int) -> dict:
        """package_search's parameters for `rows` datasets from `start`, in id order."""
        options, since = self.ctx.source.options, self.ctx.since
        filters = [options["fq"]] if options.get("fq") else []
        if since:
            filters.append(f"metadata_modified:[{since.strftime('%Y-%m-%dT%H:%M:%SZ')} TO *]")
        return {
            "q": "*:*",
            "rows": rows,
            "start": start,
            "sort": "id asc",
            "fq": " AND ".join(filters) or None,
            "include_private": "true" if self.ctx.source.credentials.get("token_env") else None,
        }

    def listing_size(self) -> tuple[int, int] | None:
        """package_search's count (rows=0: no datasets), and the page size;
        a dump is one file: None."""
        if self.ctx.source.url.startswith("file:"):
            return None
        result = self._result(self.ctx.fetcher.get(self._endpoint(), self._params(0, 0)))
        count = result.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise SourceError(f"{self._endpoint()}: package_search gave no count")
        return count, self._rows()

    def _search(self) -> Iterator[Item]:
        endpoint, rows, span = self._endpoint(), self._rows(), self.ctx.page_range
        start = span.first * rows if span else 0
        stop = (span.last + 1) * rows if span and span.last is not None else None
        listed, first_count = set(), None
        while True:
            # a site that caps rows answers fewer: never read into the next range
            response = self.ctx.fetcher.get(
                endpoint, self._params(start, rows if stop is None else min(rows, stop - start))
            )
            result = self._result(response)
            count, packages = result.get("count", 0), result.get("results") or []
            first_count = count if first_count is None else first_count
            for number, package in enumerate(packages, start=start + 1):
                identifier = (package.get("id") or package.get("name")) if isinstance(package, dict) else None
                if identifier and identifier in listed:
                    continue  # a dataset added meanwhile shifted the pages
                listed.add(identifier)
                yield self._item(package, f"dataset {number} of {response.url}")
            page = start // rows + 1
            self.ctx.progress(f"page {page}: {len(packages)} datasets ({start + len(packages)}/{count})")
            start += len(packages)
            if not packages or start >= count or (stop is not None and start >= stop):
                break
        # a dataset deleted while paging could have shifted another out of
        # view; a page job compares with the count the listing was split at
        self.full_listing = self.ctx.since is None and count == first_count and (span is None or count == span.count)

    @staticmethod
    def _result(response: Response) -> dict:
        try:
            body = json.loads(response.content)
        except ValueError:
            raise SourceError(f"{response.url}: not a JSON answer; is this a CKAN site?") from None
        if not isinstance(body, dict) or not body.get("success") or not isinstance(body.get("result"), dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise SourceError(f"{response.url}: package_search failed: {error or 'unexpected answer'}")
        return body["result"]
