"""Stock ckanext-dcat (euro_dcat_ap_3 RDFParser) reads the international feed.

ckanext-dcat returns both languages when the site's schema declares the
fields multilingual the ckanext-fluent way; that schema is given here as a
CKAN site running ckanext-dcat with fluent fields would have it.
"""

import pytest
from rdf_helpers import BASE, TODAY

from sdm_harvester.publish import publish

processors = pytest.importorskip("ckanext.dcat.processors")
profiles_base = pytest.importorskip("ckanext.dcat.profiles.base")

FLUENT_SCHEMA = {
    "dataset_fields": [
        {"field_name": "title_translated", "validators": "fluent_text"},
        {"field_name": "notes_translated", "validators": "fluent_text"},
        {"field_name": "tags_translated", "validators": "fluent_tags"},
    ],
    "resource_fields": [],
}


@pytest.mark.parametrize("fmt,rdflib_format", [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")])
def test_euro_dcat_ap_3_parser_recovers_the_dataset(open_record, tmp_path, fmt, rdflib_format, monkeypatch):
    # ckanext-dcat takes the CKAN locale (zh_Hans_CN on our sites) as the
    # language tag to pick tags in, and finds none: a harvesting site must
    # run it with a locale that is also a tag (docs/feeds.md).
    monkeypatch.setitem(profiles_base.config, "ckan.locale_default", "en")
    publish([open_record], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    parser = processors.RDFParser(profiles=["euro_dcat_ap_3"])
    for profile in parser._profiles:  # classes: the schema is read per instance
        profile._dataset_schema = FLUENT_SCHEMA
    parser.parse((tmp_path / "international" / f"catalog.{fmt}").read_text(encoding="utf-8"), _format=rdflib_format)
    [dataset] = list(parser.datasets())
    assert dataset["title_translated"] == open_record["title_translated"]
    assert dataset["notes_translated"] == open_record["notes_translated"]
    assert {k: sorted(v) for k, v in dataset["tags_translated"].items()} == {
        k: sorted(v) for k, v in open_record["keywords_translated"].items()
    }
    [resource] = dataset["resources"]
    assert resource["url"] == open_record["resources"][0]["url"]
    extras = {e["key"]: e["value"] for e in dataset["extras"]}
    assert extras["publisher_uri"] == f"{BASE}/organization/{open_record['owner_org']}"
