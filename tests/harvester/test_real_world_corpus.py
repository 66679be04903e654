"""A harvest of real public records (tests/harvester/corpus, tests/rdf/fixtures/dcat-ap)
keeps every record with a title and an identifier, with languages, source dates,
licences and formats as they came."""

import os

from harvest_helpers import DEPARTMENT

from sdm_harvester import config, pipeline
from sdm_harvester.publish import publish
from sdm_harvester.store import Store

HERE = os.path.dirname(os.path.abspath(__file__))
C, F = os.path.join(HERE, "corpus"), os.path.join(HERE, "..", "rdf", "fixtures", "dcat-ap")
SOURCES = [
    ("swiss", "dcat", f"{C}/opendata-swiss.rdf", 2),
    ("gobes", "dcat", f"{C}/datos-gob-es.ttl", 1),
    ("govde", "dcat", f"{C}/govdata-de.rdf", 1),
    ("multi", "dcat", f"{F}/ckanext-dcat-dataset_multilingual.ttl", 1),
    ("ckanml", "ckan", f"{C}/ckan-multilingual.json", 1),
    ("ckan1", "ckan", f"{C}/ckan-dataset.json", 1),
    ("zenodo", "oai-pmh", f"{C}/zenodo-oai_dc.xml", 2),
    ("pod", "datajson", f"{C}/project-open-data.json", 3),
]


def harvest(tmp_path):
    cfg = config.from_dict(
        {"sources": [{"name": n, "type": t, "url": "file://" + u, "department": DEPARTMENT} for n, t, u, _ in SOURCES]}
    )
    store = Store(str(tmp_path / "data"))
    report = pipeline.run(cfg, store, store.start_run("now"), pipeline.Options(force=True))
    return store, {s.name: s for s in report.sources}


def test_every_record_with_title_and_identifier_is_kept(tmp_path):
    store, reports = harvest(tmp_path)
    for name, _type, _url, expected in SOURCES:
        counts = reports[name].counts
        assert (counts["new"], counts["invalid"], counts["failed"]) == (expected, 0, 0), (name, counts)
    held = {(d["harvest_source"], d["harvest_identifier"]): d for d in store.iter_datasets()}
    swiss = held[("swiss", "346252@bundesamt-fur-statistik-bfs")]  # a blank node with a dct:identifier
    assert swiss["title_translated"] == {
        "de": "Statistisches Jahrbuch der Schweiz 1894",
        "fr": "Annuaire statistique de la Suisse 1894",
    }
    assert swiss["metadata_created"] == "1893-12-31T23:00:00Z"
    multi = held[("ckanml", "test-dataset-multilingual")]  # a name, no id; a third language
    assert multi["title_translated"] == {
        "en": "Test DCAT dataset",
        "ca": "Conjunt de dades de prova DCAT",
        "es": "Conjunto de datos de prueba DCAT",
    }
    assert (multi["metadata_created"], multi["metadata_modified"]) == ("2024-05-01", "2024-05-05")
    govde = held[("govde", "https://www.opendata-hro.de/dataset/c1be4007-d811-48fb-8818-2cb358b06a63")]
    assert govde["license_id"] == "cc-zero"  # from the distributions, where DCAT-AP puts it
    gobes = next(d for k, d in held.items() if k[0] == "gobes")
    assert gobes["resources"][0]["format"] == "XLS"
    assert gobes["resources"][0]["mimetype"] == "application/vnd.ms-excel"
    zenodo = held[("zenodo", "oai:zenodo.org:3051910")]
    assert zenodo["landing_page"] == "https://zenodo.org/record/3051910"
    assert zenodo["license_id"] == "https://opendatacommons.org/licenses/by/1.0/"
    assert zenodo["metadata_modified"] == "2020-01-24T19:26:18Z"
    pod = held[("pod", "http://dx.doi.org/10.7927/H45X26V8")]
    assert pod["doi"] == "10.7927/H45X26V8" and pod["contact_email"] == "jane.doe@agency.gov"
    assert reports["pod"].unmapped == {"bureauCode": 3, "programCode": 3}
    summary = publish(store.iter_datasets(), str(tmp_path / "feeds"), catalog_info={"base_url": "https://x.example"})
    store.close()
    assert summary["skipped"] == []
    feed = (tmp_path / "feeds" / "international" / "catalog.ttl").read_text(encoding="utf-8")
    assert '"Annuaire statistique de la Suisse 1894"@fr' in feed
    assert "This record is written in Chinese only" not in feed
    assert "file-type/APPLICATION" not in feed and "mailto:file:" not in feed
    assert not [n for n in os.listdir(tmp_path / "feeds") if n.endswith(".new")]
