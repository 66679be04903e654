"""The search corpus, created once for the tests of this folder in real
CKAN (its 158 datasets per module or per test would make the suite slow):
through package_create, then indexed in one batch (search_corpus.py).
The tests here only read it; test_corpus.py indexes it once the stock way
and puts the extension's index back."""

import pytest
from ckan import plugins
from ckan.common import config
from search_corpus import create_corpus, load_corpus


@pytest.fixture(scope="package")
def corpus(reset_db, reset_index, migrate_db_for):
    """corpus.json in CKAN (fresh database and index), as loaded."""
    data = load_corpus()
    with pytest.MonkeyPatch.context() as patch:
        # the corpus has a classified dataset, to prove it never leaks
        patch.setitem(config, "ckanext.sdm.allow_classified", True)
        plugins.load_all()
        try:
            reset_db()
            migrate_db_for("activity")
            reset_index()
            create_corpus(data)
        finally:
            plugins.unload_non_system_plugins()
    return data
