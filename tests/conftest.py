"""Shared fixtures.  CKAN's own pytest plugin (--ckan-ini) provides the
database, index and plugin fixtures; these add the project's sample data.

When dev/run-tests.sh shares the CKAN tests among pytest-xdist processes,
the hooks below give each process its own ini (its database, Solr core and
Redis database: CKAN's fixtures empty them between tests) and keep a test
file's tests in one process, in order (module fixtures are set up once).
"""

import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def example_path(*parts):
    return os.path.join(ROOT, "examples", *parts)


def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and getattr(config.option, "ckan_ini", None):
        if "SDM_TEST_WORKER_INI" not in os.environ:
            raise pytest.UsageError("pytest -n needs an ini for each process: run the suite with dev/run-tests.sh")
        config.option.ckan_ini = os.environ["SDM_TEST_WORKER_INI"] % worker


#: Folders whose tests share a fixture of "package" scope (tests/browser's
#: web server on one port, tests/search's corpus): all of them go to one
#: process, one after another.  In a folder without __init__.py pytest
#: keeps such a fixture for the whole session (fixtures.get_scope_package),
#: so a file of another folder run in between (clean_db, clean_index)
#: would wipe what it made, and it would not be made again.
_TOGETHER = ("tests/browser/", "tests/search/")


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, when installed
def pytest_xdist_make_scheduler(config, log):
    """Each test file (or folder of _TOGETHER) to one process.  A scheduler
    of our own, as xdist's loadgroup marks are lost on pytest 9.2
    (pytest-dev/pytest-xdist#1386)."""
    from xdist.scheduler import LoadFileScheduling

    class ByFile(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next((f for f in _TOGETHER if nodeid.startswith(f)), None) or super()._split_scope(nodeid)

    return ByFile(config, log)


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
