"""The schema.org profile, for search engines (Google Dataset Search…).

Public audience.  Distributions only when the files may be downloaded;
isAccessibleForFree from the fee basis; fees as schema:Offer.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Iterator, Mapping

from sdm_schema import disclosure
from sdm_schema.loader import dataset_field, role_values
from sdm_schema.rdf import licences
from sdm_schema.rdf.catalog import schemaorg_catalog
from sdm_schema.rdf.mapping import Profile, Rule, ValueRule, text_literal, translated_literals, unit_node
from sdm_schema.rdf.namespaces import SCHEMA, SCHEMAORG_PREFIXES
from sdm_schema.rdf.terms import IRI, TYPE, XSD_BOOLEAN, XSD_DECIMAL, Literal, iri

if TYPE_CHECKING:
    from sdm_schema.rdf.mapping import Context
    from sdm_schema.rdf.terms import Triple

#: Fields written with a schema.org property (`schemaorg` in sdm_dataset.yaml).
VALUE_TERMS = {name: IRI(SCHEMA + prop) for name, prop in role_values("schemaorg").items()}


@functools.cache
def _s(name: str) -> IRI:
    return IRI(SCHEMA + name)


class PageRule(Rule):
    """url (the dataset's page), dates, licence, languages, free of charge."""

    fields = ("name", "license_id", "fee_basis")

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        if record.get("name"):
            yield subject, _s("url"), iri(f"{ctx.base_url.rstrip('/')}/dataset/{record['name']}")
        for key, term in (("metadata_created", "dateCreated"), ("metadata_modified", "dateModified")):
            if record.get(key):
                yield subject, _s(term), Literal(str(record[key]))
        licence = licences.licence_iri(record.get("license_id"), record.get("license_url"))
        if licence:
            yield subject, _s("license"), iri(licence)
        for tag in sorted(t for t, v in (record.get("title_translated") or {}).items() if v):
            yield subject, _s("inLanguage"), Literal(tag)
        free = (record.get("fee_basis") or dataset_field("fee_basis").default) == "free"
        yield subject, _s("isAccessibleForFree"), Literal("true" if free else "false", datatype=XSD_BOOLEAN)


class OrganisationRule(Rule):
    """The responsible unit, as creator and publisher."""

    fields = ("owner_org",)

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        unit = unit_node(record, ctx.base_url)
        if unit is None:
            return
        node, names, _ = unit
        yield subject, _s("creator"), node
        yield subject, _s("publisher"), node
        yield node, TYPE, _s("Organization")
        for name in names:
            yield node, _s("name"), name


class IdentifierRule(Rule):
    """Identifiers as schema:PropertyValue, named by their scheme."""

    schemes = {"cstr": "CSTR", "doi": "DOI", "resource_code": "GB/T 21063"}
    fields = tuple(schemes)

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for name, scheme in self.schemes.items():
            if record.get(name):
                node = ctx.node(name)
                yield subject, _s("identifier"), node
                yield node, TYPE, _s("PropertyValue")
                yield node, _s("propertyID"), Literal(scheme)
                yield node, _s("value"), Literal(str(record[name]))


class OfferRule(Rule):
    fields = ("fee_items",)

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for index, item in enumerate(record.get("fee_items") or (), start=1):
            offer = ctx.node(f"offer-{index}")
            yield subject, _s("offers"), offer
            yield offer, TYPE, _s("Offer")
            yield offer, _s("price"), Literal(str(item["amount"]), datatype=XSD_DECIMAL)
            yield offer, _s("priceCurrency"), Literal(item.get("currency", "CNY"))
            for name in translated_literals(item.get("name_translated")):
                yield offer, _s("name"), name


class DownloadRule(Rule):
    """schema:DataDownload for each file: the record has already been
    through the disclosure policy, so withheld files are gone."""

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for index, resource in enumerate(record.get("resources") or (), start=1):
            if not resource.get("url"):
                continue
            node = ctx.node(f"download-{resource.get('id') or index}")
            yield subject, _s("distribution"), node
            yield node, TYPE, _s("DataDownload")
            yield node, _s("contentUrl"), iri(resource["url"])
            if resource.get("format"):
                yield node, _s("encodingFormat"), Literal(str(resource["format"]))
            if resource.get("name"):
                yield node, _s("name"), text_literal(resource["name"])


PROFILE = Profile(
    name="sdm_schemaorg",
    audience=disclosure.PUBLIC,
    rules=(
        *(ValueRule(name, term) for name, term in VALUE_TERMS.items()),
        PageRule(),
        OrganisationRule(),
        IdentifierRule(),
        OfferRule(),
        DownloadRule(),
    ),
    prefixes=SCHEMAORG_PREFIXES,
    dataset_class=SCHEMA + "Dataset",
    catalog=schemaorg_catalog,
    dataset_link=SCHEMA + "dataset",
    describe_codes=False,
)
