"""End to end against real CKAN servers: a vanilla CKAN 2.11 department
platform harvested into the store and loaded into the project's CKAN
(`--target ckan`): organisations by USCC, provenance, no writes when nothing
changed, withdrawals, and classified records that never reach the target."""

import json

import pytest
from ckan_sites import ActionFailed
from harvest_helpers import run_report, sdm_harvest, source_report, write_config
from scale_services import pg_url, redis_url, scale_services  # noqa: F401 (fixtures)

from sdm_harvester.store import Store, dataset_id

WATER_USCC, METEO_USCC = (
    "11510000MB0000080Y",
    "11510000MB0000070X",
)  # not the sample platforms' codes: the target is shared


def seed(vanilla, prefix):
    """Two organisations of a department platform and their datasets."""
    for org, title in (("water", "巴中市水利局"), ("meteo", "巴中市气象局")):
        vanilla.action("organization_create", name=f"{prefix}-{org}", title=title)
    datasets = {
        "rain": dict(
            title="降水量逐日观测数据",
            notes="全市 42 个雨量站的逐日降水量。",
            tags=[{"name": "降水"}],
            extras=[{"key": "共享属性", "value": "无条件共享"}, {"key": "更新周期", "value": "每日"}],
        ),
        "wells": dict(
            title="Groundwater levels of monitoring wells",
            notes="Hourly levels of 36 wells.",
            tags=[{"name": "groundwater"}],
            license_id="cc-by",
            resources=[{"url": "https://data.example.cn/wells.csv", "format": "CSV"}],
        ),
        "bulletin": dict(title="巴中市水資源公報", notes="年度水資源統計。"),
        "intake": dict(
            title="水源地安全防护数据", extras=[{"key": "涉密属性", "value": "涉密"}, {"key": "密级", "value": "秘密"}]
        ),
    }
    for key, fields in datasets.items():
        vanilla.action("package_create", name=f"{prefix}-{key}", owner_org=f"{prefix}-water", **fields)
    vanilla.action(
        "package_create",
        name=f"{prefix}-temperature",
        owner_org=f"{prefix}-meteo",
        title="气温逐时观测数据",
        extras=[{"key": "共享属性", "value": "无条件共享"}],
    )


def sources(vanilla, prefix):
    return [
        {
            "name": f"{prefix}-water",
            "type": "ckan",
            "url": vanilla.url,
            "options": {"fq": f"organization:{prefix}-water", "page_size": 2},
            "department": {"uscc": WATER_USCC, "name": {"zh-Hans": "巴中市水利局", "en": "Bazhong Water Bureau"}},
        },
        {
            "name": f"{prefix}-meteo",
            "type": "ckan",
            "url": vanilla.url,
            "options": {"fq": f"organization:{prefix}-meteo"},
            "department": {"uscc": METEO_USCC, "name": {"zh-Hans": "巴中市气象局", "en": "Bazhong Meteorology"}},
        },
    ]


def harvest_into(target, tmp_path, config):
    return run_report(
        tmp_path,
        config,
        "--target",
        "ckan",
        "--ckan-url",
        target.url,
        "--ckan-token-env",
        "TEST_TARGET_TOKEN",
        env={"TEST_TARGET_TOKEN": target.token},
    )


def upstream_id(vanilla, name):
    return vanilla.action("package_show", id=name)["id"]


