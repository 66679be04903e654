"""The evaluation's measurements as W3C DQV: in the national feed, one
metric per indicator defined in sdm.ttl; none in the international feed,
which stays SHACL-clean."""

import pyshacl
import rdflib
from evaluation_records import BASE, TODAY

from sdm_harvester.publish import publish
from sdm_schema import evaluation
from sdm_schema.evaluation import conformance
from sdm_schema.loader import schema_path

DQV = rdflib.Namespace("http://www.w3.org/ns/dqv#")
SDM = rdflib.Namespace("https://w3id.org/sdm/ns#")


def measured(record):
    result = evaluation.evaluate_dataset(record, today=TODAY)
    values = {k: round(100 * o.value, 1) for k, o in result.outcomes.items() if o.value is not None}
    return dict(record, quality_measurements={**values, "score": result.score})


def test_national_feed_carries_each_measurement(open_record, tmp_path):
    record = measured(dict(open_record, update_cycle="monthly", metadata_modified="2024-10-01"))
    publish([record], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    graph = rdflib.Graph().parse(tmp_path / "national" / "catalog.ttl")
    dataset = rdflib.URIRef(f"{BASE}/dataset/{record['id']}")
    found = {}
    for node in graph.objects(dataset, DQV.hasQualityMeasurement):
        assert graph.value(node, DQV.computedOn) == dataset
        found[str(graph.value(node, DQV.isMeasurementOf))] = graph.value(node, DQV.value).toPython()
    assert found[str(SDM["metric-updated_on_time"])] == 0
    assert float(found[str(SDM["metric-score"])]) == record["quality_measurements"]["score"]
    assert set(found) == {str(SDM[f"metric-{k}"]) for k in record["quality_measurements"]}


def test_every_metric_is_defined_in_the_vocabulary():
    vocabulary = rdflib.Graph().parse(schema_path("sdm.ttl"))
    metrics = set(vocabulary.subjects(rdflib.RDF.type, DQV.Metric))
    assert metrics == {SDM[f"metric-{k}"] for k in [*evaluation.indicators(), "score"]}
    for key, indicator in evaluation.indicators().items():
        assert vocabulary.value(SDM[f"metric-{key}"], DQV.inDimension) == SDM[f"dimension-{indicator.dimension}"]
        assert rdflib.Literal(indicator.label["zh-Hans"], lang="zh-Hans") in set(
            vocabulary.objects(SDM[f"metric-{key}"], rdflib.RDFS.label)
        )


def test_international_feed_stays_clean(open_record, tmp_path):
    publish([measured(open_record)], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    graph = rdflib.Graph().parse(tmp_path / "international" / "catalog.ttl")
    assert not list(graph.triples((None, DQV.hasQualityMeasurement, None)))
    conforms, _g, text = pyshacl.validate(graph, shacl_graph=conformance.shapes(), inference="none")
    assert conforms, text
