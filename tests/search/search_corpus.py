"""The search corpus and how the public searches it, for the tests here."""
import json
import os

from ckan.tests.helpers import call_action

HERE = os.path.dirname(os.path.abspath(__file__))


def load_corpus() -> dict:
    with open(os.path.join(HERE, "corpus.json"), encoding="utf-8") as f:
        return json.load(f)


def public_names(corpus: dict) -> set:
    return {d["name"] for d in corpus["datasets"] if not d.get("hidden")}


def anonymous_search(**params) -> dict:
    return call_action("package_search", context={"user": None, "ignore_auth": False}, **params)
