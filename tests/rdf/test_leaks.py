"""No forbidden record or file URL appears in any format of any feed.

The expectations are written out here from the rules in docs/disclosure.md,
not asked of sdm_schema.disclosure, so that a mistake in the policy or in the
feeds makes this fail.
"""
import os

import pytest


def _visible(feed, secrecy, open_attr, grade):
    if secrecy == "classified":
        return False
    if feed == "international" and (open_attr == "not_open" or grade == "core"):
        return False
    return True


def _downloadable(open_attr, disclosure):
    return open_attr == "unconditional" and disclosure != "deferred_future"


def _feed_texts(out):
    for feed in ("national", "international", "schemaorg"):
        folder = out / feed
        names = sorted(os.listdir(folder))
        assert names, feed
        yield feed, "\n".join((folder / n).read_text(encoding="utf-8") for n in names), names


def test_every_record_appears_exactly_where_allowed(combination_feeds):
    out, records = combination_feeds
    for feed, text, _names in _feed_texts(out):
        for token, (secrecy, open_attr, disclosure, grade), record in records:
            visible = _visible(feed, secrecy, open_attr, grade)
            assert (f"id-{token}" in text) == visible, (feed, token, "record")
            assert (f"标题{token}" in text) == visible, (feed, token, "title")
            url = record["resources"][0]["url"]
            assert (url in text) == (visible and _downloadable(open_attr, disclosure)), (feed, token, "url")
            # the grounds of secrecy never leave, even in the national feed
            assert f"解密条件{token}" not in text


def test_conditional_records_show_their_conditions(combination_feeds):
    out, records = combination_feeds
    national = "\n".join(p.read_text(encoding="utf-8") for p in (out / "national").glob("*.ttl"))
    for token, (secrecy, open_attr, _d, _g), _r in records:
        if secrecy == "unclassified" and open_attr == "conditional":
            assert f"签署协议{token}" in national


def test_deferred_records_show_their_embargo_date(combination_feeds):
    out, _records = combination_feeds
    national = (out / "national" / "catalog.nt").read_text(encoding="utf-8")
    assert '<http://purl.org/dc/terms/available> "2999-01-01"' in national


@pytest.mark.parametrize("feed", ["national", "international"])
def test_pages_are_linked(combination_feeds, feed):
    out, _records = combination_feeds
    first = (out / feed / "catalog.ttl").read_text(encoding="utf-8")
    assert f"/feeds/{feed}/catalog-2.ttl>" in first and "hydra:next" in first