def test_vanilla_ckan_into_the_store(ckan_sites, tmp_path):
    vanilla, _ = ckan_sites
    seed(vanilla, "st")
    code, report = run_report(tmp_path, write_config(tmp_path, sources(vanilla, "st")))
    water = source_report(report, "st-water")
    assert code == 0 and water["counts"]["new"] == 3 and water["counts"]["classified"] == 1
    assert water["target"] is None
    store = Store(str(tmp_path / "data"))
    held = {d["name"]: d for d in store.iter_datasets()}
    store.close()
    assert set(held) == {"st-water-st-rain", "st-water-st-wells", "st-water-st-bulletin", "st-meteo-st-temperature"}
    rain = held["st-water-st-rain"]
    assert rain["title_translated"] == {"zh-Hans": "降水量逐日观测数据"}
    assert (rain["sharing_attribute"], rain["update_cycle"]) == ("unconditional", "daily")
    assert rain["provider_unit"] == {"zh-Hans": "巴中市水利局"}
    assert held["st-water-st-wells"]["title_translated"] == {"en": "Groundwater levels of monitoring wells"}
    assert held["st-water-st-wells"]["resources"] == [{"url": "https://data.example.cn/wells.csv", "format": "CSV"}]
    bulletin = held["st-water-st-bulletin"]["title_translated"]
    assert bulletin["zh-Hant"] == "巴中市水資源公報" and bulletin["zh-Hans"] == "巴中市水资源公报"
    assert rain["harvest_identifier"] == upstream_id(vanilla, "st-rain")


def test_load_into_ckan_target(ckan_sites, tmp_path):
    vanilla, target = ckan_sites
    seed(vanilla, "tg")
    # the water bureau already has an organisation, under a name of its own
    existing = target.action(
        "organization_create",
        name="bazhong-water-bureau",
        uscc=WATER_USCC,
        title_translated={"zh-Hans": "巴中市水利局", "en": "Bazhong Water Bureau"},
    )
    config = write_config(tmp_path, sources(vanilla, "tg"))

    code, report = harvest_into(target, tmp_path, config)
    assert code == 0, [(s["name"], s["errors"], s.get("invalid"), s.get("target")) for s in report["sources"]]
    water, meteo = source_report(report, "tg-water"), source_report(report, "tg-meteo")
    assert water["target"] == {"created": 3, "updated": 0, "withdrawn": 0, "failed": 0}
    assert meteo["target"]["created"] == 1

    def shown(key):
        return target.action(
            "package_show",
            id=dataset_id(f"tg-{'meteo' if key == 'temperature' else 'water'}", upstream_id(vanilla, f"tg-{key}")),
        )

    rain = shown("rain")
    assert rain["name"] == "tg-water-tg-rain" and rain["owner_org"] == existing["id"]
    assert (rain["harvest_source"], rain["harvest_identifier"]) == ("tg-water", upstream_id(vanilla, "tg-rain"))
    assert rain["title"] == "降水量逐日观测数据" and rain["sharing_attribute"] == "unconditional"
    created_org = target.action("organization_show", id=shown("temperature")["owner_org"])
    assert created_org["uscc"] == METEO_USCC and created_org["name"] == "uscc-" + METEO_USCC.lower()
    assert created_org["title_translated"] == {"zh-Hans": "巴中市气象局", "en": "Bazhong Meteorology"}

    # the classified record stays home: not in the target, by id or by search
    with pytest.raises(ActionFailed):
        shown("intake")
    found = target.action("package_search", q="*:*", fq="harvest_source:tg-water", include_private=True, rows=50)
    assert sorted(d["name"] for d in found["results"]) == [
        "tg-water-tg-bulletin",
        "tg-water-tg-rain",
        "tg-water-tg-wells",
    ]

    # nothing changed upstream: no write reaches the target
    before = {key: shown(key)["metadata_modified"] for key in ("rain", "wells", "bulletin", "temperature")}
    code, report = harvest_into(target, tmp_path, config)
    assert code == 0
    for name in ("tg-water", "tg-meteo"):
        assert source_report(report, name)["target"] == {"created": 0, "updated": 0, "withdrawn": 0, "failed": 0}
    assert {key: shown(key)["metadata_modified"] for key in before} == before

    # upstream: one retitled, one deleted, one turned classified
    vanilla.action("package_patch", id="tg-wells", title="Groundwater levels of 36 monitoring wells")
    vanilla.action("package_delete", id="tg-rain")
    vanilla.action("package_patch", id="tg-bulletin", extras=[{"key": "涉密属性", "value": "涉密"}])
    code, report = harvest_into(target, tmp_path, config)
    assert code == 0
    assert source_report(report, "tg-water")["target"] == {"created": 0, "updated": 1, "withdrawn": 2, "failed": 0}
    assert shown("wells")["title_translated"] == {"en": "Groundwater levels of 36 monitoring wells"}
    assert shown("rain")["state"] == "deleted" and shown("bulletin")["state"] == "deleted"
    assert shown("temperature")["metadata_modified"] == before["temperature"]


