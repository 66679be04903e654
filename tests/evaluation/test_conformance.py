"""DCAT-AP conformance validated once per record structure gives every record
the findings pySHACL gives it when validated on its own."""

import logging

import pytest
from evaluation_records import BASE, TODAY

from sdm_schema.evaluation import conformance
from sdm_schema.rdf import dcat_ap3
from sdm_schema.rdf.mapping import dataset_triples


def varied(open_record, n):
    """n records: different values everywhere, and every few a different
    structure or defect (no description, English only, no English title,
    fewer keywords, no file, three files, a file without URL, two fees,
    an ill-typed amount and date, another unit)."""
    resource = open_record["resources"][0]
    fee = open_record["fee_items"][0]
    for i in range(n):
        r = dict(
            open_record,
            id=f"rec-{i}",
            name=f"rec-{i}",
            owner_org=f"unit-{i % 5}",
            harvest_identifier=f"H-{i}",
            title_translated={"zh-Hans": f"数据{i}", "en": f"Data {i}"},
            metadata_modified=f"2024-0{1 + i % 9}-1{i % 10}T00:00:00",
        )
        variant = {
            1: {"notes_translated": {}},
            2: {"notes_translated": {"en": f"English only {i}"}},
            3: {"keywords_translated": {"zh-Hans": [f"词{i}"]}},
            4: {"resources": []},
            5: {"resources": [dict(resource, format=f, url=f"{resource['url']}?{f}") for f in ("CSV", "NETCDF", "")]},
            6: {"resources": [{"name": f"no url {i}", "format": "CSV"}]},
            7: {"fee_items": [dict(fee, amount="1.5"), dict(fee, amount=f"abc{i}")]},
            8: {"title_translated": {"zh-Hans": f"仅中文{i}"}, "license_id": "other-closed"},
            9: {"disclosure": "deferred", "deferral_reason": "paper", "embargo_until": "2030-02-31"},
            10: {"title_translated": {}},
        }.get(i % 12, {})
        r.update(variant)
        yield r


def alone(records):
    """Each record validated by pySHACL on its own, as before the structures."""
    out = {}
    for r in records:
        subject, triples = dataset_triples(r, dcat_ap3.PROFILE, BASE, TODAY)
        if subject is not None:
            out.update(conformance._validate([(r["id"], subject, triples)]))
    return out


@pytest.fixture(autouse=True)
def quiet_rdflib():
    # rdflib logs a traceback for each ill-typed literal it reads
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def test_findings_are_those_of_each_record_alone(open_record, monkeypatch):
    # every variant once, and rec-11 and rec-12 of rec-0's structure
    records = list(varied(open_record, 13))
    found = conformance.check(records, BASE, {}, today=TODAY)
    assert found == alone(records)
    # the same through two worker processes (11 structures, PARALLEL_MIN 3: batches of 6 and 5)
    monkeypatch.setattr(conformance, "PARALLEL_MIN", 3)
    assert conformance.check(records, BASE, {}, today=TODAY) == found
    # the sample has findings on the dataset, a distribution, and none
    kinds = {f.split(":", 1)[0] for v in found.values() for f in v}
    assert {"dataset title", "dataset description", "distribution-1 accessURL"} <= kinds
    assert found["rec-0"] == [] and len(found) == 13


def test_one_structure_for_records_that_differ_in_values_only(open_record):
    records = list(varied(open_record, 26))
    kinds = {}
    keys = {}
    for r in records:
        subject, triples = dataset_triples(r, dcat_ap3.PROFILE, BASE, TODAY)
        keys[r["id"]] = conformance._structure(subject, triples, kinds)[0]
    # rec-0, rec-12 and rec-24 differ in names, titles, dates, harvest node and unit only
    assert keys["rec-0"] == keys["rec-12"] == keys["rec-24"]
    # a third keyword less, a file more, an ill-typed date: other structures
    assert len({keys["rec-0"], keys["rec-3"], keys["rec-5"], keys["rec-9"]}) == 4
    # records of an ill-typed and a well-typed amount differ; two ill-typed ones do not
    assert keys["rec-7"] == keys["rec-19"] != keys["rec-0"]
    assert len(set(keys.values())) == 11
