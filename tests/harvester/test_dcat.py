"""DCAT over HTTP through the project's one RDF parser: the published feeds,
paged by hydra:next, harvested back; hostile RDF/XML refused."""

import os

from harvest_helpers import DEPARTMENT, PLATFORMS, run_report, source_report, write_config

from sdm_harvester.publish import publish
from sdm_harvester.store import Store

CSV = "file://" + os.path.join(PLATFORMS, "spreadsheet", "bazhong-natural-resources.csv")


def serve_folder(server, folder, prefix):
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as f:
            kind = {
                "ttl": "text/turtle",
                "rdf": "application/rdf+xml",
                "jsonld": "application/ld+json",
                "nt": "application/n-triples",
            }[name.rsplit(".", 1)[1]]
            server.routes[f"{prefix}/{name}"] = (200, {"Content-Type": kind}, f.read())


def test_paged_feed_harvested_back_in_every_format(tmp_path, server):
    run_report(tmp_path, write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}]))
    store = Store(str(tmp_path / "data"))
    originals = {d["title"]: d for d in store.iter_datasets()}
    publish(
        store.iter_datasets(),
        str(tmp_path / "feeds"),
        page_size=2,
        catalog_info={"base_url": "https://data.example.cn"},
        feeds_url=server.url + "/feeds",
    )
    store.close()
    serve_folder(server, tmp_path / "feeds" / "national", "/feeds/national")
    sources = [
        {"name": f"dcat-{ext}", "type": "dcat", "url": f"{server.url}/feeds/national/catalog.{ext}"}
        for ext in ("ttl", "rdf", "jsonld", "nt")
    ]
    other = tmp_path / "second"
    other.mkdir()
    code, report = run_report(other, write_config(other, sources))
    assert code == 0
    for source in sources:
        counts = source_report(report, source["name"])["counts"]
        assert counts["new"] == len(originals) == 4, (source["name"], counts)
    assert any("catalog-2.ttl" in path for path, _, _ in server.requests)
    store = Store(str(other / "data"))
    # four sources, one feed: one record per dataset, with all four harvests
    harvested = {d["title"]: d for d in store.iter_datasets()}
    store.close()
    assert len(harvested) == len(originals)
    assert all(len({h["catalogue"] for h in d["provenance"]}) == 5 for d in harvested.values())
    for title, original in originals.items():
        for key in ("title_translated", "sharing_attribute", "open_attribute", "update_cycle", "disclosure"):
            assert harvested[title].get(key) == original.get(key), key


def test_rdfxml_with_entities_is_refused(tmp_path, server):
    server.routes["/evil.rdf"] = (
        200,
        {"Content-Type": "application/rdf+xml"},
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&x;</rdf:RDF>',
    )
    server.routes["/junk.ttl"] = (200, {"Content-Type": "text/turtle"}, "this is not turtle <<<")
    code, report = run_report(
        tmp_path,
        write_config(
            tmp_path,
            [
                {"name": "evil", "type": "dcat", "url": server.url + "/evil.rdf"},
                {"name": "junk", "type": "dcat", "url": server.url + "/junk.ttl"},
            ],
        ),
    )
    assert code == 1
    assert "declares entities" in source_report(report, "evil")["errors"][0]
    assert "cannot parse" in source_report(report, "junk")["errors"][0]


def test_identical_pages_are_not_parsed_again(tmp_path, server, monkeypatch):
    from sdm_harvester import config, pipeline
    from sdm_harvester.sources import dcat

    run_report(tmp_path, write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}]))
    store = Store(str(tmp_path / "data"))
    titles = [d["title_translated"]["zh-Hans"] for d in store.iter_datasets()]
    publish(
        store.iter_datasets(),
        str(tmp_path / "feeds"),
        page_size=2,
        catalog_info={"base_url": "https://data.example.cn"},
        feeds_url=server.url + "/feeds",
    )
    store.close()
    serve_folder(server, tmp_path / "feeds" / "national", "/feeds/national")
    sources = config.from_dict(
        {
            "sources": [
                {
                    "name": "cat",
                    "type": "dcat",
                    "department": DEPARTMENT,
                    "url": f"{server.url}/feeds/national/catalog.ttl",
                }
            ]
        }
    )
    store = Store(str(tmp_path / "harvested"))

    def harvest():
        return pipeline.run(sources, store, store.start_run("now"), pipeline.Options(force=True)).sources[0]

    assert harvest().counts["new"] == 4
    parsed = []
    real_read_page = dcat.read_page
    monkeypatch.setattr(dcat, "read_page", lambda *a, **k: parsed.append(a) or real_read_page(*a, **k))
    again = harvest()
    assert (again.counts["unchanged"], again.status, parsed) == (4, "ok", [])
    # a changed page is read again, and only that page
    status, headers, body = server.routes["/feeds/national/catalog.ttl"]
    retitled = next(t for t in titles if t.encode() in body)
    server.routes["/feeds/national/catalog.ttl"] = (status, headers, body.replace(retitled.encode(), "新名称".encode()))
    changed = harvest()
    store.close()
    assert (changed.counts["updated"], changed.counts["unchanged"], len(parsed)) == (1, 3, 1)
