"""Federation that loses nothing: department platforms → city → province → nation.

The city harvests the bundled sample platforms (examples/platforms/) and
publishes; the province harvests the city's national feed, and the water
centre's platform directly (the same datasets by a second path), and
publishes; the nation harvests the province's feed.  Every level is the real
`sdm-harvest run` and `publish`.  The records are compared field by field
at every level: every public SDM field, the responsible unit with its USCC,
the IRI and identifiers, the disclosure state and both languages.
"""

from __future__ import annotations

import json
import os
import pathlib
import time

import pytest
import requests
import yaml
from harvest_helpers import ROOT, sdm_harvest

from sdm_harvester.store import Store
from sdm_schema import dataset_fields, disclosure
from sdm_schema.rdf import parse

CITY = {"uscc": "11510000MB0000002W", "name": {"zh-Hans": "巴中市自然资源和规划局", "en": "Bazhong NR"}}
PROVINCE = {
    "uscc": "11510000MB0000009J",
    "name": {"zh-Hans": "四川省科学技术厅", "en": "Sichuan Department of Science and Technology"},
}
NATION = {"uscc": "11100000MB0000001T", "name": {"zh-Hans": "国家科学数据中心", "en": "National Science Data Centre"}}
#: What differs by design from one catalogue to the next: its own URL name,
#: its own organisation slug and source name, its harvester's notes on what
#: it read (quality flags), and the provenance, which grows by one harvest
#: per level (checked on its own below).
LOCAL = {"name", "owner_org", "harvest_source", "harvest_identifier", "quality_flags", "provenance"}
COMPARED = [f.name for f in dataset_fields() if f.name not in LOCAL and not f.from_field]
TAG_FIELDS = [f.name for f in dataset_fields() if f.kind == "translated_tags"]


def _config(tmp_path: pathlib.Path, name: str, sources: list) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    return str(path)


def _city_config(tmp_path) -> str:
    text = (pathlib.Path(ROOT) / "examples" / "harvest.yaml").read_text(encoding="utf-8")
    path = tmp_path / "city.yaml"
    path.write_text(text.replace("@EXAMPLES@", os.path.join(ROOT, "examples")), encoding="utf-8")
    return str(path)


def _water_source() -> dict:
    sample = yaml.safe_load((pathlib.Path(ROOT) / "examples" / "harvest.yaml").read_text(encoding="utf-8"))
    water = next(s for s in sample["sources"] if s["name"] == "bazhong-water")
    return {**water, "url": water["url"].replace("@EXAMPLES@", os.path.join(ROOT, "examples"))}


def _feed_source(name: str, level: pathlib.Path, department: dict) -> dict:
    return {
        "name": name,
        "type": "dcat",
        "url": (level / "feeds" / "national" / "catalog.ttl").as_uri(),
        "department": department,
    }


def _harvest(tmp: pathlib.Path, level: str, config: str, folder: pathlib.Path, *target: str, env=None) -> dict:
    """One level's run (into its store, or a target), forced; its report."""
    report_path = tmp / f"{level}-report-{time.monotonic_ns()}.json"
    result = sdm_harvest(
        "run",
        "--config",
        config,
        "--data-dir",
        str(folder / "data"),
        "--force",
        "--report",
        str(report_path),
        *target,
        env=env,
    )
    assert result.returncode == 0, (level, result.stdout, result.stderr)
    return json.loads(report_path.read_text(encoding="utf-8"))


def _publish(level: str, folder) -> None:
    """The level's feeds from its store, served at its own address."""
    result = sdm_harvest(
        "publish",
        "--data-dir",
        str(folder / "data"),
        "--out",
        str(folder / "feeds"),
        "--base-url",
        f"https://{level}.example.cn",
    )
    assert result.returncode == 0, (level, result.stderr)


class Chain:
    def __init__(self, tmp_path: pathlib.Path):
        self.tmp = tmp_path
        self.levels = {name: tmp_path / name for name in ("city", "province", "nation")}
        self.configs = {
            "city": _city_config(tmp_path),
            "province": _config(
                tmp_path, "province", [_feed_source("bazhong-city", self.levels["city"], PROVINCE), _water_source()]
            ),
            "nation": _config(tmp_path, "nation", [_feed_source("sichuan", self.levels["province"], NATION)]),
        }

    def run(self) -> dict:
        """Harvest and publish every level in order; {level: run report}."""
        reports = {}
        for level, folder in self.levels.items():
            reports[level] = _harvest(self.tmp, level, self.configs[level], folder)
            _publish(level, folder)
        return reports

    def stored(self, level: str) -> dict:
        """The level's publishable records, by the IRI they are published under."""
        store = Store(str(self.levels[level] / "data"))
        try:
            return {d.get("uri") or f"https://{level}.example.cn/dataset/{d['id']}": d for d in store.iter_datasets()}
        finally:
            store.close()

    def feed_text(self, level: str) -> str:
        folder = self.levels[level] / "feeds"
        return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("catalog*")))

    def published(self, level: str) -> dict:
        body = (self.levels[level] / "feeds" / "national" / "catalog.ttl").read_bytes()
        return {d["uri"]: d for d in parse.iter_datasets(body, "ttl")}

    def feed_bytes(self) -> dict:
        return {
            str(p): p.read_bytes()
            for folder in self.levels.values()
            for p in (folder / "feeds").rglob("*")
            if p.is_file()
        }


