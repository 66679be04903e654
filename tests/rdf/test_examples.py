"""Paired fixtures, as ckanext-dcat keeps them: examples/ckan/<name>.json
serialises to examples/dcat/<name>.<feed>.ttl (compared as graphs).

After a deliberate change of the mapping, regenerate with
    SDM_REGENERATE_EXAMPLES=1 .venv/bin/pytest -p no:ckan tests/rdf/test_examples.py
and review the diff."""

import os

import pytest
import rdflib
from rdf_helpers import BASE, TODAY, example, load_example
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from sdm_harvester.publish import publish

PAIRS = [("sdm_dataset_full", feed) for feed in ("national", "international")]


@pytest.mark.parametrize("name,feed", PAIRS)
def test_example_serialises_to_its_pair(name, feed, tmp_path):
    publish([load_example(name)], str(tmp_path), catalog_info={"base_url": BASE}, today=TODAY)
    produced = (tmp_path / feed / "catalog.ttl").read_text(encoding="utf-8")
    expected_path = example("dcat", f"{name}.{feed}.ttl")
    if os.environ.get("SDM_REGENERATE_EXAMPLES"):
        with open(expected_path, "w", encoding="utf-8") as f:
            f.write(produced)
    got = rdflib.Graph().parse(data=produced, format="turtle")
    expected = rdflib.Graph().parse(expected_path)
    if not isomorphic(got, expected):
        _both, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(f"only produced: {sorted(only_got)[:5]}\nonly expected: {sorted(only_expected)[:5]}")
