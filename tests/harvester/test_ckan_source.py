"""A CKAN Action API double on 127.0.0.1: paging, metadata_modified
incrementality, the circuit breaker."""

import json
import os
import urllib.parse

from harvest_helpers import PLATFORMS, run_report, source_report, write_config

from sdm_harvester.store import Store


def package(n, modified="2026-10-01T00:00:00"):
    return {
        "id": f"id-{n:04d}",
        "name": f"ds-{n}",
        "title": f"降水观测数据 {n}",
        "notes": "逐日降水。",
        "metadata_modified": modified,
        "organization": {"title": "巴中市水文局"},
        "tags": [{"name": "降水"}],
        "extras": [{"key": "共享属性", "value": "无条件共享"}],
        "resources": [{"url": f"https://data.example.cn/{n}.csv", "format": "CSV"}],
    }


class Site:
    def __init__(self, packages):
        self.packages = packages

    def __call__(self, handler):
        query = {k: v[0] for k, v in urllib.parse.parse_qs(handler.path.partition("?")[2]).items()}
        ordered = sorted(self.packages, key=lambda p: p["id"])
        start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
        body = {"success": True, "result": {"count": len(ordered), "results": ordered[start : start + rows]}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False)


def config(tmp_path, server, **extra):
    return write_config(
        tmp_path, [{"name": "site", "type": "ckan", "url": server.url, "options": {"page_size": 2}, **extra}]
    )


def test_paged_search_maps_vanilla_ckan(tmp_path, server):
    server.routes["/api/3/action/package_search"] = Site([package(n) for n in range(5)])
    code, report = run_report(tmp_path, config(tmp_path, server))
    assert code == 0 and source_report(report, "site")["counts"]["new"] == 5
    assert [urllib.parse.parse_qs(q)["start"] for _, q, _ in server.requests] == [["0"], ["2"], ["4"]]
    store = Store(str(tmp_path / "data"))
    first = next(store.iter_datasets())
    store.close()
    assert first["title_translated"] == {"zh-Hans": "降水观测数据 0"}
    assert first["keywords_translated"] == {"zh-Hans": ["降水"]}
    assert first["sharing_attribute"] == "unconditional" and first["provider_unit"] == {"zh-Hans": "巴中市水文局"}
    assert first["name"] == "site-ds-0"


def test_unmodified_datasets_are_not_remapped(tmp_path, server):
    site = Site([package(n) for n in range(3)])
    server.routes["/api/3/action/package_search"] = site
    run_report(tmp_path, config(tmp_path, server))
    site.packages[1] = package(1, "2026-11-02T00:00:00") | {"title": "改名后的数据"}
    _, report = run_report(tmp_path, config(tmp_path, server))
    counts = source_report(report, "site")["counts"]
    assert (counts["unchanged"], counts["updated"], counts["new"]) == (2, 1, 0)


def test_circuit_breaker_withholds_mass_withdrawal(tmp_path, server):
    site = Site([package(n) for n in range(6)])
    server.routes["/api/3/action/package_search"] = site
    run_report(tmp_path, config(tmp_path, server))
    site.packages = site.packages[:2]  # the platform suddenly lists a third
    code, report = run_report(tmp_path, config(tmp_path, server))
    site_report = source_report(report, "site")
    assert code == 0 and site_report["counts"]["withdrawn"] == 0
    assert site_report["withdrawal"]["missing"] == 4 and "circuit breaker" in site_report["withdrawal"]["reason"]
    # a failing source withdraws nothing either
    server.routes["/api/3/action/package_search"] = (500, {}, "down")
    code, report = run_report(tmp_path, config(tmp_path, server))
    assert code == 1 and "failed" in source_report(report, "site")["withdrawal"]["reason"]
    # a lower threshold lets a deliberate cleanup through
    server.routes["/api/3/action/package_search"] = site
    code, report = run_report(tmp_path, config(tmp_path, server, withdraw_threshold=0.2))
    assert source_report(report, "site")["counts"]["withdrawn"] == 4


def test_not_ckan_answer_fails_the_source(tmp_path, server):
    server.routes["/api/3/action/package_search"] = (200, {}, "<html>portal</html>")
    code, report = run_report(tmp_path, config(tmp_path, server))
    assert code == 1 and "not a JSON answer" in source_report(report, "site")["errors"][0]


def test_bundled_dump_with_sdm_and_vanilla_datasets(tmp_path):
    url = "file://" + os.path.join(PLATFORMS, "ckan", "bazhong-water-datasets.jsonl")
    code, report = run_report(tmp_path, write_config(tmp_path, [{"name": "water", "type": "ckan", "url": url}]))
    assert code == 0 and source_report(report, "water")["counts"]["new"] == 3
    store = Store(str(tmp_path / "data"))
    held = {d["name"]: d for d in store.iter_datasets()}
    store.close()
    wells = held["water-bz-groundwater-wells"]
    assert wells["title_translated"]["en"] == "Groundwater levels of Bazhong monitoring wells"
    assert wells["fee_items"][0]["amount"] == "150"
    flood = held["water-bz-flood-marks"]
    assert (flood["disclosure"], flood["deferral_reason"]) == ("deferred", "monograph")