def test_target_needs_its_token_from_the_environment(tmp_path):
    config = write_config(tmp_path, [{"name": "site", "type": "ckan", "url": "http://127.0.0.1:9"}])
    result = sdm_harvest(
        "run",
        "--config",
        config,
        "--data-dir",
        str(tmp_path / "d"),
        "--target",
        "ckan",
        "--ckan-url",
        "http://127.0.0.1:9",
        env={"SDM_CKAN_TOKEN": ""},
    )
    assert result.returncode == 2 and "$SDM_CKAN_TOKEN" in result.stderr
    assert not (tmp_path / "d").exists()


def test_workers_load_into_the_target_each_with_its_own_token(ckan_sites, tmp_path, pg_url, redis_url):
    """`enqueue --target ckan`: the job names where the token is, never the
    token; a worker with it loads as `run --target` does, one without it
    fails the job, saying which variable to set."""
    from redis import Redis
    from rq import Queue

    from sdm_harvester.workqueue import QUEUE

    vanilla, target = ckan_sites
    seed(vanilla, "wk")
    config, data = write_config(tmp_path, sources(vanilla, "wk")), str(tmp_path / "data")

    def enqueue():
        queued = sdm_harvest(
            "enqueue", "--config", config, "--data-dir", data, "--store", pg_url, "--redis", redis_url, "--force",
            "--retries", "0", "--target", "ckan", "--ckan-url", target.url, "--ckan-token-env", "TEST_TARGET_TOKEN",
        )  # fmt: skip
        assert queued.returncode == 0, queued.stderr
        return Queue(QUEUE, connection=Redis.from_url(redis_url)).get_jobs()

    def work(**env):
        worked = sdm_harvest("worker", "--redis", redis_url, "--data-dir", data, "--burst", env=env)
        assert worked.returncode == 0, worked.stderr

    jobs = enqueue()
    assert {job.kwargs["source_name"] for job in jobs} == {"wk-water", "wk-meteo"}
    for job in jobs:
        assert job.kwargs["target"] == {"kind": "ckan", "url": target.url, "token_env": "TEST_TARGET_TOKEN"}
        assert target.token not in repr(job.kwargs)
    work(TEST_TARGET_TOKEN=target.token)
    found = target.action("package_search", q="*:*", fq="harvest_source:wk-water", include_private=True, rows=50)
    assert sorted(d["name"] for d in found["results"]) == [
        "wk-water-wk-bulletin",
        "wk-water-wk-rain",
        "wk-water-wk-wells",
    ]
    meteo = target.action("package_show", id=dataset_id("wk-meteo", upstream_id(vanilla, "wk-temperature")))
    assert target.action("organization_show", id=meteo["owner_org"])["uscc"] == METEO_USCC

    vanilla.action("package_patch", id="wk-wells", title="Groundwater levels of 40 monitoring wells")
    enqueue()
    work()  # this worker's environment lacks the token
    status = json.loads(
        sdm_harvest("status", "--data-dir", data, "--store", pg_url, "--redis", redis_url, "--json").stdout
    )
    errors = [job["error"] for job in status["queues"][QUEUE]["failed"]]
    assert len(errors) == 2 and all("$TEST_TARGET_TOKEN" in error for error in errors), errors
    wells = target.action("package_show", id=dataset_id("wk-water", upstream_id(vanilla, "wk-wells")))
    assert wells["title_translated"] == {"en": "Groundwater levels of monitoring wells"}  # nothing loaded without it
