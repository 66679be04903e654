"""No forbidden record or file URL appears in any format of any feed
(expectations: tests/disclosure_cases.py)."""

import os

import pytest
from disclosure_cases import GOVERNMENT, INTERNATIONAL, PUBLIC, mismatches

FEED_AUDIENCES = {"national": GOVERNMENT, "international": INTERNATIONAL, "schemaorg": PUBLIC}


def _feed_texts(out):
    for feed in FEED_AUDIENCES:
        folder = out / feed
        names = sorted(os.listdir(folder))
        assert names, feed
        yield feed, "\n".join((folder / n).read_text(encoding="utf-8") for n in names)


def test_every_record_appears_exactly_where_allowed(combination_feeds):
    out, records = combination_feeds
    for feed, text in _feed_texts(out):
        assert mismatches(text, records, FEED_AUDIENCES[feed]) == [], feed


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
