"""Every disclosure combination, and where each record may appear.

Shared by the leak tests of the published feeds (tests/rdf/test_leaks.py)
and of CKAN's DCAT endpoints (tests/plugin/test_catalog_leaks.py).  The
expectations are written out here from the rules in docs/disclosure.md,
not asked of sdm_schema.disclosure, so that a mistake in the policy or in
a door out of the catalogue makes the tests fail.
"""

import itertools

PUBLIC, GOVERNMENT, INTERNATIONAL = "public", "government", "international"


def combinations():
    """One record for every secrecy × open attribute × disclosure × grade:
    [(token, (secrecy, open_attr, disclosure, grade), record)].

    The token names the record in the values that must not leak: its
    title, file URL and declassification condition.
    """
    records = []
    axes = itertools.product(
        ("unclassified", "classified"),
        ("unconditional", "conditional", "not_open"),
        ("public", "deferred_past", "deferred_future"),
        ("general", "important", "core"),
    )
    for number, (secrecy, open_attr, disclosure, grade) in enumerate(axes):
        token = f"rec{number:03d}x"
        record = {
            # a UUID, as CKAN insists on for ids
            "id": f"00000000-0000-4000-8000-{number:012d}",
            "name": f"name-{token}",
            "owner_org": "org-1",
            "title_translated": {"zh-Hans": f"标题{token}", "en": f"Title {token}"},
            "notes_translated": {"zh-Hans": f"摘要{token}"},
            "secrecy": secrecy,
            "open_attribute": open_attr,
            "data_grade": grade,
            "disclosure": "deferred" if disclosure != "public" else "public",
            "resources": [{"url": f"https://files.example.cn/{token}.csv", "format": "CSV", "name": f"file-{token}"}],
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


def visible(audience, secrecy, open_attr, grade):
    if secrecy == "classified":
        return False
    if audience == INTERNATIONAL and (open_attr == "not_open" or grade == "core"):
        return False
    return True


def downloadable(open_attr, disclosure):
    return open_attr == "unconditional" and disclosure != "deferred_future"


def mismatches(text, records, *audiences):
    """What `text` shows that it should not, or lacks that it should, when
    written for all of `audiences` at once (e.g. the international profile
    served to an anonymous user: international and public)."""
    found = []
    for token, (secrecy, open_attr, disclosure, grade), record in records:
        seen = all(visible(a, secrecy, open_attr, grade) for a in audiences)
        expected = {
            "record": seen,
            "title": seen,
            "url": seen and downloadable(open_attr, disclosure),
            # the grounds of secrecy never leave, even for the government
            "declassify condition": False,
        }
        shown = {
            "record": record["id"] in text,
            "title": f"标题{token}" in text,
            "url": record["resources"][0]["url"] in text,
            "declassify condition": f"解密条件{token}" in text,
        }
        found += [(token, what, shown[what]) for what in expected if shown[what] != expected[what]]
    return found
