"""Fixtures for the Solr double's own tests (no CKAN needed)."""

import importlib.util
import os
import threading

import pytest

from .index import Index
from .schema import Schema
from .server import SolrDouble



def _ckan_schema_path():
    spec = importlib.util.find_spec("ckan")  # located, not imported
    if spec is None:
        return None
    return os.path.join(os.path.dirname(spec.origin), "config", "solr",
                        "schema.xml")


# A tiny schema exercising the CJK chain and StandardTokenizer.
CJK_SCHEMA = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="cjk-test" version="1.6">
  <fieldType name="string" class="solr.StrField" sortMissingLast="true"/>
  <fieldType name="text_std" class="solr.TextField" positionIncrementGap="100">
    <analyzer>
      <tokenizer class="solr.StandardTokenizerFactory"/>
      <filter class="solr.LowerCaseFilterFactory"/>
    </analyzer>
  </fieldType>
  <fieldType name="text_cjk" class="solr.TextField" positionIncrementGap="100">
    <analyzer>
      <tokenizer class="solr.StandardTokenizerFactory"/>
      <filter class="solr.CJKWidthFilterFactory"/>
      <filter class="solr.LowerCaseFilterFactory"/>
      <filter class="solr.CJKBigramFilterFactory"/>
    </analyzer>
  </fieldType>
  <field name="id" type="string" indexed="true" stored="true" required="true"/>
  <field name="std" type="text_std" indexed="true" stored="true"/>
  <field name="cjk" type="text_cjk" indexed="true" stored="true"/>
  <uniqueKey>id</uniqueKey>
</schema>
"""


@pytest.fixture(scope="session")
def ckan_schema_path():
    path = _ckan_schema_path()
    if path is None:
        pytest.skip("CKAN is not installed; its schema.xml is unavailable")
    return path


@pytest.fixture(scope="session")
def ckan_schema(ckan_schema_path):
    return Schema(ckan_schema_path)


@pytest.fixture
def cjk_schema(tmp_path):
    path = tmp_path / "schema.xml"
    path.write_text(CJK_SCHEMA, encoding="utf-8")
    return Schema(str(path))


@pytest.fixture
def ckan_index(ckan_schema):
    return Index(ckan_schema)


@pytest.fixture
def server(ckan_schema):
    """A running double on a free port; yields its core URL."""
    httpd = SolrDouble(("127.0.0.1", 0), "ckan", Index(ckan_schema))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd.base_url
    httpd.shutdown()
    httpd.server_close()
