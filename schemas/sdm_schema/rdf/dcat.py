"""The DCAT rules, shared by the national and the international profile.

Standard DCAT 3 / DCAT-AP terms where one fits; the SDM vocabulary
(`vocabulary.term`) for every other field.  The two profiles differ only in
their audience, in how codes are named (ours or the EU's) and in the
international English fallback (dcat_ap3.py).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Iterator, Mapping
from urllib.parse import unquote

from sdm_schema import disclosure, identifiers, lang, validation
from sdm_schema.loader import codelist, dataset_field, dataset_fields, role_values
from sdm_schema.rdf import file_types, licences, vocabulary
from sdm_schema.rdf.mapping import (
    Rule,
    ValueRule,
    code_iri,
    field_value,
    flag,
    literal_lang,
    sorted_objects,
    text_literal,
    translated_literals,
    unit_node,
)
from sdm_schema.rdf.namespaces import (
    ADMS,
    CV,
    DCAT,
    DCT,
    EU_CURRENCY,
    FOAF,
    PROV,
    RDF,
    RDFS,
    SKOS,
    VCARD,
    XSD,
    expand,
)
from sdm_schema.rdf.terms import IRI, TYPE, XSD_DATE, XSD_DATETIME, XSD_DECIMAL, Literal, iri

if TYPE_CHECKING:
    from sdm_schema.rdf.mapping import Context
    from sdm_schema.rdf.terms import Triple
    from sdm_schema.rdf.triples import Node, Triples

#: The vocabulary terms the rules write, made once (each is written for
#: every dataset: an IRI built per triple cost its concatenation and hash).
_ADMS_Identifier = IRI(ADMS + "Identifier")
_ADMS_identifier = IRI(ADMS + "identifier")
_ADMS_schemaAgency = IRI(ADMS + "schemaAgency")
_CV_Cost = IRI(CV + "Cost")
_CV_currency = IRI(CV + "currency")
_CV_hasCost = IRI(CV + "hasCost")
_CV_hasValue = IRI(CV + "hasValue")
_DCAT_Distribution = IRI(DCAT + "Distribution")
_DCAT_accessURL = IRI(DCAT + "accessURL")
_DCAT_contactPoint = IRI(DCAT + "contactPoint")
_DCAT_distribution = IRI(DCAT + "distribution")
_DCAT_downloadURL = IRI(DCAT + "downloadURL")
_DCAT_hadRole = IRI(DCAT + "hadRole")
_DCAT_mediaType = IRI(DCAT + "mediaType")
_DCT_LicenseDocument = IRI(DCT + "LicenseDocument")
_DCT_LinguisticSystem = IRI(DCT + "LinguisticSystem")
_DCT_MediaType = IRI(DCT + "MediaType")
_DCT_MediaTypeOrExtent = IRI(DCT + "MediaTypeOrExtent")
_DCT_accessRights = IRI(DCT + "accessRights")
_DCT_description = IRI(DCT + "description")
_DCT_format = IRI(DCT + "format")
_DCT_identifier = IRI(DCT + "identifier")
_DCT_issued = IRI(DCT + "issued")
_DCT_language = IRI(DCT + "language")
_DCT_license = IRI(DCT + "license")
_DCT_modified = IRI(DCT + "modified")
_DCT_publisher = IRI(DCT + "publisher")
_DCT_source = IRI(DCT + "source")
_FOAF_Agent = IRI(FOAF + "Agent")
_FOAF_Organization = IRI(FOAF + "Organization")
_FOAF_name = IRI(FOAF + "name")
_PROV_Attribution = IRI(PROV + "Attribution")
_PROV_Entity = IRI(PROV + "Entity")
_PROV_agent = IRI(PROV + "agent")
_PROV_qualifiedAttribution = IRI(PROV + "qualifiedAttribution")
_PROV_wasAttributedTo = IRI(PROV + "wasAttributedTo")
_PROV_wasDerivedFrom = IRI(PROV + "wasDerivedFrom")
_RDFS_label = IRI(RDFS + "label")
_SKOS_notation = IRI(SKOS + "notation")
_VCARD_Kind = IRI(VCARD + "Kind")
_VCARD_fn = IRI(VCARD + "fn")
_VCARD_hasEmail = IRI(VCARD + "hasEmail")
_VCARD_hasTelephone = IRI(VCARD + "hasTelephone")

#: Fields written with a standard term (`dcat` in sdm_dataset.yaml), by the
#: kind-driven ValueRule.
STANDARD_TERMS = {name: IRI(expand(curie)) for name, curie in role_values("dcat").items()}


class ResourceCodeRule(ValueRule):
    """dct:identifier: taken as the resource code only when it is one, since
    other catalogues put UUIDs or local ids there."""

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        for value in sorted_objects(triples, subject, self.predicate):
            try:
                out[self.name] = validation.resource_code(str(value), self.field, out, None)
                return
            except validation.Invalid:
                continue


class AccessRightsRule(Rule):
    """dct:accessRights from the open attribute, as an EU access right.

    Deferred data is RESTRICTED until its embargo ends, whatever its open
    attribute.  The exact SDM code travels in sdm:openAttribute; a source
    without it gets its open attribute from the access right.
    """

    predicate = _DCT_accessRights

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        code = record.get("open_attribute") or "unconditional"
        if ctx.decision.reason == disclosure.DEFERRED:
            code = "conditional"
        yield subject, self.predicate, code_iri("open_attribute", code, True)

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        if "open_attribute" not in out:
            value = field_value(dataset_field("open_attribute"), sorted_objects(triples, subject, self.predicate))
            if value:
                out["open_attribute"] = value


class LanguageRule(Rule):
    """dct:language: the languages the title and description are written in."""

    predicate = _DCT_language
    code_lists = ("language",)

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        tags = {
            tag
            for name in ("title_translated", "notes_translated")
            for tag, text in (record.get(name) or {}).items()
            if text
        }
        for tag in sorted(tags - {lang.UNDETERMINED}):
            if tag in codelist("language"):
                yield subject, self.predicate, code_iri("language", tag, ctx.profile.eu_codes)
            else:
                language = language_iri(tag)
                if language:
                    yield subject, self.predicate, language
                    yield language, TYPE, _DCT_LinguisticSystem


def language_iri(tag: str) -> IRI | None:
    """A language outside the code list by its ISO 639 IRI at the Library of
    Congress (the language subtag of the BCP 47 tag); None if it has none."""
    primary = tag.split("-")[0]
    if len(primary) == 2:
        return IRI(f"http://id.loc.gov/vocabulary/iso639-1/{primary}")
    if len(primary) == 3:
        return IRI(f"http://id.loc.gov/vocabulary/iso639-2/{primary}")
    return None


def licence_triples(subject: IRI, given: str | None, url: str | None, node: IRI) -> list:
    """dct:license for a licence as given: its IRI when the licence is known
    or is one, else a licence document labelled with the text as it came."""
    found = licences.licence_iri(given, url)
    if found:
        licence = iri(found)
    elif given:
        licence = node
    else:
        return []
    out = [(subject, _DCT_license, licence), (licence, TYPE, _DCT_LicenseDocument)]
    if not found:
        out.append((licence, _RDFS_label, text_literal(str(given))))
    return out


def read_licence(triples: Triples, node: Node) -> str | None:
    """The licence of a node as the catalogue keeps it: a known id, the IRI,
    or the label of a licence document without one; None if there is none."""
    for licence in sorted_objects(triples, node, DCT + "license"):
        if isinstance(licence, Literal):
            return licences.licence_id(str(licence))
        if str(licence).startswith(("http://", "https://", "urn:")):
            return licences.licence_id(str(licence))
        label = _label(triples, licence)
        if label:
            return licences.licence_id(label)
    return None


def _label(triples: Triples, node: Node) -> str | None:
    for predicate in (RDFS + "label", SKOS + "prefLabel", DCT + "title", RDF + "value"):
        value = triples.value(node, predicate)
        if value is not None:
            return str(value)
    return None


class LicenceRule(Rule):
    """dct:license of the dataset; when the dataset gives none, the licence
    its distributions share (where DCAT-AP puts it)."""

    fields = ("license_id",)
    predicate = _DCT_license

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        yield from licence_triples(subject, record.get("license_id"), record.get("license_url"), ctx.node("licence"))

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        found = read_licence(triples, subject)
        if found is None:
            given = {read_licence(triples, d) for d in triples.objects(subject, DCAT + "distribution")}
            given.discard(None)
            found = given.pop() if len(given) == 1 else None
        if found is not None:
            out["license_id"] = found


def _names(triples: Triples, node: Node, predicate: str) -> dict:
    return {literal_lang(o): str(o) for o in sorted_objects(triples, node, predicate) if isinstance(o, Literal)}


class PublisherRule(Rule):
    """dct:publisher: the responsible unit (the CKAN organisation).

    Its IRI is its page in the catalogue; its unified social credit code is
    its dct:identifier.  `organization` may carry title_translated and uscc
    (organization_show) or only CKAN's core title.
    """

    fields = ("owner_org",)
    predicate = _DCT_publisher

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        unit = unit_node(record, ctx.base_url)
        if unit is None:
            return
        agent, names, org = unit
        yield subject, self.predicate, agent
        yield agent, TYPE, _FOAF_Agent
        yield agent, TYPE, _FOAF_Organization
        for name in names:
            yield agent, _FOAF_name, name
        yield from unit_identifier(agent, org.get("uscc"))

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        agents = sorted_objects(triples, subject, self.predicate)
        if not agents:
            return
        agent = agents[0]
        head, sep, tail = str(agent).rpartition("/organization/")
        if sep and tail:
            out["owner_org"] = tail
        out["organization"] = read_unit(triples, agent)


_USCC_AGENCY = "USCC"


def unit_identifier(agent: IRI, code: str | None) -> Iterator[Triple]:
    """A unit's unified social credit code, as dct:identifier and as an
    adms:identifier node, the two places DCAT-AP readers look."""
    if not code:
        return
    yield agent, _DCT_identifier, Literal(code)
    node = IRI(f"{agent}#uscc") if "#" not in str(agent) else IRI(f"{agent}-uscc")
    yield agent, _ADMS_identifier, node
    yield node, TYPE, _ADMS_Identifier
    yield node, _SKOS_notation, Literal(code)
    yield node, _ADMS_schemaAgency, Literal(_USCC_AGENCY)


def read_unit(triples: Triples, agent: Node) -> dict:
    """{title_translated, uscc} of an agent; the code from dct:identifier,
    else from an adms:identifier whose notation is a valid code."""
    unit = {"title_translated": _names(triples, agent, FOAF + "name")}
    candidates = [str(v) for v in sorted_objects(triples, agent, DCT + "identifier")]
    for node in sorted_objects(triples, agent, ADMS + "identifier"):
        notation = triples.value(node, SKOS + "notation")
        candidates.append(str(notation if notation is not None else node))
    for code in candidates:
        try:
            unit["uscc"] = validation.uscc(code.strip(), dataset_field("owner_org"), {}, None)
            break
        except validation.Invalid:
            continue
    else:
        if candidates:  # not a valid code: passed on, so validation names it
            unit["uscc"] = candidates[0].strip()
    return unit


class ProvenanceRule(Rule):
    """Each harvest that brought the dataset here, as a prov:Entity the
    dataset was derived from: the record's identifier in the catalogue read
    (dct:identifier), that catalogue (dct:source) and the harvesting unit
    (prov:wasAttributedTo, with its code and names).  Node IRIs come from the
    hop itself, so every level writes the same nodes for the same hops."""

    fields = ("provenance",)
    predicate = _PROV_wasDerivedFrom

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for hop in record.get("provenance") or ():
            key = "\n".join((hop["catalogue"], hop["record"], hop["unit"]["uscc"]))
            node = ctx.node("harvest-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16])
            agent = IRI(f"{node}-unit")
            yield subject, self.predicate, node
            yield node, TYPE, _PROV_Entity
            yield node, _DCT_identifier, Literal(hop["record"])
            yield node, _DCT_source, iri(hop["catalogue"])
            yield node, _PROV_wasAttributedTo, agent
            yield agent, TYPE, _FOAF_Organization
            for name in translated_literals(hop["unit"].get("title_translated")):
                yield agent, _FOAF_name, name
            yield from unit_identifier(agent, hop["unit"]["uscc"])

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        hops = []
        for node in sorted_objects(triples, subject, self.predicate):
            record, catalogue = triples.value(node, DCT + "identifier"), triples.value(node, DCT + "source")
            agent = triples.value(node, PROV + "wasAttributedTo")
            if record is None or catalogue is None or agent is None:
                continue  # a derivation from elsewhere, not one of our hops
            hops.append({"catalogue": str(catalogue), "record": str(record), "unit": read_unit(triples, agent)})
        if hops:
            out["provenance"] = hops


class ProviderRule(Rule):
    """The providing department, as a qualified attribution in the SDM role."""

    fields = ("provider_unit",)
    predicate = _PROV_qualifiedAttribution
    role = vocabulary.extra("provider")

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        names = list(translated_literals(record.get("provider_unit")))
        if not names:
            return
        attribution, agent = ctx.node("provider"), ctx.node("provider-agent")
        yield subject, self.predicate, attribution
        yield attribution, TYPE, _PROV_Attribution
        yield attribution, _DCAT_hadRole, self.role
        yield attribution, _PROV_agent, agent
        yield agent, TYPE, _FOAF_Agent
        for name in names:
            yield agent, _FOAF_name, name

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        for attribution in sorted_objects(triples, subject, self.predicate):
            if self.role in triples.objects(attribution, DCAT + "hadRole"):
                for agent in sorted_objects(triples, attribution, PROV + "agent"):
                    names = _names(triples, agent, FOAF + "name")
                    if names:
                        out["provider_unit"] = names
                        return


class ContactRule(Rule):
    fields = ("contact_name", "contact_email", "contact_phone")
    predicate = _DCAT_contactPoint

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        name, email, phone = (record.get(f) for f in self.fields)
        if not (name or email or phone):
            return
        contact = ctx.node("contact")
        yield subject, self.predicate, contact
        yield contact, TYPE, _VCARD_Kind
        if name:
            yield contact, _VCARD_fn, text_literal(name)
        if email:
            yield contact, _VCARD_hasEmail, iri("mailto:" + email)
        if phone:
            yield contact, _VCARD_hasTelephone, iri("tel:" + phone)

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        for contact in sorted_objects(triples, subject, self.predicate):
            for key, predicate, scheme in (
                ("contact_name", VCARD + "fn", ""),
                ("contact_email", VCARD + "hasEmail", "mailto:"),
                ("contact_phone", VCARD + "hasTelephone", "tel:"),
            ):
                for value in sorted_objects(triples, contact, predicate):
                    # vCard allows a node whose vcard:hasValue holds the IRI
                    value = triples.value(value, VCARD + "hasValue") or value
                    text = _contact_value(value, scheme)
                    if text is None:
                        # a relative address the parser resolved against the
                        # source's own URL: never an address of the contact
                        flag(out, key, "not a mailto: or tel: address", str(value))
                        continue
                    out[key] = text
                    break
            return


def _contact_value(value: Node, scheme: str) -> str | None:
    """An IRI value without its scheme, a literal as it is; None for an
    IRI in another scheme (file:, http: …)."""
    text = unquote(str(value)).strip()
    if not scheme or isinstance(value, Literal):
        return text[len(scheme) :] if scheme and text.lower().startswith(scheme) else text
    if text.lower().startswith(scheme):
        return text[len(scheme) :]
    return None


class IdentifierRule(Rule):
    """CSTR and DOI as typed adms:identifier nodes.

    Read back by their form (CSTR:… or 10.…/…), so identifiers that other
    catalogues write the same way are recognised too.
    """

    fields = ("cstr", "doi")
    predicate = _ADMS_identifier
    agencies = {"cstr": "CSTR", "doi": "DOI"}

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for name in self.fields:
            if record.get(name):
                node = ctx.node(name)
                yield subject, self.predicate, node
                yield node, TYPE, _ADMS_Identifier
                yield node, _SKOS_notation, Literal(str(record[name]))
                yield node, _ADMS_schemaAgency, Literal(self.agencies[name])

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        for node in sorted_objects(triples, subject, self.predicate):
            notation = triples.value(node, SKOS + "notation")
            found = identifiers.recognise(notation if notation is not None else node)
            if found:
                out.setdefault(*found)


class FeeRule(Rule):
    """Fee items as CPSV-AP costs (cv:hasCost), the one EU vocabulary for a
    price with a currency; unit and condition in the SDM vocabulary."""

    fields = ("fee_items",)
    predicate = _CV_hasCost
    unit, condition = vocabulary.extra("feeUnit"), vocabulary.extra("feeCondition")

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for index, item in enumerate(record.get("fee_items") or (), start=1):
            cost = ctx.node(f"fee-{index}")
            yield subject, self.predicate, cost
            yield cost, TYPE, _CV_Cost
            yield cost, _CV_hasValue, Literal(str(item["amount"]), datatype=XSD_DECIMAL)
            yield cost, _CV_currency, IRI(EU_CURRENCY + item.get("currency", "CNY"))
            for name in translated_literals(item.get("name_translated")):
                yield cost, _DCT_description, name
            if item.get("unit"):
                yield cost, self.unit, text_literal(item["unit"])
            if item.get("condition"):
                yield cost, self.condition, text_literal(item["condition"])

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        items = []
        costs = sorted(triples.objects(subject, self.predicate), key=lambda n: (len(str(n)), str(n)))
        for cost in costs:
            amount = triples.value(cost, CV + "hasValue")
            if amount is None:
                continue
            currency = triples.value(cost, CV + "currency")
            item = {
                "name_translated": _names(triples, cost, DCT + "description"),
                "amount": str(amount),
                "currency": str(currency).rsplit("/", 1)[-1] if currency else "CNY",
            }
            for key, predicate in (("unit", self.unit), ("condition", self.condition)):
                value = triples.value(cost, predicate)
                if value is not None:
                    item[key] = str(value)
            items.append(item)
        if items:
            out["fee_items"] = items


_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?$")
_DATE_TYPES = (
    (_DATETIME, XSD_DATETIME),
    (re.compile(r"^\d{4}-\d\d-\d\d$"), XSD_DATE),
    (re.compile(r"^\d{4}-\d\d$"), XSD + "gYearMonth"),
    (re.compile(r"^\d{4}$"), XSD + "gYear"),
)


def date_literal(value: object) -> Literal:
    """A date as the source gave it, typed by its precision; untyped when
    it is in no XSD form (2023年5月)."""
    text = str(value).strip()
    for pattern, datatype in _DATE_TYPES:
        if pattern.match(text):
            return Literal(text, datatype=datatype)
    return Literal(text)


class DatesRule(Rule):
    """When the dataset was issued and last changed: the source's own dates
    for a harvested record (the store keeps its harvest times apart)."""

    terms = {"metadata_created": _DCT_issued, "metadata_modified": _DCT_modified}

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for key, predicate in self.terms.items():
            if record.get(key):
                yield subject, predicate, date_literal(record[key])

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        for key, predicate in self.terms.items():
            value = triples.value(subject, predicate)
            if value is not None:
                out[key] = str(value)


class DistributionRule(Rule):
    """Resources as distributions.  The record has already been through the
    disclosure policy: when files are withheld it has no resources left."""

    predicate = _DCAT_distribution

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        for index, resource in enumerate(record.get("resources") or (), start=1):
            if resource.get("uri"):
                node = iri(resource["uri"])
            else:
                node = ctx.node(f"distribution-{resource.get('id') or index}")
            yield subject, self.predicate, node
            yield node, TYPE, _DCAT_Distribution
            if resource.get("url"):
                url = iri(resource["url"])
                yield node, _DCAT_accessURL, url
                yield node, _DCAT_downloadURL, url
            for key, predicate in (("name", DCT + "title"), ("description", DCT + "description")):
                if resource.get(key):
                    yield node, IRI(predicate), text_literal(resource[key])
            yield from _format_triples(node, resource, ctx, index)
            yield from licence_triples(node, resource.get("license"), None, ctx.node(f"licence-{index}"))

    def read(self, triples: Triples, subject: Node, out: dict) -> None:
        resources = []
        nodes = sorted(triples.objects(subject, self.predicate), key=lambda n: (len(str(n)), str(n)))
        for node in nodes:
            resource = {}
            url = triples.value(node, DCAT + "downloadURL") or triples.value(node, DCAT + "accessURL")
            if url is not None:
                resource["url"] = str(url)
            for key, predicate in (("name", DCT + "title"), ("description", DCT + "description")):
                value = triples.value(node, predicate)
                if value is not None:
                    resource[key] = str(value)
            resource.update(_read_format(triples, node))
            licence = read_licence(triples, node)
            if licence is not None:
                resource["license"] = licence
            if resource:
                resources.append(resource)
        out["resources"] = resources


def _format_triples(node: IRI, resource: Mapping, ctx: Context, index: int) -> Iterator[Triple]:
    """dct:format as an EU file type and dcat:mediaType as an IANA media
    type when the table knows the value; otherwise as given (an IRI stays
    that IRI, text labels a format node), never an invented IRI."""
    fmt, media = resource.get("format"), resource.get("mimetype")
    known = file_types.lookup(fmt) or file_types.lookup(media)
    if fmt:
        if known and known.get("eu"):
            target = IRI(file_types.eu_iri(known))
        elif str(fmt).startswith(("http://", "https://")):
            target = iri(fmt)
        else:
            target = ctx.node(f"format-{resource.get('id') or index}")
            yield target, _RDFS_label, Literal(str(fmt))
        yield node, _DCT_format, target
        yield target, TYPE, _DCT_MediaTypeOrExtent
    if media and file_types.is_media_type(media):
        target = IRI(file_types.iana_iri(media))
        yield node, _DCAT_mediaType, target
        yield target, TYPE, _DCT_MediaType


def _read_format(triples: Triples, node: Node) -> dict:
    """format and mimetype of a distribution: an EU file type by its code, a
    format node (datos.gob.es's dct:IMT) by its label and rdf:value, any
    other IRI or text as given."""
    out = {}
    fmt = triples.value(node, DCT + "format")
    if isinstance(fmt, Literal):
        out["format"] = str(fmt)
    elif fmt is not None:
        text = file_types.code_of_iri(str(fmt)) or _label(triples, fmt)
        if text is None and isinstance(fmt, IRI):
            text = str(fmt)
        if text:
            out["format"] = text
        value = triples.value(fmt, RDF + "value")
        if value is not None and file_types.is_media_type(str(value)):
            out["mimetype"] = str(value)
    media = triples.value(node, DCAT + "mediaType")
    if media is not None:
        out["mimetype"] = file_types.media_type_of(str(media))
    return out


class QualityFlagsRule(Rule):
    """Quality notes are for a dataset's editors: no feed carries them."""

    fields = ("quality_flags",)
    published = False

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        return iter(())


#: Fields with a rule of their own, and fields CKAN derives from others.
_SPECIAL = {
    name
    for rule in (
        LicenceRule,
        PublisherRule,
        ProviderRule,
        ContactRule,
        IdentifierRule,
        FeeRule,
        ProvenanceRule,
        QualityFlagsRule,
    )
    for name in rule.fields
}
_SPECIAL.add("resource_code")


def sdm_term_fields() -> list:
    """The fields the SDM vocabulary has a property for."""
    return [
        f.name for f in dataset_fields() if f.name not in STANDARD_TERMS and f.name not in _SPECIAL and not f.from_field
    ]


def rules() -> tuple:
    """Every DCAT rule, in the order a dataset's triples are written."""
    return (
        *(ValueRule(name, predicate) for name, predicate in STANDARD_TERMS.items()),
        ResourceCodeRule("resource_code", _DCT_identifier),
        *(ValueRule(name, vocabulary.term(name)) for name in sdm_term_fields()),
        AccessRightsRule(),
        LanguageRule(),
        LicenceRule(),
        PublisherRule(),
        ProviderRule(),
        ContactRule(),
        IdentifierRule(),
        FeeRule(),
        ProvenanceRule(),
        DatesRule(),
        DistributionRule(),
        QualityFlagsRule(),
    )
