"""The search corpus and how the public searches it, for the tests here
and benchmarks/search/."""

import copy
import json
import os

import pytest
from ckan import model
from ckan.common import config
from ckan.lib import search
from ckan.lib.search.common import make_connection
from ckan.tests import factories
from ckan.tests.helpers import call_action

HERE = os.path.dirname(os.path.abspath(__file__))
#: corpus.json keys that describe the test, not the dataset.
_TEST_KEYS = ("unit", "hidden")


def load_corpus() -> dict:
    with open(os.path.join(HERE, "corpus.json"), encoding="utf-8") as f:
        return json.load(f)


def public_names(corpus: dict) -> set:
    return {d["name"] for d in corpus["datasets"] if not d.get("hidden")}


def anonymous_search(**params) -> dict:
    return call_action("package_search", context={"user": None, "ignore_auth": False}, **params)


def create_corpus(corpus: dict) -> None:
    """The units and datasets of corpus.json through CKAN's actions
    (validation, database, activities as for anyone), then indexed once,
    in one batch, by CKAN's own indexer."""
    admin = factories.Sysadmin()
    context = {"user": admin["name"]}
    units = {u["name"]: call_action("organization_create", context=dict(context), **u) for u in corpus["units"]}
    ids = []
    with pytest.MonkeyPatch.context() as patch:
        # CKAN indexes a new dataset at each of its commits (twice for a
        # package_create, each after a package_show): done once below.
        patch.setattr(search.SynchronousSearchPlugin, "notify", lambda self, entity, operation: None)
        for record in corpus["datasets"]:
            fields = {k: v for k, v in record.items() if k not in _TEST_KEYS}
            unit = units[record["unit"]]["id"]
            # return_id_only: no package_show of the new dataset for an answer nobody reads
            ids.append(
                call_action("package_create", context=dict(context, return_id_only=True), owner_org=unit, **fields)
            )
    search.rebuild(package_ids=ids, defer_commit=True, quiet=True)
    settle_index()


def settle_index() -> None:
    """Commit, merged into one segment without replaced documents: the term
    statistics, so the ranking, are then the same in every run."""
    make_connection().optimize()


def indexed_dicts() -> list:
    """The datasets as CKAN last indexed them (package_show's dicts, kept
    in Solr's data_dict): re-indexing these is search.rebuild without a
    package_show per dataset."""
    found = make_connection().search("*:*", fq=f'+site_id:"{config["ckan.site_id"]}"', fl="data_dict", rows=100000)
    dicts = [json.loads(doc["data_dict"]) for doc in found]
    for pkg_dict in dicts:
        pkg_dict.pop("validated_data_dict", None)
    return dicts


def reindex(dicts: list) -> None:
    """Index these package dicts through CKAN's indexer (and the hooks
    loaded now), one commit at the end."""
    index = search.index_for(model.Package)
    for pkg_dict in dicts:
        index.index_package(copy.deepcopy(pkg_dict), defer_commit=True)
    settle_index()
