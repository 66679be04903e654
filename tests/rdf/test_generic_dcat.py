"""parse reads DCAT-AP published by others (data.europa.eu examples,
ckanext-dcat's output) and maps what it can."""

import glob
import os

import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF

from sdm_schema.rdf import parse

# DCAT-AP examples by others, vendored with their licence note
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "dcat-ap")
EXAMPLES = sorted(glob.glob(os.path.join(FIXTURES, "*.ttl")))


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_every_titled_dataset_keeps_its_title(path):
    with open(path, "rb") as f:
        data = f.read()
    graph = rdflib.Graph().parse(data=data, format="turtle")  # an independent reading
    titled = {str(s) for s in graph.subjects(RDF.type, DCAT.Dataset) if graph.value(s, DCTERMS.title) is not None}
    datasets = list(parse.iter_datasets(data, "ttl"))
    assert datasets
    assert {d["uri"] for d in datasets if d.get("title_translated")} == titled


def test_ckanext_dcat_multilingual_example():
    with open(os.path.join(FIXTURES, "ckanext-dcat-dataset_multilingual.ttl"), "rb") as f:
        [dataset] = parse.iter_datasets(f.read(), "ttl")
    assert dataset["title_translated"]["en"]
    assert dataset["keywords_translated"]["en"]
    assert dataset["resources"] and dataset["resources"][0]["url"]


def test_blank_nodes_parse_the_same_every_time():
    # two anonymous contact points: which one is read must not depend on
    # the names the parser gives blank nodes
    with open(os.path.join(FIXTURES, "ckanext-dcat-dataset_multilingual.ttl"), "rb") as f:
        data = f.read()
    assert all(list(parse.iter_datasets(data, "ttl")) == list(parse.iter_datasets(data, "ttl")) for _ in range(5))
