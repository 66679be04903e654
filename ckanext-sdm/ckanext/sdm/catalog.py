"""Which datasets CKAN's DCAT catalogue (ckanext-dcat's /catalog.*) lists,
and in which order, for the audience of the profile it is served in.

ckanext-dcat's serialize_catalog writes `catalog dcat:dataset <iri>` for
every dataset the search hands it, even when the profile writes nothing
else of it, and hydra:totalItems counts them all.  So the search itself
must leave out what the profile's audience may not see: the chained
dcat_catalog_show / dcat_catalog_search mark the audiences in the context,
and access.package_search, which that context reaches, calls
`catalogue_search` to add the exclusions as Solr filters.  The filters
apply whoever asks: a sysadmin's international catalogue is the
international catalogue.

A page written with one SDM profile is then written by profiles/stream.py
(the publisher's streaming writers) rather than by ckanext-dcat's rdflib
serializer; the same chained actions, and dcat_dataset_show, hand it over.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any, Callable, Sequence

import ckan.plugins.toolkit as tk
from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.processors import DEFAULT_RDF_PROFILES, RDF_PROFILES_CONFIG_OPTION

from ckanext.sdm.profiles import stream
from sdm_schema import dataset_fields, disclosure
from sdm_schema.rdf import dcat_ap3, national, schemaorg

if TYPE_CHECKING:
    from sdm_schema.rdf.mapping import Profile

#: ckanext-dcat profile name → the audience it writes for.  Other profiles
#: (ckanext-dcat's own) are served to the public audience.
PROFILE_AUDIENCES = {p.name: p.audience for p in (national.PROFILE, dcat_ap3.PROFILE, schemaorg.PROFILE)}
#: The context key that marks a catalogue search, holding its audiences.
AUDIENCES_KEY = "sdm_catalogue_audiences"
#: The context key asking a catalogue search for these fields only (conditional_get).
FIELDS_KEY = "sdm_catalogue_fields"
#: ckanext-dcat sorts by metadata_modified alone; ties (datasets saved in
#: one transaction, harvested batches) would move between pages.
SORT = "metadata_modified desc, id asc"


def audiences(profiles: Sequence[str] | None) -> tuple:
    """The audiences of the profiles a catalogue is written with: the
    request's `profiles`, else ckanext-dcat's configured default."""
    if not profiles:
        profiles = (tk.config.get(RDF_PROFILES_CONFIG_OPTION) or " ".join(DEFAULT_RDF_PROFILES)).split()
    return tuple(sorted({PROFILE_AUDIENCES.get(name, disclosure.PUBLIC) for name in profiles}))


def _probe(fields: dict, audience: str) -> bool:
    return disclosure.decide(fields, audience).visible


@functools.cache
def hiding_codes(audience: str) -> dict:
    """{code field: codes that alone hide a dataset from the audience},
    found by asking disclosure.decide rather than restating its rules.

    A Solr filter per field can only express a policy in which a dataset
    is hidden when any one field holds a hiding code; that is checked over
    every combination of those fields, so a policy that ever combines
    fields fails loudly here instead of leaking.
    """
    fields = [f for f in dataset_fields() if f.kind_type.coded and not f.kind_type.multivalued]
    hiding = {f.name: [c for c in f.codelist.codes if not _probe({f.name: c}, audience)] for f in fields}
    hiding = {name: codes for name, codes in hiding.items() if codes}
    values = [[(f.name, c) for c in f.codelist.codes] for f in fields if f.name in hiding]
    for combination in itertools.product(*values):
        hidden_by_one = any(code in hiding[name] for name, code in combination)
        if _probe(dict(combination), audience) == hidden_by_one:
            raise RuntimeError(f"the {audience} policy is not one Solr filter per field: {combination}")
    return hiding


def exclusion_filters(audience: str) -> list:
    """Solr fq clauses leaving out what the audience may not see.  CKAN
    indexes each scheming code field as a string under its own name (the
    facets of search.py read the same fields); a record without the field
    is not excluded, as decide() reads a missing field as its harmless
    default."""
    return [
        f"-{name}:({' OR '.join(_quoted(code) for code in codes)})"
        for name, codes in sorted(hiding_codes(audience).items())
    ]


def _quoted(code: str) -> str:
    return '"' + code.replace("\\", "\\\\").replace('"', '\\"') + '"'


def catalogue_search(context: dict, data_dict: dict) -> dict:
    """package_search's parameters for a catalogue search (the context is
    marked); any other search is returned untouched."""
    marked = context.get(AUDIENCES_KEY)
    if marked is None:
        return data_dict
    fq_list = list(data_dict.get("fq_list") or [])
    for audience in marked:
        fq_list.extend(f for f in exclusion_filters(audience) if f not in fq_list)
    data_dict = dict(data_dict, fq_list=fq_list, sort=SORT)
    if context.get(FIELDS_KEY):
        data_dict["fl"] = context[FIELDS_KEY]
    return data_dict


def mark(context: dict, profiles: Sequence[str] | None) -> dict:
    """The context of a catalogue search for these profiles."""
    context[AUDIENCES_KEY] = audiences(profiles)
    return context


def _catalog_page(name: str, profile: Profile, context: dict, data_dict: dict) -> str:
    """ckanext-dcat's dcat_catalog_show / _search, written by the streaming path."""
    tk.check_access(name, context, data_dict)
    query = dcat_logic._search_ckan_datasets(context, data_dict)
    return stream.catalog_page(
        profile, query["results"], data_dict.get("format"), dcat_logic._pagination_info(query, data_dict)
    )


def _for_audience(name: str) -> Callable:
    @tk.chained_action
    @tk.side_effect_free
    def action(next_action: Callable, context: dict, data_dict: dict | None) -> Any:
        data_dict = data_dict or {}
        context = mark(context, data_dict.get("profiles"))
        profile = stream.streamed_profile(data_dict.get("profiles"), data_dict.get("format"))
        if profile is None:
            return next_action(context, data_dict)
        return _catalog_page(name, profile, context, data_dict)

    action.__name__ = name
    return action


@tk.chained_action
def dcat_dataset_show(next_action: Callable, context: dict, data_dict: dict) -> Any:
    """One dataset's RDF page; by the streaming path for one SDM profile."""
    profile = stream.streamed_profile(data_dict.get("profiles"), data_dict.get("format"))
    if profile is None:
        return next_action(context, data_dict)
    tk.check_access("dcat_dataset_show", context, data_dict)
    dataset = tk.get_action("package_show")(context, data_dict)
    return stream.dataset_page(profile, dataset, data_dict.get("format"))


ACTIONS = {name: _for_audience(name) for name in ("dcat_catalog_show", "dcat_catalog_search")}
ACTIONS["dcat_dataset_show"] = dcat_dataset_show
