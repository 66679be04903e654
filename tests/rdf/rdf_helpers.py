"""Datasets for the pure RDF tests: the examples (the disclosure combinations
are in tests/disclosure_cases.py)."""

import datetime as dt
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = "https://data.example.cn"
TODAY = dt.date(2025, 1, 1)


def example(*parts):
    return os.path.join(ROOT, "examples", *parts)


def load_example(name):
    """examples/ckan/<name>.json with what package_show adds (id, owner_org)."""
    with open(example("ckan", name + ".json"), encoding="utf-8") as f:
        record = json.load(f)
    record.setdefault("id", "0b6d2f6e-" + name.replace("_", "-"))
    record.setdefault("owner_org", "5f0c1c1e-national-meteorological-centre")
    return record
