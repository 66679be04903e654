"""What the three SDM profiles for ckanext-dcat share.

A profile here adds nothing of its own to the graph: it hands the dataset to
the one mapping in sdm_schema.rdf (which asks sdm_schema.disclosure first)
and turns the neutral triples into rdflib terms.  Parsing, for
ckanext-dcat's RDF harvester, goes through the same rules.

CKAN's own pages (/catalog.*, /dataset/<id>.*) do not come through here
when one SDM profile writes them: profiles/stream.py writes the same
triples (`ckan_record`, `described_codes`, `catalog_info`, shared below)
straight to text with the publisher's writers.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Iterable, Mapping

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy
from ckanext.dcat.profiles import RDFProfile

from sdm_harvester import units
from sdm_schema import dataset_field, lang, validation
from sdm_schema.rdf import mapping, parse
from sdm_schema.rdf.terms import IRI, to_rdflib
from sdm_schema.rdf.triples import Triples

if TYPE_CHECKING:
    import rdflib

    from sdm_schema.rdf.terms import Triple

log = logging.getLogger(__name__)

_DESCRIPTIONS: dict = {}
#: ckanext-dcat's parser hands each dataset of a document to a new profile
#: over the same graph: index the graph once, not once per dataset.
_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _indexed(graph: rdflib.Graph) -> Triples:
    """The rules read a parse.Triples index, not an rdflib graph.  A graph
    that grew since (RDFParser.parse called again) is indexed again."""
    size, triples = _INDEXES.get(graph, (None, None))
    if size != len(graph):
        triples = parse.load_triples(graph.serialize(format="nt"), "nt")
        _INDEXES[graph] = (len(graph), triples)
    return triples


def _descriptions(profile: mapping.Profile) -> dict:
    """The code-list triples by subject, to describe the codes a dataset uses."""
    if profile.name not in _DESCRIPTIONS:
        out: dict = {}
        for triple in mapping.page_vocabulary(profile):
            out.setdefault(triple[0], []).append(triple)
        _DESCRIPTIONS[profile.name] = out
    return _DESCRIPTIONS[profile.name]


def used_codes(triples: Iterable[Triple], profile: mapping.Profile) -> set:
    """The code IRIs among the objects of `triples` that the profile describes."""
    descriptions = _descriptions(profile)
    return {o for _s, _p, o in triples if o in descriptions}


def described_codes(codes: Iterable[IRI], profile: mapping.Profile) -> list:
    """The SKOS descriptions of `codes`, in a stable order."""
    descriptions = _descriptions(profile)
    return [triple for code in sorted(codes) for triple in descriptions[code]]


class Units:
    """The responsible units of a page, each asked for once.

    organization_show, because package_show's organization lacks the
    scheming fields (title_translated, uscc); a page of a hundred datasets
    of one unit asks once, not a hundred times.  Without the unit's users,
    groups, tags, followers and dataset count (a Solr query), which no
    profile writes: 3 ms a unit instead of 30.
    """

    _WITHOUT = {
        f"include_{part}": False
        for part in ("datasets", "dataset_count", "users", "groups", "tags", "followers", "member_count")
    }

    def __init__(self) -> None:
        self._found: dict = {}

    def __call__(self, org_id: str) -> dict | None:
        if org_id not in self._found:
            try:
                self._found[org_id] = tk.get_action("organization_show")(
                    {"ignore_auth": True}, {"id": org_id, **self._WITHOUT}
                )
            except tk.ObjectNotFound:
                self._found[org_id] = None
        return self._found[org_id]


def ckan_record(dataset_dict: Mapping, dataset_ref: str, units: Units) -> dict:
    """The record the mapping writes for a CKAN dataset dict: its unit in
    full, its IRI the one ckanext-dcat gives it."""
    record = dict(dataset_dict)
    if record.get("owner_org"):
        record["organization"] = units(record["owner_org"]) or record.get("organization")
    record.setdefault("uri", str(dataset_ref))
    return record


def catalog_info(catalog_dict: Mapping | None, catalog_ref: str) -> dict:
    """sdm_schema.rdf.catalog's description of CKAN's catalogue."""
    site = tk.config["ckan.site_url"].rstrip("/")
    register = tk.config.get("ckanext.sdm.authorisations.register_url") or f"{site}/authorisations"
    info = {"base_url": tk.config["ckan.site_url"], "uri": str(catalog_ref), "register": register}
    site_title = (catalog_dict or {}).get("title") or tk.config.get("ckan.site_title")
    if site_title:
        info["title"] = {lang.detect(site_title): site_title}
    return info


def local_unit(unit: Mapping) -> str | None:
    """This site's organisation for a harvested record's responsible unit,
    keyed by its USCC as sdm-harvest's CKAN target keys it, and created
    (as that target does) when missing: the unit is the record's, whoever
    harvests it (sdm_harvester.units).  None for a unit without a valid code
    or one that cannot be created: the harvest source's organisation stands
    in, as ckanext-dcat's harvester has it."""
    try:
        code = validation.uscc(str(unit.get("uscc") or "").strip().upper(), dataset_field("owner_org"), {}, None)
    except validation.Invalid:
        return None
    found = (
        model.Session.query(model.Group.id)
        .join(model.GroupExtra, model.GroupExtra.group_id == model.Group.id)
        .filter(model.Group.is_organization.is_(True), model.Group.state == "active")
        .filter(model.GroupExtra.key == "uscc", sqlalchemy.func.upper(model.GroupExtra.value) == code)
        .first()
    )
    if found:
        return found[0]
    org = units.organization(code, unit.get("title_translated") or {})
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    try:
        created = tk.get_action("organization_create")(
            {"user": site_user["name"], "ignore_auth": True},
            {key: org[key] for key in ("name", "title_translated", "uscc")},
        )
    except tk.ValidationError as error:
        log.warning("harvested unit %s not created: %s", code, error.error_dict)
        return None
    return created["id"]


class SdmProfile(RDFProfile):
    """Base of the SDM profiles: `profile` names the sdm_schema.rdf profile."""

    profile: mapping.Profile

    def _add(self, triples: Iterable[Triple]) -> None:
        for s, p, o in triples:
            self.g.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))

    def graph_from_dataset(self, dataset_dict: dict, dataset_ref: str) -> None:
        record = ckan_record(dataset_dict, dataset_ref, Units())
        subject, triples = mapping.dataset_triples(record, self.profile, tk.config["ckan.site_url"])
        if subject is None:
            return
        for prefix, namespace in self.profile.prefixes.items():
            self.g.bind(prefix, namespace)
        self._add(triples)
        self._add(described_codes(used_codes(triples, self.profile), self.profile))

    def graph_from_catalog(self, catalog_dict: dict | None, catalog_ref: str) -> None:
        self._add(self.profile.catalog(catalog_info(catalog_dict, catalog_ref)))

    def parse_dataset(self, dataset_dict: dict, dataset_ref: str) -> dict:
        """The dataset as our harvester reads it (its IRI as `uri`, the
        harvester's guid), owned by its responsible unit here."""
        dataset_dict.update(parse.dataset(_indexed(self.g), IRI(str(dataset_ref)), self.profile.rules))
        dataset_dict.pop("owner_org", None)  # the unit's name on the source site
        if dataset_dict.get("organization"):
            dataset_dict["owner_org"] = local_unit(dataset_dict.pop("organization"))
        # ckanext-dcat's RDF harvester files its guid among core CKAN's extras
        dataset_dict.setdefault("extras", [])
        return dataset_dict
