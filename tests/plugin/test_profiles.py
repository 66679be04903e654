"""The SDM profiles inside real CKAN: ckanext-dcat's serializer and parser
with sdm_national / sdm_dcat_ap3 / sdm_schemaorg, through the one mapping."""
import rdflib
from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFParser, RDFSerializer

DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")




def _graph(profile, dataset):
    serializer = RDFSerializer(profiles=[profile])
    return rdflib.Graph().parse(data=serializer.serialize_dataset(dataset, _format="turtle"),
                                format="turtle")


def test_national_profile_round_trips_through_ckan(full_dataset, create_dataset, responsible_unit):
    shown = call_action("package_show", id=create_dataset(**full_dataset)["id"])
    serializer = RDFSerializer(profiles=["sdm_national"])
    parser = RDFParser(profiles=["sdm_national"])
    parser.parse(serializer.serialize_dataset(shown, _format="turtle"), _format="turtle")
    [parsed] = list(parser.datasets())
    for key in ("title_translated", "notes_translated", "discipline", "embargo_until",
                "fee_items", "cstr", "doi", "provider_unit", "open_audience"):
        assert parsed[key] == shown[key], key
    assert parsed["owner_org"] == responsible_unit["id"]
    assert parsed["organization"]["uscc"] == responsible_unit["uscc"]


def test_classified_dataset_gives_an_empty_graph(full_dataset, create_dataset):
    # CKAN refuses to register classified data, so the dict that reaches the
    # serializer is made classified afterwards: the profiles must not rely on it
    shown = dict(create_dataset(**full_dataset), secrecy="classified",
                 secrecy_level="secret", secrecy_period_years=10)
    for profile in ("sdm_national", "sdm_dcat_ap3", "sdm_schemaorg"):
        assert len(_graph(profile, shown)) == 0, profile


def test_international_profile_withholds_conditional_files(full_dataset, create_dataset):
    shown = create_dataset(**dict(full_dataset, name="conditional-one", disclosure="public"))
    graph = _graph("sdm_dcat_ap3", shown)
    assert (None, DCT.title, None) in graph
    assert (None, DCAT.distribution, None) not in graph
    assert full_dataset["resources"][0]["url"] not in graph.serialize(format="nt")
