"""Shared fixtures.  CKAN's own pytest plugin (--ckan-ini) provides the
database, index and plugin fixtures; these add the project's sample data."""

import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def example_path(*parts):
    return os.path.join(ROOT, "examples", *parts)


@pytest.fixture
def full_dataset():
    """A dataset dict with every SDM field filled (examples/ckan/)."""
    with open(example_path("ckan", "sdm_dataset_full.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """CKAN's clean_db, plus the tables of the activity plugin (test.ini
    loads it) and of sdm (submissions, access requests, audit, blacklist)."""
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("sdm")
