"""The search corpus, created once per test module in real CKAN (creating
57 datasets per test would make the suite slow)."""
import pytest
from ckan import plugins
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action

from search_corpus import load_corpus

#: corpus.json keys that describe the test, not the dataset.
_TEST_KEYS = ("unit", "hidden")


def _create(corpus: dict) -> None:
    admin = factories.Sysadmin()
    context = {"user": admin["name"]}
    units = {u["name"]: call_action("organization_create", context=dict(context), **u)
             for u in corpus["units"]}
    for record in corpus["datasets"]:
        fields = {k: v for k, v in record.items() if k not in _TEST_KEYS}
        call_action("package_create", context=dict(context), owner_org=units[record["unit"]]["id"], **fields)


@pytest.fixture(scope="module")
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
            _create(data)
        finally:
            plugins.unload_non_system_plugins()
    return data
