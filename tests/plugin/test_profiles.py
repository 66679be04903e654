"""The SDM profiles inside real CKAN: ckanext-dcat's serializer and parser
with sdm_national / sdm_dcat_ap3 / sdm_schemaorg, through the one mapping;
and CKAN's pages written by the streaming path (profiles/stream.py), which
must give the graph ckanext-dcat's serializer gives with the same profile."""

import os

import pyshacl
import pytest
import rdflib
from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFParser, RDFSerializer
from rdflib.compare import isomorphic

from ckanext.sdm.profiles import base, stream
from sdm_schema import rdf as sdm_rdf

DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


def _graph(profile, dataset):
    serializer = RDFSerializer(profiles=[profile])
    return rdflib.Graph().parse(data=serializer.serialize_dataset(dataset, _format="turtle"), format="turtle")


def test_national_profile_round_trips_through_ckan(full_dataset, create_dataset, responsible_unit):
    shown = call_action("package_show", id=create_dataset(**full_dataset)["id"])
    serializer = RDFSerializer(profiles=["sdm_national"])
    parser = RDFParser(profiles=["sdm_national"])
    parser.parse(serializer.serialize_dataset(shown, _format="turtle"), _format="turtle")
    [parsed] = list(parser.datasets())
    for key in (
        "title_translated",
        "notes_translated",
        "discipline",
        "embargo_until",
        "fee_items",
        "cstr",
        "doi",
        "provider_unit",
        "open_audience",
    ):
        assert parsed[key] == shown[key], key
    # the unit comes back as this site's organisation of its USCC (parse_dataset)
    assert parsed["owner_org"] == responsible_unit["id"] and "organization" not in parsed


def test_classified_dataset_gives_an_empty_graph(full_dataset, create_dataset):
    # CKAN refuses to register classified data, so the dict that reaches the
    # serializer is made classified afterwards: the profiles must not rely on it
    shown = dict(create_dataset(**full_dataset), secrecy="classified", secrecy_level="secret", secrecy_period_years=10)
    for profile in ("sdm_national", "sdm_dcat_ap3", "sdm_schemaorg"):
        assert len(_graph(profile, shown)) == 0, profile


def test_international_profile_withholds_conditional_files(full_dataset, create_dataset):
    shown = create_dataset(**dict(full_dataset, name="conditional-one", disclosure="public"))
    graph = _graph("sdm_dcat_ap3", shown)
    assert (None, DCT.title, None) in graph
    assert (None, DCAT.distribution, None) not in graph
    assert full_dataset["resources"][0]["url"] not in graph.serialize(format="nt")


# -- CKAN's pages through the streaming writers (profiles/stream.py) ----------

OPEN = {"open_attribute": "unconditional", "disclosure": "public"}
RDFLIB_FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}
# the DCAT-AP shapes test_shacl.py reads; they are moving from tests/shacl
# into the package (sdm_schema/rdf/shacl)
SHAPES = next(
    p
    for p in (
        os.path.join(os.path.dirname(sdm_rdf.__file__), "shacl"),
        os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shacl"),
    )
    if os.path.isdir(p)
)
PAGING = {
    "count": 7,
    "items_per_page": 3,
    "current": "http://test.ckan.net/catalog.ttl?page=2",
    "first": "http://test.ckan.net/catalog.ttl?page=1",
    "last": "http://test.ckan.net/catalog.ttl?page=3",
    "previous": "http://test.ckan.net/catalog.ttl?page=1",
    "next": "http://test.ckan.net/catalog.ttl?page=3",
}


@pytest.fixture
def fixture_catalogue(full_dataset, create_dataset):
    """The full example as it is (conditional, deferred), open, and Chinese only."""
    made = [
        create_dataset(**full_dataset),
        create_dataset(**dict(full_dataset, name="open-one", **OPEN)),
        create_dataset(
            **dict(
                full_dataset,
                name="zh-only",
                title_translated={"zh-Hans": "仅中文"},
                notes_translated={},
                keywords_translated={"zh-Hans": ["气象"]},
                **OPEN,
            )
        ),
    ]
    return [call_action("package_show", id=d["id"]) for d in made]


def _parsed(text, fmt):
    return rdflib.Graph().parse(data=text, format=RDFLIB_FORMATS[fmt])


@pytest.mark.parametrize("profile", sorted(stream.PROFILES))
def test_streamed_catalogue_is_the_graph_ckanext_dcat_writes(fixture_catalogue, profile):
    for fmt in ("ttl", "rdf", "jsonld", "nt"):
        stock = RDFSerializer(profiles=[profile]).serialize_catalog(
            {}, fixture_catalogue, _format=fmt, pagination_info=PAGING
        )
        ours = stream.catalog_page(stream.PROFILES[profile], fixture_catalogue, fmt, PAGING)
        assert isomorphic(_parsed(ours, fmt), _parsed(stock, fmt)), (profile, fmt)
        assert len(_parsed(ours, fmt)) > 100
    dataset = fixture_catalogue[1]
    stock = RDFSerializer(profiles=[profile]).serialize_dataset(dataset, _format="ttl")
    assert isomorphic(
        _parsed(stream.dataset_page(stream.PROFILES[profile], dataset, "ttl"), "ttl"), _parsed(stock, "ttl")
    )


def test_streamed_international_catalogue_conforms_to_dcat_ap(fixture_catalogue):
    shapes = rdflib.Graph()
    for name in ("shapes.ttl", "range.ttl"):
        shapes.parse(os.path.join(SHAPES, name))
    page = stream.catalog_page(stream.PROFILES["sdm_dcat_ap3"], fixture_catalogue, "ttl")
    conforms, _graph, text = pyshacl.validate(_parsed(page, "ttl"), shacl_graph=shapes, inference="none")
    assert conforms, text


def test_a_page_asks_for_each_unit_once(fixture_catalogue, monkeypatch):
    asked = []
    real = base.tk.get_action

    def counting(name):
        if name == "organization_show":
            asked.append(name)
        return real(name)

    monkeypatch.setattr(base.tk, "get_action", counting)
    stream.catalog_page(stream.PROFILES["sdm_national"], fixture_catalogue, "ttl")
    assert asked == ["organization_show"]  # three datasets, one unit


def test_only_a_single_sdm_profile_is_streamed(ckan_config, monkeypatch):
    assert stream.streamed_profile(["sdm_national"], "ttl") is stream.PROFILES["sdm_national"]
    assert stream.streamed_profile(["euro_dcat_ap_3"], "ttl") is None
    assert stream.streamed_profile(["sdm_national", "sdm_dcat_ap3"], "ttl") is None
    assert stream.streamed_profile(["sdm_national"], "trig") is None
    monkeypatch.setitem(ckan_config, "ckanext.dcat.expose_subcatalogs", "true")
    assert stream.streamed_profile(["sdm_national"], "ttl") is None
