"""parse(serialize(x)) == x in the national profile, in every format."""

import pytest
from rdf_helpers import BASE, TODAY

from sdm_harvester.publish import publish
from sdm_schema import dataset_fields, disclosure
from sdm_schema.rdf import dcat, national, parse
from sdm_schema.rdf.mapping import dataset_triples

FORMATS = ("ttl", "rdf", "jsonld", "nt")


def _unordered(value):
    """RDF keeps no order of keywords within a language."""
    if isinstance(value, dict):
        return {k: sorted(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


def _published(records, tmp_path):
    publish(records, str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    return tmp_path / "national"


#: The round-trip cases: together they give every published field a value.
CASES = ("full_record", "open_record", "closed_record")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fixture", CASES)
def test_every_field_comes_back(fixture, fmt, request, tmp_path):
    record = request.getfixturevalue(fixture)
    folder = _published([record], tmp_path)
    [parsed] = parse.iter_datasets((folder / f"catalog.{fmt}").read_bytes(), fmt)
    for field in dataset_fields():
        if field.from_field:  # title/notes: CKAN derives them
            continue
        assert _unordered(parsed.get(field.name)) == _unordered(record.get(field.name)), field.name
    if fixture == "open_record":
        assert parsed["resources"] == record["resources"]
        assert parsed["metadata_modified"] == record["metadata_modified"]
    assert parsed["uri"] == f"{BASE}/dataset/{record['id']}"


def test_the_cases_give_every_published_field_a_value(request):
    """A field no case fills would pass the round trip unseen."""
    unpublished = {name for rule in dcat.rules() if not rule.published for name in rule.fields}
    # what no audience of any feed ever sees (the classification details)
    unpublished |= frozenset.intersection(*disclosure.HIDDEN_FIELDS.values())
    records = [request.getfixturevalue(name) for name in CASES]
    empty = [
        f.name
        for f in dataset_fields()
        if not f.from_field
        and f.name not in unpublished
        and all(record.get(f.name) in (None, "", [], {}) for record in records)
    ]
    assert empty == [], f"examples/ckan/sdm_dataset_full.json (or its variants in tests/rdf/conftest.py) lack {empty}"


def test_every_field_has_a_rule():
    covered = {name for rule in dcat.rules() for name in rule.fields}
    missing = [f.name for f in dataset_fields() if not f.from_field and f.name not in covered]
    assert missing == []


def test_deferred_record_keeps_embargo_date_but_no_files(full_record):
    assert full_record["disclosure"] == "deferred"
    _subject, triples = dataset_triples(full_record, national.PROFILE, BASE, today=TODAY)
    predicates = {p for _s, p, _o in triples}
    assert "http://purl.org/dc/terms/available" in predicates
    assert "http://www.w3.org/ns/dcat#distribution" not in predicates
    assert not any("surface-climate-2024.csv" in str(o) for _s, _p, o in triples)


def test_parse_reads_codes_given_as_eu_authority_iris(open_record, tmp_path):
    publish([open_record], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    [parsed] = parse.iter_datasets((tmp_path / "international" / "catalog.ttl").read_bytes(), "ttl")
    assert parsed["update_cycle"] == open_record["update_cycle"]
    assert parsed["open_attribute"] == "unconditional"
    assert parsed["title_translated"] == open_record["title_translated"]


def test_unknown_format_is_refused():
    with pytest.raises(parse.ParseError):
        parse.read_page(b"", "text/csv")