def _view(record: dict) -> dict:
    """What must travel unchanged: every compared SDM field, the unit, the
    IRI and origin, and the files the government audience may see."""
    out = {name: record.get(name) for name in COMPARED}
    for name in TAG_FIELDS:  # RDF keeps no order among a field's words
        out[name] = {tag: sorted(words) for tag, words in (out[name] or {}).items()} or None
    unit = record.get("organization") or {}
    out["unit"] = {"uscc": unit.get("uscc"), "title_translated": unit.get("title_translated")}
    # CKAN keeps an absent format or name as ""
    out["resources"] = sorted(
        json.dumps({k: r.get(k) or None for k in ("url", "name", "format")}, sort_keys=True)
        for r in record.get("resources") or ()
    )
    return out


def _diff(upper: dict, lower: dict) -> list:
    """(IRI, field, upper value, lower value) for every field that differs."""
    differences = [(iri, "<missing>", None, None) for iri in set(upper) ^ set(lower)]
    for iri in sorted(set(upper) & set(lower)):
        a, b = _view(upper[iri]), _view(lower[iri])
        differences += [(iri, key, a[key], b[key]) for key in a if a[key] != b[key]]
    return differences


def _seen_by_government(records: dict) -> dict:
    return {iri: disclosure.redact(record, disclosure.GOVERNMENT) for iri, record in records.items()}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    chain = Chain(tmp_path_factory.mktemp("chain"))
    chain.first = chain.run()
    chain.records = {level: chain.stored(level) for level in chain.levels}
    chain.feeds = {level: chain.published(level) for level in chain.levels}
    return chain


def test_every_public_field_is_identical_at_every_level(chain):
    city = _seen_by_government(chain.records["city"])
    assert len(city) >= 8
    steps = [
        ("city store → city feed", city, chain.feeds["city"]),
        # the province also read the water centre's platform itself, so
        # its store may hold files the city's feed withheld: compared
        # as the government audience sees it
        ("city feed → province store", chain.feeds["city"], _seen_by_government(chain.records["province"])),
        ("province store → province feed", _seen_by_government(chain.records["province"]), chain.feeds["province"]),
        ("province feed → nation store", chain.feeds["province"], chain.records["nation"]),
        ("nation store → nation feed", _seen_by_government(chain.records["nation"]), chain.feeds["nation"]),
    ]
    for step, upper, lower in steps:
        assert _diff(upper, lower) == [], step


def test_responsible_units_travel_with_their_codes_and_both_names(chain):
    sample = yaml.safe_load((pathlib.Path(ROOT) / "examples" / "harvest.yaml").read_text(encoding="utf-8"))
    departments = {s["name"]: s["department"] for s in sample["sources"]}
    for iri, city_record in chain.records["city"].items():
        expected = departments[city_record["harvest_source"]]
        for level in ("province", "nation"):
            unit = chain.records[level][iri]["organization"]
            assert unit["uscc"] == expected["uscc"], (level, iri)
            assert unit["title_translated"] == expected["name"], (level, iri)
    aggregators = {PROVINCE["uscc"], NATION["uscc"]}
    assert (
        not {r["organization"]["uscc"] for level in ("province", "nation") for r in chain.records[level].values()}
        & aggregators
    )


def test_both_languages_survive_the_chain(chain):
    bilingual = [
        iri for iri, r in chain.records["city"].items() if {"zh-Hans", "en"} <= set(r.get("title_translated") or {})
    ]
    assert bilingual
    for iri in bilingual:
        city = chain.records["city"][iri]
        assert chain.records["nation"][iri]["title_translated"] == city["title_translated"]
        assert chain.records["nation"][iri].get("notes_translated") == city.get("notes_translated")


