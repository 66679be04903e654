"""Every writer writes, byte for byte, the text it wrote when these files
were made: speed work on the mapping and the writers (issue 20) must not
change a feed, and a change that is meant to shows here as a diff.

The records are the open full example and one with every character the
formats escape; each profile is written in each format, with its catalogue
and hydra paging around the datasets.  After a change to the output that
is meant, rewrite the files and review their diff:

    .venv/bin/python tests/rdf/test_writer_bytes.py
"""

import io
import os

import pytest
from rdf_helpers import BASE, TODAY, load_example

from sdm_schema.rdf import dcat_ap3, national, schemaorg
from sdm_schema.rdf.catalog import page_triples
from sdm_schema.rdf.mapping import dataset_triples
from sdm_schema.rdf.terms import IRI
from sdm_schema.rdf.writers import WRITERS

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "writer-bytes")
PROFILES = {p.name: p for p in (national.PROFILE, dcat_ap3.PROFILE, schemaorg.PROFILE)}
AWKWARD = '"quoted" \\ back\nslash\r <&> tab\t \x01control \ufffe'


def records():
    full = load_example("sdm_dataset_full")
    opened = dict(full, id=full["id"] + "-open", name="open", disclosure="public", open_attribute="unconditional")
    awkward = dict(
        opened,
        id="awkward",
        name="awkward",
        version="V1 " + AWKWARD,
        title_translated={"zh-Hans": "标题 " + AWKWARD, "en": "Title " + AWKWARD},
        notes_translated={"en": "a\x0bb", "de": "Grüße \u2028 x"},
        license_id="a licence of its own",
        contact_email="a b@x.example.cn",
        resources=[
            {"url": 'https://x.example.cn/a b<c>"{}|^`.csv', "format": "csv", "name": "n " + AWKWARD},
            {"url": "https://x.example.cn/f.zip", "format": "https://example.org/fmt", "mimetype": "application/zip"},
            {"url": "https://x.example.cn/g", "format": "weird format", "license": "my licence"},
        ],
    )
    return [opened, awkward]


def written(profile, extension, out=None):
    """The profile's page of the records in one format, as text (or as the
    UTF-8 bytes a binary `out` receives, as the publisher writes)."""
    out = out or io.StringIO()
    writer = WRITERS[extension](out, profile.prefixes)
    writer.begin()
    writer.write(profile.catalog({"base_url": BASE}))
    for record in records():
        subject, triples = dataset_triples(record, profile, BASE, today=TODAY)
        triples.append((IRI(f"{BASE}/catalog"), IRI(profile.dataset_link), subject))
        writer.write(triples)
    page = f"{BASE}/feeds/catalog.{extension}"
    writer.write(page_triples(page, page, None, None, items=2))
    writer.end()
    return out.getvalue()


CASES = [(name, extension) for name in PROFILES for extension in WRITERS]


@pytest.mark.parametrize(("name", "extension"), CASES)
def test_writer_bytes(name, extension):
    with open(os.path.join(FIXTURES, f"{name}.{extension}"), encoding="utf-8", newline="") as f:
        expected = f.read()
    assert written(PROFILES[name], extension) == expected


@pytest.mark.parametrize(("name", "extension"), CASES)
def test_writer_bytes_to_a_binary_stream(name, extension):
    """The writers render UTF-8 bytes: a binary stream gets them as they
    are, a text stream decoded; both are the same text."""
    with open(os.path.join(FIXTURES, f"{name}.{extension}"), "rb") as f:
        expected = f.read()
    assert written(PROFILES[name], extension, io.BytesIO()) == expected


if __name__ == "__main__":
    os.makedirs(FIXTURES, exist_ok=True)
    for name, extension in CASES:
        with open(os.path.join(FIXTURES, f"{name}.{extension}"), "w", encoding="utf-8", newline="") as f:
            f.write(written(PROFILES[name], extension))
