"""The HTTP contract, exercised through pysolr as CKAN uses it."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

pysolr = pytest.importorskip("pysolr")

RUN_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py")


def get_json(url):
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_pysolr_round_trip(server):
    solr = pysolr.Solr(server)
    # CKAN's add: a JSON array of documents with commit=true.
    solr.add([{"index_id": "a", "id": "a", "site_id": "default",
               "name": "alpha", "title": "Alpha climates", "tags": ["x", "y"],
               "state": "active", "metadata_modified": "2024-02-01T00:00:00Z"}],
             commit=True)
    result = solr.search("climate", defType="edismax", qf="title^4 text",
                         fl="id name score", fq='+site_id:"default"')
    assert result.hits == 1
    assert result.docs[0]["name"] == "alpha"
    # XML path (pysolr uses it when boosts are given); boosts are ignored.
    solr.add([{"index_id": "b", "id": "b", "site_id": "default",
               "name": "beta", "title": "Beta"}], boost={"title": 2.0},
             commit=True)
    assert solr.search("*:*").hits == 2
    solr.delete(q='+site_id:"default"', commit=True)
    assert solr.search("*:*", rows=0).hits == 0


def test_ping_and_schema(server, ckan_schema_path):
    assert '"OK"' in pysolr.Solr(server).ping()
    with urllib.request.urlopen(server + "/schema?wt=schema.xml") as response:
        with open(ckan_schema_path, "rb") as handle:
            assert response.read() == handle.read()
    status, body = get_json(server + "/schema/fields/index_id")
    assert status == 200 and body["field"]["type"] == "string"
    with urllib.request.urlopen(server + "/admin/file/?file=schema.xml") as response:
        assert b'name="ckan-2.11"' in response.read()


def test_errors_are_solr_json(server):
    status, body = get_json(server + "/select?q=title:(oops&wt=json")
    assert status == 400
    assert body["error"]["code"] == 400
    assert "Cannot parse" in body["error"]["msg"]
    status, _ = get_json(server + "/nope")
    assert status == 404


def test_long_queries_are_posted(server):
    solr = pysolr.Solr(server)
    fq = "+permission_labels:(%s)" % " OR ".join(
        '"member-%d"' % n for n in range(100))
    assert solr.search("*:*", fq=fq).hits == 0  # > 1024 chars: a POST


def test_run_py_starts_by_path(ckan_schema_path):
    process = subprocess.Popen(
        [sys.executable, RUN_PY, "--port", "0", "--core", "ckan",
         "--schema", ckan_schema_path], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        status, body = get_json(url + "/admin/ping?wt=json")
        assert status == 200 and body["status"] == "OK"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_run_py_rejects_unemulated_schema(tmp_path):
    schema = tmp_path / "schema.xml"
    schema.write_text('<schema name="x"><fieldType name="p" '
                      'class="solr.LatLonPointSpatialField"/></schema>')
    result = subprocess.run([sys.executable, RUN_PY, "--schema", str(schema)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "LatLonPointSpatialField" in result.stderr


def test_data_file_survives_restart(ckan_schema_path, tmp_path):
    data = tmp_path / "index.json"
    from .index import Index
    from .schema import Schema
    schema = Schema(ckan_schema_path)
    first = Index(schema, str(data))
    first.add([{"index_id": "a", "id": "a", "site_id": "default"}])
    first.commit()
    assert list(Index(schema, str(data)).snapshot.docs) == ["a"]