def test_provenance_grows_by_one_harvest_per_level(chain):
    def hops(level, iri):
        return {(h["catalogue"], h["record"], h["unit"]["uscc"]) for h in chain.records[level][iri]["provenance"]}

    city_feed = (chain.levels["city"] / "feeds" / "national" / "catalog.ttl").as_uri()
    province_feed = (chain.levels["province"] / "feeds" / "national" / "catalog.ttl").as_uri()
    for iri, record in chain.records["city"].items():
        assert record["origin"] and chain.records["nation"][iri]["origin"] == record["origin"]
        assert hops("province", iri) >= hops("city", iri) | {(city_feed, iri, PROVINCE["uscc"])}
        assert hops("nation", iri) == hops("province", iri) | {(province_feed, iri, NATION["uscc"])}


def test_a_dataset_arriving_by_two_paths_is_one_record_with_both(chain):
    water = _water_source()
    direct = {iri: r for iri, r in chain.records["province"].items() if r["harvest_source"] == "bazhong-water"}
    via_city = [r for r in chain.records["city"].values() if r["harvest_source"] == "bazhong-water"]
    assert len(direct) == len(via_city) >= 2
    origins = [r["origin"] for r in chain.records["province"].values()]
    assert len(origins) == len(set(origins)), "one record per dataset"
    city_feed = (chain.levels["city"] / "feeds" / "national" / "catalog.ttl").as_uri()
    for iri, record in direct.items():
        # the IRI the city gave it, not a new one; both paths in its provenance
        assert iri in chain.records["city"]
        catalogues = {h["catalogue"] for h in record["provenance"]}
        assert {water["url"], city_feed} <= catalogues


def test_classified_and_withheld_content_never_appears(chain):
    csv = (pathlib.Path(ROOT) / "examples/platforms/spreadsheet/bazhong-natural-resources.csv").read_text("utf-8")
    classified = [row.split(",")[1] for row in csv.splitlines()[1:] if ",涉密," in row]
    assert classified
    withheld = [
        r["url"]
        for record in chain.records["city"].values()
        for r in record.get("resources") or ()
        if not disclosure.decide(record, disclosure.GOVERNMENT).resources
    ]
    assert withheld
    for level in chain.levels:
        text = chain.feed_text(level)
        for secret in classified + withheld:
            assert secret not in text, (level, secret)
    # what a feed withheld is not in the store of the level that read it
    for level, feed_source in (("province", "bazhong-city"), ("nation", "sichuan")):
        for record in chain.records[level].values():
            if record["harvest_source"] == feed_source and record.get("resources"):
                assert disclosure.decide(record, disclosure.GOVERNMENT).resources, (level, record["uri"])


def test_rerunning_the_whole_chain_writes_nothing(chain):
    before = chain.feed_bytes()
    again = chain.run()
    for level, report in again.items():
        totals = report["totals"]
        assert totals["new"] == totals["updated"] == totals["withdrawn"] == 0, (level, totals)
    assert chain.feed_bytes() == before


# -- the same chain with the city's catalogue in CKAN (--target ckan) ---------
#
# The city's harvester loads the department platforms into the project's
# CKAN; the province harvests that CKAN's own DCAT catalogue (/catalog.ttl,
# profile sdm_national, anonymous) and publishes; the nation harvests the
# province's feed.  The CKAN site is the session's load target, shared with
# test_ckan_target, so the province reads only the datasets the city's
# sources loaded (fq on harvest_source).

CITY_SOURCES = "harvest_source:bazhong-*"


class CkanChain:
    def __init__(self, tmp_path: pathlib.Path, ckan):
        self.tmp, self.ckan = tmp_path, ckan
        self.levels = {name: tmp_path / name for name in ("city", "province", "nation")}
        catalogue = f"{ckan.url}/catalog.ttl?fq={CITY_SOURCES}"
        self.configs = {
            "city": _city_config(tmp_path),
            "province": _config(
                tmp_path,
                "province",
                [{"name": "bazhong-ckan", "type": "dcat", "url": catalogue, "department": PROVINCE}],
            ),
            "nation": _config(tmp_path, "nation", [_feed_source("sichuan", self.levels["province"], NATION)]),
        }
        self.catalogue = catalogue

    def run(self) -> dict:
        """Harvest every level in order, the city into CKAN (which publishes
        it); {level: run report}."""
        reports = {}
        for level, folder in self.levels.items():
            if level == "city":
                target = ["--target", "ckan", "--ckan-url", self.ckan.url, "--ckan-token-env", "CHAIN_CKAN_TOKEN"]
                env = {"CHAIN_CKAN_TOKEN": self.ckan.token}
                reports[level] = _harvest(self.tmp, level, self.configs[level], folder, *target, env=env)
            else:
                reports[level] = _harvest(self.tmp, level, self.configs[level], folder)
                _publish(level, folder)
        return reports

    def in_ckan(self) -> dict:
        """The city's datasets as the CKAN site holds them (package_show as a
        sysadmin), by the IRI its catalogue names them with."""
        found = self.ckan.action("package_search", fq=CITY_SOURCES, include_private=True, rows=1000)
        assert found["count"] == len(found["results"])
        shown = [self.ckan.action("package_show", id=d["id"]) for d in found["results"]]
        for dataset in shown:  # package_show's organisation has no extras
            dataset["organization"] = self.ckan.action("organization_show", id=dataset["owner_org"])
        return {d.get("uri") or f"{self.ckan.url}/dataset/{d['id']}": d for d in shown}

    def ckan_feed(self) -> tuple[bytes, dict]:
        response = requests.get(self.catalogue, timeout=60)
        response.raise_for_status()
        return response.content, {d["uri"]: d for d in parse.iter_datasets(response.content, "ttl")}


