"""Fixtures: `server`, a real HTTP server on 127.0.0.1, stopped afterwards;
`ckan_sites`, a vanilla CKAN 2.11 (a department platform) and the project's
CKAN (sdm + scheming + dcat, the load target), served for the session."""

import os
import threading

import ckan_sites as sites
import pytest
from harvest_helpers import Server


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="session")
def ckan_sites():
    if not os.path.exists(sites.CKAN):
        pytest.skip("CKAN is not installed in .venv (make test installs it)")
    sites.services("up")
    taken: set = set()
    vanilla = sites.CkanSite("vanilla", "activity", taken)
    taken.add(vanilla.port)
    target = sites.CkanSite("target", None, taken)
    failures = []

    def bring_up(site):
        try:
            site.prepare()
            site.start()
        except Exception as error:  # reported below, from the test's thread
            failures.append(error)

    # both sites at once: most of the time goes to starting CKAN's CLI
    threads = [threading.Thread(target=bring_up, args=(site,)) for site in (vanilla, target)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        if failures:
            raise failures[0]
        yield vanilla, target
    finally:
        vanilla.stop()
        target.stop()
        sites.services("down")
