"""The national catalogue links the register of authorised use (R14): its
page and its CSV and JSON-LD files, at a configurable address, from the
publisher's national feed ($SDM_REGISTER_URL); the international feed carries no link and stays
within the DCAT-AP 3.0.1 shapes."""

import os
import subprocess
import sys

import pyshacl
import rdflib
from rdf_helpers import BASE, TODAY

from sdm_harvester.publish import publish
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


def test_publish_links_the_register_only_when_told_where(open_record, tmp_path):
    data = tmp_path / "data"
    store = Store(str(data))
    store.put("city", "c1", open_record["name"], open_record, "h1", False, None, "2025-01-01T00:00:00+00:00")
    store.close()

    def publish_cli(out, *flags, **env):
        environment = {k: v for k, v in os.environ.items() if k != "SDM_REGISTER_URL"}
        result = subprocess.run(
            [sys.executable, "-m", "sdm_harvester.cli", "publish", "--data-dir", str(data), "--out", str(out)]
            + ["--base-url", BASE, *flags],
            capture_output=True,
            text=True,
            timeout=120,
            env={**environment, **env},
        )
        assert result.returncode == 0, result.stderr
        return _links(out / "national" / "catalog.ttl")

    # the command, the workers' publish job and run --publish-out all read it from the environment
    assert publish_cli(tmp_path / "env", SDM_REGISTER_URL=REGISTER)["files"].keys() == {
        REGISTER + ".csv",
        REGISTER + ".jsonld",
    }
    publish([open_record], str(tmp_path / "none"), catalog_info={"base_url": BASE}, today=TODAY)
    assert _links(tmp_path / "none" / "national" / "catalog.ttl")["page"] == []  # not told where: no link
