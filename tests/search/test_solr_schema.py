"""schemas/solr/schema.xml: CKAN's shipped schema plus marked additions that
cover every field the search hooks write or query."""

import os
import re
import xml.etree.ElementTree as ET

import ckan

from ckanext.sdm import search
from sdm_schema import dataset_fields

# Deployed into Solr, not installed with the Python package: schemas/solr/.
OURS = os.path.join(os.path.dirname(__file__), "..", "..", "schemas", "solr", "schema.xml")
CKANS = os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml")
_ADDITION = re.compile(r"[ \t]*<!-- ===== ckanext-sdm additions.*?end of ckanext-sdm additions ===== -->\n", re.S)


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _fields():
    return {f.get("name"): f for f in ET.parse(OURS).getroot().iter("field")}


def test_it_is_ckans_schema_plus_the_marked_additions():
    assert _ADDITION.sub("", _read(OURS)) == _read(CKANS)


def test_every_query_field_exists():
    fields = _fields()
    for item in search.query_fields("zh").split():
        assert item.split("^")[0] in fields


def test_every_field_of_several_codes_is_multivalued():
    fields = _fields()
    for field in dataset_fields():
        if field.kind == "codes":
            assert fields[field.name].get("multiValued") == "true", field.name
