"""Every format of a feed is the same graph (checked against rdflib's parsers)."""

import pytest
import rdflib
from rdf_helpers import BASE, TODAY
from rdflib.compare import isomorphic

from sdm_harvester.publish import publish
from sdm_schema.rdf.mapping import dataset_triples
from sdm_schema.rdf.national import PROFILE
from sdm_schema.rdf.terms import to_rdflib

RDFLIB = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}
HYDRA_VIEW = rdflib.URIRef("http://www.w3.org/ns/hydra/core#PartialCollectionView")


def _without_paging(graph):
    """Page links name the page in its own format; the rest must agree."""
    for view in list(graph.subjects(rdflib.RDF.type, HYDRA_VIEW)):
        graph.remove((view, None, None))
    return graph


@pytest.mark.parametrize("feed", ["national", "international"])
def test_formats_agree(feed, combination_feeds):
    out, _records = combination_feeds
    for page in sorted((out / feed).glob("*.nt")):
        reference = _without_paging(rdflib.Graph().parse(page, format="nt"))
        for ext, fmt in RDFLIB.items():
            other = _without_paging(rdflib.Graph().parse(page.with_suffix("." + ext), format=fmt))
            assert isomorphic(reference, other), (page.name, ext)


def test_nt_is_exactly_the_mapped_triples(open_record, tmp_path):
    awkward = dict(
        open_record,
        version='V1 "quoted" \\ back\nslash <&>',
        resources=[{"url": "https://x.example.cn/a b<c>.csv", "format": "csv"}],
    )
    publish([awkward], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    page = rdflib.Graph().parse(tmp_path / "national" / "catalog.nt", format="nt")
    _subject, triples = dataset_triples(awkward, PROFILE, BASE, today=TODAY)
    for s, p, o in triples:
        assert (to_rdflib(s), to_rdflib(p), to_rdflib(o)) in page
    assert rdflib.Literal('V1 "quoted" \\ back\nslash <&>') in set(page.objects())
    # and every other format escapes it to the same graph
    for ext, fmt in RDFLIB.items():
        other = rdflib.Graph().parse(tmp_path / "national" / f"catalog.{ext}", format=fmt)
        assert isomorphic(_without_paging(page), _without_paging(other)), ext


def test_schemaorg_is_json_ld_with_public_view(open_record, tmp_path):
    publish([open_record], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    graph = rdflib.Graph().parse(tmp_path / "schemaorg" / "catalog.jsonld", format="json-ld")
    schema = rdflib.Namespace("http://schema.org/")
    [dataset] = graph.subjects(rdflib.RDF.type, schema.Dataset)
    names = {(str(o), o.language) for o in graph.objects(dataset, schema.name)}
    assert names == {(v, k) for k, v in open_record["title_translated"].items()}
    assert graph.value(dataset, schema.isAccessibleForFree).toPython() is False
    assert graph.value(dataset, schema.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    download = graph.value(dataset, schema.distribution)
    assert str(graph.value(download, schema.contentUrl)) == open_record["resources"][0]["url"]
    assert graph.value(dataset, schema.publisher) is not None
    assert "secrecy" not in (tmp_path / "schemaorg" / "catalog.jsonld").read_text()
