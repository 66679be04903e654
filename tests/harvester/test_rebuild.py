"""Rebuild from the public exports (R10): `sdm-harvest rebuild` harvests a
catalogue back from its national feed alone.

The original catalogue holds a record of every disclosure state: open,
deferred, conditional, not open, and classified (counted, never stored).
It is published; the rebuild reads only the published national feed into
an empty data directory.  Every public field of every record the feed may
carry comes back identical, field by field (the federation chain's own
comparison); and the rebuild names exactly what it could not bring back.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest
import yaml
from harvest_helpers import ROOT, sdm_harvest
from test_federation_chain import NATION, _diff, _seen_by_government

from sdm_harvester import rebuild
from sdm_harvester.store import Store
from sdm_schema import disclosure

HEADER = (pathlib.Path(ROOT) / "examples/platforms/spreadsheet/bazhong-natural-resources.csv").read_text("utf-8")
#: The one state the sample platforms lack: open to no one, not classified.
NOT_OPEN_ROW = (
    "511900001/00006,巴中市不动产登记明细,巴中市自然资源和规划局,全市不动产登记明细数据。,不动产、登记,170,"
    "库表,每月,有条件共享,仅向政务部门共享,不予开放,,,,涉及个人信息,非涉密,,,重要数据,离线共享,公开,,,"
    "赵强,0827-5262222,,"
)
BASE = "https://city.example.cn"


def _original_config(tmp_path: pathlib.Path) -> str:
    """The sample department platforms, plus a not-open record."""
    closed = tmp_path / "closed.csv"
    closed.write_text(HEADER.splitlines()[0] + "\n" + NOT_OPEN_ROW + "\n", encoding="utf-8")
    text = (pathlib.Path(ROOT) / "examples" / "harvest.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text.replace("@EXAMPLES@", os.path.join(ROOT, "examples")))
    config["sources"].append(
        {
            "name": "closed-registry",
            "type": "spreadsheet",
            "url": closed.as_uri(),
            "department": next(s for s in config["sources"] if s["name"] == "bazhong-natural-resources")["department"],
        }
    )
    path = tmp_path / "original.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return str(path)


def _records(data_dir: pathlib.Path) -> dict:
    """The publishable records by the IRI they are published under (as the
    federation chain reads its levels: a record of its own gets BASE's)."""
    store = Store(str(data_dir))
    try:
        return {d.get("uri") or f"{BASE}/dataset/{d['id']}": d for d in store.iter_datasets()}
    finally:
        store.close()


def _ok(*args):
    result = sdm_harvest(*args)
    assert result.returncode == 0, (args[0], result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rebuild")
    original, feeds, again = tmp / "original", tmp / "feeds", tmp / "rebuilt"
    report = tmp / "original-report.json"
    _ok("run", "--config", _original_config(tmp), "--data-dir", str(original), "--force", "--report", str(report))
    _ok("publish", "--data-dir", str(original), "--out", str(feeds), "--base-url", BASE)
    lost = tmp / "lost.json"
    feed = str(feeds / "national" / "catalog.ttl")
    result = _ok(
        "rebuild",
        "--from",
        feed,
        "--department",
        NATION["uscc"],
        "--department-name",
        NATION["name"]["zh-Hans"],
        "--data-dir",
        str(again),
        "--lost",
        str(lost),
    )
    return {
        "original": _records(original),
        "classified": json.loads(report.read_text(encoding="utf-8"))["totals"]["classified"],
        "rebuilt": _records(again),
        "lost": json.loads(lost.read_text(encoding="utf-8")),
        "stdout": result.stdout,
        "feed": feed,
        "data_dir": again,
    }


def test_the_fixture_holds_every_disclosure_state(rebuilt):
    reasons = {disclosure.decide(r, disclosure.GOVERNMENT).reason for r in rebuilt["original"].values()}
    assert {None, disclosure.DEFERRED, disclosure.CONDITIONAL, disclosure.NOT_OPEN} <= reasons
    assert rebuilt["classified"] >= 1


def test_every_public_field_comes_back(rebuilt):
    """Field by field, as the national feed's audience may see the original."""
    assert len(rebuilt["rebuilt"]) == len(rebuilt["original"])
    assert _diff(_seen_by_government(rebuilt["original"]), rebuilt["rebuilt"]) == []


def test_it_names_every_dataset_whose_files_were_withheld(rebuilt):
    withheld = {
        iri
        for iri, record in rebuilt["original"].items()
        if record.get("resources") and not disclosure.decide(record, disclosure.GOVERNMENT).resources
    }
    assert withheld
    listed = {item["iri"]: item for item in rebuilt["lost"]["withheld_files"]}
    assert withheld <= set(listed)
    for iri in withheld:
        assert not rebuilt["rebuilt"][iri].get("resources")
        assert iri in rebuilt["stdout"]
    # and nothing it could bring back is called lost
    assert all(not rebuilt["rebuilt"][iri].get("resources") for iri in listed)


def test_it_says_what_no_feed_carries(rebuilt):
    codes = [item["code"] for item in rebuilt["lost"]["not_recoverable"]]
    assert codes == [code for code, _ in rebuild.NEVER_PUBLISHED]
    assert {"classified_and_private", "access_requests", "certificates", "audit", "blacklist"} <= set(codes)
    for _, what in rebuild.NEVER_PUBLISHED:
        assert what in rebuilt["stdout"]
    assert rebuilt["lost"]["rebuilt"] == len(rebuilt["rebuilt"])
    assert rebuilt["lost"]["disclosure"]["not_open"] >= 1


def test_a_store_that_holds_records_is_refused(rebuilt):
    refused = sdm_harvest(
        "rebuild", "--from", rebuilt["feed"], "--department", NATION["uscc"], "--data-dir", str(rebuilt["data_dir"])
    )
    assert refused.returncode == 2 and "already holds records" in refused.stderr
    missing = sdm_harvest("rebuild", "--from", "/nonexistent/catalog.ttl", "--department", NATION["uscc"])
    assert missing.returncode == 2 and "/nonexistent/catalog.ttl: no such file" in missing.stderr


def test_an_embargo_that_ended_after_publication_is_named_too():
    """Published while deferred (no files), read back after its date: the
    policy would now show files, but the feed had none to carry."""
    lapsed = {"uri": "https://a.example.cn/d/1", "disclosure": "deferred", "embargo_until": "2020-01-01"}
    opened = {**lapsed, "uri": "https://a.example.cn/d/2", "resources": [{"url": "https://a.example.cn/f.csv"}]}
    plain = {"uri": "https://a.example.cn/d/3"}
    listed = rebuild.withheld_files([lapsed, opened, plain])
    assert [(item["iri"], item["reason"]) for item in listed] == [(lapsed["uri"], disclosure.DEFERRED)]
