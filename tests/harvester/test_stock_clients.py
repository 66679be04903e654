"""Stock CKAN clients against the project's CKAN (issue 15, part 4).

What ckanapi, ckanext-harvest's CKAN harvester and every generic CKAN
client send is core `title`/`notes` (datasets) and `title`/`description`
(organisations).  They are accepted: with no translated value, the core
text becomes the translated field, tagged by script (Chinese) or by
sdm_schema.lang.guess.  And a vanilla CKAN 2.11 site moves over with
ckanapi's own dump and load, the USCC being the one thing an administrator
must add to each organisation (the responsible unit's code, R1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ckan_sites import ActionFailed

CKANAPI = os.path.join(os.path.dirname(sys.executable), "ckanapi")
#: Codes of their own: the session's CKAN is shared, and an organisation is
#: found by its USCC.
USCC = {"water": "11510000MB0000030R", "meteo": "11510000MB0000040T"}
LOADED_USCC = {"water": "11510000MB0000050U", "meteo": "11510000MB0000060W"}


def test_plain_title_and_notes_become_the_translated_fields(ckan_sites):
    _, target = ckan_sites
    unit = target.action(
        "organization_create",
        name="sc-water",
        title="巴中市水利局",
        uscc=USCC["water"],
        description="负责全市水资源管理。",
    )
    assert unit["title_translated"] == {"zh-Hans": "巴中市水利局"} and unit["title"] == "巴中市水利局"
    assert unit["description"] == "负责全市水资源管理。"
    chinese = target.action(
        "package_create",
        name="sc-rain",
        owner_org=unit["id"],
        title="降水量逐日观测数据",
        notes="全市 42 个雨量站的逐日降水量。",
    )
    assert chinese["title_translated"] == {"zh-Hans": "降水量逐日观测数据"}
    assert chinese["notes_translated"] == {"zh-Hans": "全市 42 个雨量站的逐日降水量。"}
    assert (chinese["title"], chinese["notes"]) == ("降水量逐日观测数据", "全市 42 个雨量站的逐日降水量。")
    traditional = target.action("package_create", name="sc-bulletin", owner_org=unit["id"], title="巴中市水資源公報")
    assert traditional["title_translated"] == {"zh-Hans": "巴中市水资源公报", "zh-Hant": "巴中市水資源公報"}
    english = target.action(
        "package_create",
        name="sc-wells",
        owner_org=unit["id"],
        title="Groundwater levels of monitoring wells",
        notes="Hourly groundwater levels measured at thirty-six monitoring wells.",
    )
    assert english["title_translated"] == {"en": "Groundwater levels of monitoring wells"}
    assert english["notes_translated"] == {"en": "Hourly groundwater levels measured at thirty-six monitoring wells."}


def test_a_translated_value_given_wins_and_a_title_is_still_required(ckan_sites):
    _, target = ckan_sites
    unit = target.action("organization_create", name="sc-meteo", title="巴中市气象局", uscc=USCC["meteo"])
    both = target.action(
        "package_create",
        name="sc-temperature",
        owner_org=unit["id"],
        title="ignored",
        title_translated={"zh-Hans": "气温逐时观测数据", "en": "Hourly air temperature"},
    )
    assert both["title_translated"] == {"zh-Hans": "气温逐时观测数据", "en": "Hourly air temperature"}
    assert both["title"] == "气温逐时观测数据"  # the site's default language, from the translated value
    with pytest.raises(ActionFailed) as refused:
        target.action("package_create", name="sc-untitled", owner_org=unit["id"], notes="没有标题。")
    assert "title_translated" in refused.value.error
    with pytest.raises(ActionFailed) as refused:
        target.action("organization_create", name="sc-no-code", title="无代码单位")
    assert "uscc" in refused.value.error


def ckanapi(*args, stdin=None) -> subprocess.CompletedProcess:
    # ckanapi starts its workers as `ckanapi` from PATH
    env = {**os.environ, "PATH": os.path.dirname(CKANAPI) + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([CKANAPI, *args], capture_output=True, text=True, input=stdin, timeout=300, env=env)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def load(thing: str, into: list, lines: str, log) -> list:
    """`ckanapi load THING` from stdin; (action, error) per record, from its log."""
    ckanapi("load", thing, *into, "-l", str(log), stdin=lines)
    answers = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    log.unlink()
    return [(answer[2], answer[3]) for answer in answers]  # [time, finished, action, error, response]


def test_a_vanilla_site_moves_over_with_ckanapi_dump_and_load(ckan_sites, tmp_path):
    vanilla, target = ckan_sites
    for key, title in (("water", "巴中市水利局"), ("meteo", "巴中市气象局")):
        vanilla.action("organization_create", name=f"ld-{key}", title=title, description=f"{title}的数据。")
    vanilla.action(
        "package_create",
        name="ld-rain",
        owner_org="ld-water",
        title="降水量逐日观测数据",
        notes="全市 42 个雨量站的逐日降水量。",
        tags=[{"name": "降水"}],
        resources=[{"url": "https://data.example.cn/rain.csv", "format": "CSV", "name": "rain.csv"}],
    )
    vanilla.action(
        "package_create",
        name="ld-wells",
        owner_org="ld-water",
        license_id="cc-by",
        title="Groundwater levels of monitoring wells",
        notes="Hourly levels of 36 wells.",
    )
    vanilla.action("package_create", name="ld-temperature", owner_org="ld-meteo", title="气温逐时观测数据")
    remote = ["-r", vanilla.url, "-a", vanilla.token]
    orgs = ckanapi("dump", "organizations", "ld-water", "ld-meteo", *remote).stdout
    datasets = ckanapi("dump", "datasets", "ld-rain", "ld-wells", "ld-temperature", *remote).stdout

    # the administrator's one step: each unit's USCC (the vanilla site has none)
    lines = []
    for line in orgs.splitlines():
        org = json.loads(line)
        org["uscc"] = LOADED_USCC[org["name"].removeprefix("ld-")]
        org.pop("users", None)  # accounts are not moved by this dump
        lines.append(json.dumps(org, ensure_ascii=False))
    into = ["-r", target.url, "-a", target.token]
    log = tmp_path / "load.log"
    assert load("organizations", into, "\n".join(lines) + "\n", log) == [("create", None)] * 2
    assert load("datasets", into, datasets, log) == [("create", None)] * 3

    water = target.action("organization_show", id="ld-water")
    assert (water["title_translated"], water["uscc"]) == ({"zh-Hans": "巴中市水利局"}, LOADED_USCC["water"])
    rain = target.action("package_show", id="ld-rain")
    assert rain["id"] == vanilla.action("package_show", id="ld-rain")["id"]
    assert rain["owner_org"] == water["id"]
    assert rain["title_translated"] == {"zh-Hans": "降水量逐日观测数据"}
    assert rain["notes_translated"] == {"zh-Hans": "全市 42 个雨量站的逐日降水量。"}
    assert [r["url"] for r in rain["resources"]] == ["https://data.example.cn/rain.csv"]
    wells = target.action("package_show", id="ld-wells")
    assert wells["title_translated"] == {"en": "Groundwater levels of monitoring wells"}
    assert wells["license_id"] == "cc-by"
    assert target.action("package_show", id="ld-temperature")["organization"]["name"] == "ld-meteo"
    # loading the same dump again updates in place: nothing doubles
    assert load("datasets", into, datasets, log) == [("update", None)] * 3
    found = target.action("package_search", q="name:ld-*", include_private=True)
    assert found["count"] == 3
