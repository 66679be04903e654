"""The international feed has zero violations of the DCAT-AP 3.0.1 shapes."""

import os

import pyshacl
import pytest
import rdflib
from rdf_helpers import BASE, TODAY

from sdm_harvester.publish import publish
from sdm_schema.evaluation.conformance import SHAPES_DIR as SHAPES
from sdm_schema.rdf import dcat_ap3


@pytest.fixture(scope="module")
def shapes():
    graph = rdflib.Graph()
    for name in ("shapes.ttl", "range.ttl"):
        graph.parse(os.path.join(SHAPES, name))
    return graph


def _violations(data: rdflib.Graph, shapes) -> str:
    conforms, _graph, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    return "" if conforms else text


def test_combination_feed_conforms(combination_feeds, shapes):
    out, _records = combination_feeds
    for path in sorted((out / "international").glob("*.ttl")):
        graph = rdflib.Graph().parse(path)
        assert _violations(graph, shapes) == "", path.name


def test_full_records_conform(full_record, open_record, shapes, tmp_path):
    chinese_only = dict(
        open_record,
        id="zh-only",
        name="zh-only",
        title_translated={"zh-Hans": "仅中文标题"},
        notes_translated={},
        keywords_translated={"zh-Hans": ["气象"]},
    )
    publish(
        [full_record, open_record, chinese_only],
        str(tmp_path),
        catalog_info={"base_url": BASE, "homepage": BASE + "/"},
        today=TODAY,
    )
    graph = rdflib.Graph().parse(tmp_path / "international" / "catalog.ttl")
    assert _violations(graph, shapes) == ""


def test_shapes_catch_a_broken_feed(open_record, shapes, tmp_path):
    publish([open_record], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    graph = rdflib.Graph().parse(tmp_path / "international" / "catalog.ttl")
    graph.remove((None, rdflib.RDF.type, rdflib.URIRef("http://purl.org/dc/terms/Frequency")))
    assert "dct:Frequency" in _violations(graph, shapes)


def test_chinese_only_record_gets_english_from_code_labels(open_record):
    record = dict(
        open_record,
        discipline=["170", "180"],
        title_translated={"zh-Hans": "仅中文"},
        notes_translated={},
        keywords_translated={"zh-Hans": ["气象"]},
    )
    english = dcat_ap3.with_english(record)
    assert english["title_translated"] == {
        "zh-Hans": "仅中文",
        "en": "Earth Sciences, Biology dataset (title in Chinese only)",
    }
    assert english["notes_translated"]["en"].startswith("This record is written in Chinese only.")
    assert "Update cycle: Daily." in english["notes_translated"]["en"]
    assert english["keywords_translated"]["en"] == ["Earth Sciences", "Biology"]