@pytest.fixture(scope="module")
def ckan_chain(ckan_sites, tmp_path_factory):
    _, city_ckan = ckan_sites
    chain = CkanChain(tmp_path_factory.mktemp("ckan-chain"), city_ckan)
    chain.first = chain.run()
    chain.city = Chain.stored(chain, "city")
    chain.ckan_records = chain.in_ckan()
    chain.ckan_text, chain.ckan_published = chain.ckan_feed()
    chain.records = {level: Chain.stored(chain, level) for level in ("province", "nation")}
    chain.feeds = {level: Chain.published(chain, level) for level in ("province", "nation")}
    return chain


def test_through_ckan_every_public_field_is_identical_at_every_level(ckan_chain):
    chain = ckan_chain
    city_target = chain.first["city"]["sources"]
    assert all(s["target"]["failed"] == 0 for s in city_target), city_target
    by_id = {d["id"]: d for d in chain.city.values()}
    held = {d["id"]: d for d in chain.ckan_records.values()}
    assert len(by_id) >= 8
    steps = [
        ("city store → city CKAN", by_id, held),
        ("city CKAN → its catalogue", _seen_by_government(chain.ckan_records), chain.ckan_published),
        ("CKAN catalogue → province store", chain.ckan_published, _seen_by_government(chain.records["province"])),
        ("province store → province feed", _seen_by_government(chain.records["province"]), chain.feeds["province"]),
        ("province feed → nation store", chain.feeds["province"], chain.records["nation"]),
        ("nation store → nation feed", _seen_by_government(chain.records["nation"]), chain.feeds["nation"]),
    ]
    for step, upper, lower in steps:
        assert _diff(upper, lower) == [], step


def test_through_ckan_units_languages_and_secrets(ckan_chain):
    chain = ckan_chain
    sample = yaml.safe_load((pathlib.Path(ROOT) / "examples" / "harvest.yaml").read_text(encoding="utf-8"))
    departments = {s["name"]: s["department"] for s in sample["sources"]}
    for iri, record in chain.ckan_records.items():
        expected = departments[record["harvest_source"]]
        org = chain.ckan.action("organization_show", id=record["owner_org"])
        assert (org["uscc"], org["title_translated"]) == (expected["uscc"], expected["name"])
        for level in ("province", "nation"):
            unit = chain.records[level][iri]["organization"]
            assert (unit["uscc"], unit["title_translated"]) == (expected["uscc"], expected["name"]), (level, iri)
            assert chain.records[level][iri]["title_translated"] == record["title_translated"]
    csv = (pathlib.Path(ROOT) / "examples/platforms/spreadsheet/bazhong-natural-resources.csv").read_text("utf-8")
    classified = [row.split(",")[1] for row in csv.splitlines()[1:] if ",涉密," in row]
    assert classified
    texts = [json.dumps(list(chain.ckan_records.values()), ensure_ascii=False), chain.ckan_text.decode("utf-8")]
    texts += [Chain.feed_text(chain, level) for level in ("province", "nation")]
    for text in texts:
        for secret in classified:
            assert secret not in text


def test_through_ckan_rerunning_the_whole_chain_writes_nothing(ckan_chain):
    chain = ckan_chain
    modified = {d["id"]: d["metadata_modified"] for d in chain.ckan_records.values()}
    before = {
        str(p): p.read_bytes()
        for level in ("province", "nation")
        for p in (chain.levels[level] / "feeds").rglob("*")
        if p.is_file()
    }
    again = chain.run()
    for source in again["city"]["sources"]:
        assert source["target"] == {"created": 0, "updated": 0, "withdrawn": 0, "failed": 0}, source["name"]
    for level, report in again.items():
        totals = report["totals"]
        assert totals["new"] == totals["updated"] == totals["withdrawn"] == 0, (level, totals)
    assert {d["id"]: d["metadata_modified"] for d in chain.in_ckan().values()} == modified
    assert {
        str(p): p.read_bytes()
        for level in ("province", "nation")
        for p in (chain.levels[level] / "feeds").rglob("*")
        if p.is_file()
    } == before
