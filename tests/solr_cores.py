"""A Solr core of its own on the suite's running Solr, for a test that needs
a second, empty index (the restore drill's recovery site, a second CKAN),
and for each process of a suite run in parallel (dev/run-tests.sh):

    python tests/solr_cores.py create NAME…   new, empty cores; prints their URLs

CKAN scopes one core by ckan.site_id, but a recovery site restored "into an
empty Solr core" must be shown to start from nothing, so the test makes one
with Solr's CoreAdmin API and unloads and deletes it afterwards.  The core's
conf is laid out as dev/services.sh's solr_home() lays out the `ckan` core
(dev/solr/solrconfig.xml, schemas/solr/schema.xml and its word lists), in
the Solr home $SDM_RUN_DIR/solr, where the Solr process finds it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sys

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_DIR = os.environ.get("SDM_RUN_DIR") or os.path.join(ROOT, ".run")
SOLR_PORT = os.environ.get("SDM_SOLR_PORT", "58983")
SOLR = f"http://127.0.0.1:{SOLR_PORT}/solr"
#: The conf files of every core, as solr_home() copies them.
CONF_FILES = [
    os.path.join(ROOT, "dev", "solr", "solrconfig.xml"),
    os.path.join(ROOT, "schemas", "solr", "schema.xml"),
    *glob.glob(os.path.join(ROOT, "schemas", "solr", "*.txt")),
]


def _admin(**params) -> dict:
    response = requests.get(f"{SOLR}/admin/cores", params={**params, "wt": "json"}, timeout=120)
    if not response.ok:
        raise RuntimeError(f"Solr CoreAdmin {params.get('action')} {params.get('name')}: {response.text[:500]}")
    return response.json()


def drop_core(name: str) -> None:
    """Unload the core and delete its folder (index included); a core that
    does not exist is nothing to drop."""
    if _admin(action="STATUS", core=name).get("status", {}).get(name):
        _admin(action="UNLOAD", core=name, deleteInstanceDir="true")
    shutil.rmtree(os.path.join(RUN_DIR, "solr", name), ignore_errors=True)


def create_core(name: str) -> str:
    """A new, empty core `name`; answers its URL (CKAN's solr_url)."""
    drop_core(name)  # what an interrupted earlier run left
    conf = os.path.join(RUN_DIR, "solr", name, "conf")
    os.makedirs(conf)
    for path in CONF_FILES:
        shutil.copy(path, conf)
    _admin(
        action="CREATE",
        name=name,
        instanceDir=name,
        config="solrconfig.xml",
        schema="schema.xml",
        dataDir="data",
    )
    return f"{SOLR}/{name}"


@contextlib.contextmanager
def solr_core(name: str):
    """create_core for the duration of a `with` block (or a fixture)."""
    url = create_core(name)
    try:
        yield url
    finally:
        drop_core(name)


if __name__ == "__main__":
    if sys.argv[1:2] != ["create"] or len(sys.argv) < 3:
        sys.exit(__doc__)
    for core in sys.argv[2:]:
        print(create_core(core))
