"""CKAN's DCAT pages for one SDM profile, written like the static feeds.

ckanext-dcat's RDFSerializer fills an rdflib graph for the whole page and
serialises it; for a page of a hundred datasets that took most of the two
seconds a cold /catalog.ttl cost (benchmarks/README.md, feeds).  When a page
is written with one SDM profile, the chained dcat_catalog_show /
dcat_catalog_search / dcat_dataset_show (catalog.py) call `catalog_page` or
`dataset_page` instead: the same triples (the mapping, the units, the code
descriptions of profiles/base.py, ckanext-dcat's catalogue link and hydra
paging) go straight through the publisher's streaming writers
(sdm_schema.rdf.writers), and each unit of the page is asked for once.  The
output is the graph ckanext-dcat's serializer writes with the same profile
(tests/plugin/test_profiles.py checks it is isomorphic).

Anything else — several profiles at once, a stock profile, a format the
writers have no writer for, sub-catalogues — is left to ckanext-dcat.
"""

from __future__ import annotations

import io
from typing import Iterable, Mapping, Sequence

import ckan.plugins.toolkit as tk
from ckanext.dcat.processors import DEFAULT_RDF_PROFILES, RDF_PROFILES_CONFIG_OPTION
from ckanext.dcat.utils import DCAT_EXPOSE_SUBCATALOGS, catalog_uri, dataset_uri

from ckanext.sdm.profiles.base import Units, catalog_info, ckan_record, described_codes, used_codes
from sdm_schema.rdf import dcat_ap3, mapping, national, schemaorg
from sdm_schema.rdf.namespaces import DCAT, HYDRA
from sdm_schema.rdf.terms import IRI, TYPE, XSD_INTEGER, Literal
from sdm_schema.rdf.writers import WRITERS

PROFILES = {p.name: p for p in (national.PROFILE, dcat_ap3.PROFILE, schemaorg.PROFILE)}
#: ckanext-dcat's format names (its routes and url_to_rdflib_format) → our writers.
#: N3 is a superset of Turtle, so a Turtle page is an N3 page.
FORMATS = {"ttl": "ttl", "n3": "ttl", "rdf": "rdf", "xml": "rdf", "jsonld": "jsonld", "nt": "nt"}
_DATASET_LINK = IRI(DCAT + "dataset")
#: ckanext-dcat's paging: hydra:PagedCollection with both generations of
#: predicates, values as rdflib writes them (URLs as plain literals).
_PAGING = (
    ("next", ("nextPage", "next")),
    ("previous", ("previousPage", "previous")),
    ("first", ("firstPage", "first")),
    ("last", ("lastPage", "last")),
    ("count", ("totalItems",)),
    ("items_per_page", ("itemsPerPage",)),
)


def streamed_profile(profiles: Sequence[str] | None, fmt: str | None) -> mapping.Profile | None:
    """The SDM profile that writes this page alone, or None when
    ckanext-dcat's serializer must (see the module docstring)."""
    names = profiles or (tk.config.get(RDF_PROFILES_CONFIG_OPTION) or " ".join(DEFAULT_RDF_PROFILES)).split()
    if len(names) != 1 or names[0] not in PROFILES or (fmt or "xml") not in FORMATS:
        return None
    if tk.asbool(tk.config.get(DCAT_EXPOSE_SUBCATALOGS, False)):
        return None
    return PROFILES[names[0]]


def _prefixes(profile: mapping.Profile) -> dict:
    # the catalogue link is dcat:dataset whatever the profile (ckanext-dcat
    # writes it), and RDF/XML needs a prefix for every predicate
    return {**profile.prefixes, "dcat": DCAT, "hydra": HYDRA}


def paging_triples(info: Mapping) -> list:
    """ckanext-dcat's RDFSerializer._add_pagination_triples, as neutral triples."""
    if not info:
        return []
    # without `current` ckanext-dcat uses a blank node; _pagination_info always sets it
    view = IRI(info["current"])
    out = [(view, TYPE, IRI(HYDRA + "PagedCollection"))]
    for key, names in _PAGING:
        value = info.get(key)
        if not value:
            continue
        term = Literal(str(value), datatype=XSD_INTEGER) if isinstance(value, int) else Literal(str(value))
        out.extend((view, IRI(HYDRA + name), term) for name in names)
    return out


class _Page:
    """One page being written: a writer on a text buffer, the codes used."""

    def __init__(self, profile: mapping.Profile, fmt: str) -> None:
        self.profile = profile
        self.out = io.StringIO()
        self.writer = WRITERS[FORMATS[fmt or "xml"]](self.out, _prefixes(profile))
        self.writer.begin()
        self.units = Units()
        self.codes: set = set()
        self.base_url = tk.config["ckan.site_url"]

    def dataset(self, dataset_dict: Mapping, link_from: IRI | None = None) -> None:
        ref = dataset_uri(dataset_dict)
        record = ckan_record(dataset_dict, ref, self.units)
        subject, triples = mapping.dataset_triples(record, self.profile, self.base_url)
        if subject is None:
            return  # the audience may not see it: not even its IRI
        if link_from is not None:
            triples.append((link_from, _DATASET_LINK, IRI(ref)))
        self.codes |= used_codes(triples, self.profile)
        self.writer.write(triples)

    def text(self, tail: Iterable = ()) -> str:
        self.writer.write(described_codes(self.codes, self.profile) + list(tail))
        self.writer.end()
        return self.out.getvalue()


def catalog_page(
    profile: mapping.Profile, dataset_dicts: Iterable[Mapping], fmt: str, pagination_info: Mapping | None = None
) -> str:
    """serialize_catalog({}, dataset_dicts, fmt, pagination_info) for one SDM profile."""
    catalog = catalog_uri()
    page = _Page(profile, fmt)
    page.writer.write(list(profile.catalog(catalog_info({}, catalog))))
    for dataset_dict in dataset_dicts:
        page.dataset(dataset_dict, link_from=IRI(catalog))
    return page.text(paging_triples(pagination_info or {}))


def dataset_page(profile: mapping.Profile, dataset_dict: Mapping, fmt: str) -> str:
    """serialize_dataset(dataset_dict, fmt) for one SDM profile."""
    page = _Page(profile, fmt)
    page.dataset(dataset_dict)
    return page.text()
