"""The national catalogue links the register of authorised use (R14): its
page and its CSV and JSON-LD files, at a configurable address, from the
publisher's national feed ($SDM_REGISTER_URL); the international feed carries no link and stays
within the DCAT-AP 3.0.1 shapes."""

import pyshacl
import rdflib
from rdf_helpers import BASE, TODAY

from sdm_harvester.publish import publish, publish_store
from sdm_harvester.store import Store
from sdm_schema.evaluation import conformance

FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
REGISTER = "https://ckan.example.cn/authorisations"
CATALOG = rdflib.URIRef(f"{BASE}/catalog")


def _links(path) -> dict:
    graph = rdflib.Graph().parse(path)
    also = {
        str(doc): (str(graph.value(doc, DCT["format"])), {str(t) for t in graph.objects(doc, DCT["title"])})
        for doc in graph.objects(CATALOG, rdflib.RDFS.seeAlso)
    }
    return {"page": [str(p) for p in graph.objects(CATALOG, FOAF.page)], "files": also, "graph": graph}


def test_the_national_catalogue_links_the_register_and_the_international_stays_clean(open_record, tmp_path):
    publish([open_record], str(tmp_path), catalog_info={"base_url": BASE, "register": REGISTER + "/"}, today=TODAY)
    national = _links(tmp_path / "national" / "catalog.ttl")
    assert national["page"] == [REGISTER]
    titles = {"授权运营公开", "Register of authorised use"}
    assert national["files"] == {
        REGISTER + ".csv": ("http://www.iana.org/assignments/media-types/text/csv", titles),
        REGISTER + ".jsonld": ("http://www.iana.org/assignments/media-types/application/ld+json", titles),
    }
    international = _links(tmp_path / "international" / "catalog.ttl")
    assert international["page"] == [] and international["files"] == {}
    conforms, _g, text = pyshacl.validate(international["graph"], shacl_graph=conformance.shapes(), inference="none")
    assert conforms, text


def test_publish_links_the_register_only_when_told_where(open_record, tmp_path, monkeypatch):
    data = tmp_path / "data"
    store = Store(str(data))
    store.put("city", "c1", open_record["name"], open_record, "h1", False, None, "2025-01-01T00:00:00+00:00")
    # what sdm-harvest publish, the workers' publish job and run --publish-out all call
    publish_store(store, str(data), str(tmp_path / "given"), BASE, register_url=REGISTER)
    monkeypatch.setenv("SDM_REGISTER_URL", REGISTER)
    publish_store(store, str(data), str(tmp_path / "env"), BASE)
    monkeypatch.delenv("SDM_REGISTER_URL")
    publish_store(store, str(data), str(tmp_path / "none"), BASE)
    store.close()
    assert _links(tmp_path / "given" / "national" / "catalog.ttl")["page"] == [REGISTER]
    assert _links(tmp_path / "env" / "national" / "catalog.ttl")["files"].keys() == {
        REGISTER + ".csv",
        REGISTER + ".jsonld",
    }
    assert _links(tmp_path / "none" / "national" / "catalog.ttl")["page"] == []  # not told where: no link
