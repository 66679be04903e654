"""Records with known defects for the evaluation tests (no CKAN)."""

import json
import os

import pytest
from evaluation_records import ROOT


def full():
    with open(os.path.join(ROOT, "examples", "ckan", "sdm_dataset_full.json"), encoding="utf-8") as f:
        record = json.load(f)
    record.update(id="0b6d2f6e-full", owner_org="org-cma")
    return record


@pytest.fixture
def open_record():
    """Open, public, complete, updated yesterday on a daily cycle."""
    record = full()
    record.update(
        id="0b6d2f6e-open",
        name="open-record",
        disclosure="public",
        open_attribute="unconditional",
        data_grade="general",
        metadata_modified="2024-12-31T10:00:00",
    )
    for key in ("deferral_reason", "embargo_until", "open_condition", "open_audience", "review_procedure"):
        record.pop(key, None)
    return record


@pytest.fixture
def full_record():
    record = full()
    record["metadata_modified"] = "2024-12-31T10:00:00"
    return record
