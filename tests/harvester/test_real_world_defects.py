"""One test per defect of issue 14 that the corpus test does not single out
(numbered as in the issue): each input is the smallest real-shaped record
that showed the defect, run through the real pipeline and publisher."""

from __future__ import annotations

import json
import os

from harvest_helpers import DEPARTMENT

from sdm_harvester import config, pipeline
from sdm_harvester.publish import publish
from sdm_harvester.store import Store, now_iso


def harvest(tmp_path, sources) -> tuple[Store, dict]:
    cfg = config.from_dict({"sources": [{"department": DEPARTMENT, **s} for s in sources]})
    store = Store(str(tmp_path / "data"))
    report = pipeline.run(cfg, store, store.start_run(now_iso()), pipeline.Options(force=True))
    return store, {s.name: s for s in report.sources}


def ckan_dump(tmp_path, packages, name="dump.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in packages), encoding="utf-8")
    return path.as_uri()


def package(n: int, **fields) -> dict:
    return {"id": f"id-{n}", "name": f"ds-{n}", "title": f"降水观测数据 {n}", "notes": "逐日降水。", **fields}


def test_1_a_legacy_list_licence_extra_freezes_no_feed(tmp_path):
    url = ckan_dump(tmp_path, [package(1, extras=[{"key": "licence", "value": "[]"}]), package(2)])
    store, reports = harvest(tmp_path, [{"name": "legacy", "type": "ckan", "url": url}])
    assert reports["legacy"].counts["failed"] == 0
    summary = publish(store.iter_datasets(), str(tmp_path / "feeds"), catalog_info={"base_url": "https://x.example"})
    store.close()
    assert summary["skipped"] == []
    feed = (tmp_path / "feeds" / "national" / "catalog.ttl").read_text(encoding="utf-8")
    assert "降水观测数据 1" in feed and "降水观测数据 2" in feed
    assert not [n for n in os.listdir(tmp_path / "feeds") if n.endswith(".new")]


def test_2_a_string_organisation_and_packages_without_id(tmp_path):
    packages = [package(1, organization="bazhong-water"), package(2)]
    packages += [{k: v for k, v in package(n).items() if k != "id"} for n in (3, 4)]
    store, reports = harvest(tmp_path, [{"name": "odd", "type": "ckan", "url": ckan_dump(tmp_path, packages)}])
    counts = reports["odd"].counts
    assert (counts["new"], counts["failed"], counts["invalid"]) == (4, 0, 0), reports["odd"].errors
    assert not [e for e in reports["odd"].errors if "internal error" in e]
    held = {d["harvest_identifier"] for d in store.iter_datasets()}
    store.close()
    assert held == {"id-1", "id-2", "ds-3", "ds-4"}  # the name identifies a package without an id


PAGE = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://x.example/catalog> a dcat:Catalog ; {members} .
{datasets}
"""


def dcat_page(tmp_path, numbers) -> str:
    members = " ; ".join(f"dcat:dataset <https://x.example/d/{n}>" for n in numbers)
    datasets = "\n".join(
        f'<https://x.example/d/{n}> a dcat:Dataset ; dct:title "Daily rainfall at station {n}"@en ;'
        f" dct:relation <https://x.example/related/{n}> ; dcat:distribution <https://x.example/d/{n}/file> ."
        f'\n<https://x.example/d/{n}/file> dcat:accessURL "not an address" ; dct:format [ ] .'
        for n in numbers
    )
    # a related node typed as a dataset that nothing identifies: a blank
    # node without a dct:identifier (the series a dataset belongs to)
    datasets += '\n<https://x.example/d/1> dct:isPartOf [ a dcat:Dataset ; dct:title "Station series"@en ] .'
    path = tmp_path / "catalog.ttl"
    path.write_text(PAGE.format(members=members, datasets=datasets), encoding="utf-8")
    return path.as_uri()


def test_12_an_unreadable_related_node_does_not_stop_withdrawals(tmp_path):
    url = dcat_page(tmp_path, range(1, 7))
    source = [{"name": "cat", "type": "dcat", "url": url}]
    store, reports = harvest(tmp_path, source)
    counts = reports["cat"].counts
    assert (counts["new"], counts["invalid"], counts["failed"]) == (6, 1, 0)  # the series node is refused
    assert reports["cat"].status == "ok"
    store.close()
    dcat_page(tmp_path, range(1, 6))  # dataset 6 really vanished
    store, reports = harvest(tmp_path, source)
    withdrawn = [d["id"] for d in store.iter_withdrawn()]
    store.close()
    assert reports["cat"].withdrawal.get("applied"), reports["cat"].withdrawal
    assert reports["cat"].counts["withdrawn"] == 1 and len(withdrawn) == 1


def test_14_international_phones_and_unmapped_ckan_fields(tmp_path):
    packages = [
        package(
            1,
            extras=[{"key": "联系电话", "value": "+49 40 123 45678"}, {"key": "data_steward_room", "value": "B-204"}],
            custom_score=7,
        ),
        package(2, extras=[{"key": "联系电话", "value": "+86-10-68792345"}]),
    ]
    store, reports = harvest(tmp_path, [{"name": "phones", "type": "ckan", "url": ckan_dump(tmp_path, packages)}])
    report = reports["phones"]
    assert (report.counts["new"], report.counts["invalid"]) == (2, 0)
    phones = {d["harvest_identifier"]: d.get("contact_phone") for d in store.iter_datasets()}
    store.close()
    assert phones == {"id-1": "+49 40 123 45678", "id-2": "+86-10-68792345"}  # kept as given
    assert report.unmapped == {"custom_score": 1, "extras.data_steward_room": 1}
    assert any("data_steward_room" in w for w in report.warnings)


def test_15_catalogue_codes_outside_gbt_21063_are_flagged_not_refused(tmp_path):
    rows = ["资源代码,资源名称,摘要,共享属性,开放属性,涉密属性"]
    rows += [f"BZ-HB-000{n},巴中市环境监测数据 {n},月度监测结果。,无条件共享,无条件开放,非涉密" for n in range(1, 5)]
    path = tmp_path / "catalogue.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store, reports = harvest(tmp_path, [{"name": "bz", "type": "spreadsheet", "url": path.as_uri()}])
    report = reports["bz"]
    assert (report.counts["new"], report.counts["invalid"], report.counts["flagged"]) == (4, 0, 4)
    held = {d["harvest_identifier"]: d for d in store.iter_datasets()}
    store.close()
    assert sorted(held) == [f"BZ-HB-000{n}" for n in range(1, 5)]
    flags = held["BZ-HB-0001"]["quality_flags"]
    assert [(f["field"], f.get("value")) for f in flags] == [("resource_code", "BZ-HB-0001")]
    assert "resource_code" not in held["BZ-HB-0001"]  # the bad value is dropped, kept raw in the flag
    assert report.flagged_by_department == {held["BZ-HB-0001"]["owner_org"]: 4}
