"""Datasets for the pure RDF tests: the examples and every disclosure combination."""
import datetime as dt
import itertools
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



def combinations():
    """One record for every secrecy × open attribute × disclosure × grade."""
    records = []
    axes = itertools.product(("unclassified", "classified"),
                             ("unconditional", "conditional", "not_open"),
                             ("public", "deferred_past", "deferred_future"),
                             ("general", "important", "core"))
    for number, (secrecy, open_attr, disclosure, grade) in enumerate(axes):
        token = f"rec{number:03d}x"
        record = {
            "id": f"id-{token}", "name": f"name-{token}", "owner_org": "org-1",
            "title_translated": {"zh-Hans": f"标题{token}", "en": f"Title {token}"},
            "notes_translated": {"zh-Hans": f"摘要{token}"},
            "secrecy": secrecy, "open_attribute": open_attr, "data_grade": grade,
            "disclosure": "deferred" if disclosure != "public" else "public",
            "resources": [{"url": f"https://files.example.cn/{token}.csv", "format": "CSV",
                           "name": f"file-{token}"}],
        }
        if secrecy == "classified":
            record.update(secrecy_level="secret", declassify_condition=f"解密条件{token}")
        if open_attr == "conditional":
            record["open_condition"] = f"签署协议{token}"
        if disclosure != "public":
            record["deferral_reason"] = "paper"
            record["embargo_until"] = "2020-01-01" if disclosure == "deferred_past" else "2999-01-01"
        records.append((token, (secrecy, open_attr, disclosure, grade), record))
    return records
