"""schemas/sdm_schema/sdm.ttl is the vocabulary made from the schema, and covers every
SDM term the feeds use."""

import rdflib
from rdf_helpers import BASE, TODAY

from sdm_schema import dataset_field, schema_path
from sdm_schema.rdf import national, vocabulary
from sdm_schema.rdf.dcat import sdm_term_fields
from sdm_schema.rdf.mapping import dataset_triples
from sdm_schema.rdf.namespaces import SDM

RDFS_LABEL = rdflib.RDFS.label


def _shipped():
    return rdflib.Graph().parse(schema_path("sdm.ttl"))


def test_shipped_file_is_generated_from_the_schema():
    with open(schema_path("sdm.ttl"), encoding="utf-8") as f:
        assert f.read() == vocabulary.turtle(), "run: python -m sdm_schema.generate"


def test_term_labels_are_the_field_labels():
    graph = _shipped()
    for name in sdm_term_fields():
        labels = {
            label.language: str(label) for label in graph.objects(rdflib.URIRef(vocabulary.term(name)), RDFS_LABEL)
        }
        assert labels == dict(dataset_field(name).label), name


def test_every_sdm_term_used_is_defined(open_record, full_record):
    defined = {str(s) for s in _shipped().subjects(RDFS_LABEL, None)}
    used = set()
    for record in (open_record, full_record):
        _subject, triples = dataset_triples(record, national.PROFILE, BASE, today=TODAY)
        used |= {t for triple in triples for t in triple if str(t).startswith(SDM)}
    assert used and used <= defined
