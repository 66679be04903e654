"""Fixtures for the pure RDF tests (no CKAN): datasets and published feeds."""

import pytest
from disclosure_cases import combinations
from rdf_helpers import BASE, TODAY, load_example

from sdm_harvester.publish import publish


@pytest.fixture
def full_record():
    return load_example("sdm_dataset_full")


@pytest.fixture
def open_record(full_record):
    """The full example made open and public, so it keeps its files."""
    record = dict(
        full_record,
        id=full_record["id"] + "-open",
        name=full_record["name"] + "-open",
        disclosure="public",
        open_attribute="unconditional",
        metadata_created="2024-04-01T08:00:00",
        metadata_modified="2024-05-01T10:00:00.123456",
        embargo_lifted="2024-05-01T10:00:00",
    )
    for key in ("deferral_reason", "embargo_until", "open_condition", "open_audience", "review_procedure"):
        record.pop(key, None)
    return record


@pytest.fixture
def closed_record(open_record):
    """The open record made closed (不开放), with its reason."""
    return dict(
        open_record,
        id=open_record["id"] + "-closed",
        name=open_record["name"] + "-closed",
        open_attribute="not_open",
        closed_reason="涉及个人信息，依法不予开放",
    )


@pytest.fixture(scope="session")
def combination_feeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("feeds")
    records = combinations()
    publish((r for _t, _k, r in records), str(out), page_size=7, catalog_info={"base_url": BASE}, today=TODAY)
    return out, records
