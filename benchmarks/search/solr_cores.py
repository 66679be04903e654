"""Scratch cores on the running harness Solr (dev/services.sh), for the
search benchmarks: the shipped schema.xml with its Chinese field type
swapped for the analyser under test, the shipped synonyms and solrconfig.

The cores live in the Solr home dev/services.sh builds ($SDM_RUN_DIR/solr)
and are unloaded, their files deleted, when the benchmark ends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.environ.get("SDM_RUN_DIR") or os.path.join(ROOT, ".run")
SOLR = f"http://127.0.0.1:{os.environ.get('SDM_SOLR_PORT', '58983')}/solr"
_TEXT_ZH = re.compile(r'    <fieldType name="text_zh".*?</fieldType>\n', re.S)


def _call(path: str, params=None, body=None) -> dict:
    query = urllib.parse.urlencode({**(params or {}), "wt": "json"}, doseq=True)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{SOLR}/{path}?{query}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.load(response)


def solr_version() -> str:
    return _call("admin/info/system")["lucene"]["solr-spec-version"]


def create(name: str, text_zh: str | None = None) -> Core:
    """A core `name` whose text_zh type is `text_zh` (a <fieldType>), or the shipped one."""
    home = os.path.join(RUN, "solr")
    if not os.path.isdir(home):
        raise SystemExit(f"no Solr home at {home}: start the services first (dev/services.sh up)")
    conf = os.path.join(home, name, "conf")
    shutil.rmtree(os.path.join(home, name), ignore_errors=True)
    os.makedirs(conf)
    with open(os.path.join(ROOT, "schemas", "solr", "schema.xml"), encoding="utf-8") as f:
        schema = f.read()
    if text_zh is not None:
        schema, n = _TEXT_ZH.subn(lambda m: text_zh, schema)
        assert n == 1, "schema.xml: no text_zh field type to replace"
    with open(os.path.join(conf, "schema.xml"), "w", encoding="utf-8") as f:
        f.write(schema)
    for txt in ("synonyms.txt", "protwords.txt"):
        shutil.copy(os.path.join(ROOT, "schemas", "solr", txt), conf)
    shutil.copy(os.path.join(ROOT, "dev", "solr", "solrconfig.xml"), conf)
    _call("admin/cores", {"action": "CREATE", "name": name, "instanceDir": name})
    return Core(name, os.path.join(home, name))


class Core:
    def __init__(self, name: str, path: str):
        self.name, self.path = name, path

    def add(self, docs: list) -> None:
        _call(f"{self.name}/update", {"commit": "true"}, docs)

    def select(self, params: dict) -> dict:
        return _call(f"{self.name}/select", params)

    def drop(self) -> None:
        _call("admin/cores", {"action": "UNLOAD", "core": self.name, "deleteInstanceDir": "true"})
        shutil.rmtree(self.path, ignore_errors=True)
