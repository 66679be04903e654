"""ckanext-dcat's own RDF harvester reads our international feed (issue 15, part 4).

A vanilla CKAN 2.11 site — no ckanext-sdm, only stock extensions:
ckanext-harvest 1.6.3, ckanext-dcat 2.4.4 (`dcat_rdf_harvester`),
ckanext-scheming and ckanext-fluent (dev/vendor/) with ckanext-dcat's own
DCAT-AP schema and the text fields of its multilingual one — harvests the
international feed the city publishes from the bundled sample platforms,
served on 127.0.0.1, with `ckan harvester run-test SOURCE`.  The datasets
are then read back through the site's Action API and compared field by
field with the feed as our own reader sees it.

What a stock site keeps is pinned here, losses included, so that
docs/harvester.md ("A stock ckanext-dcat site harvesting the international
feed") stays true: titles, descriptions and keywords in both languages, and
nothing the feed withholds.

Why this configuration: without scheming, ckanext-dcat 2.4.4 puts
`prov:qualifiedAttribution` into a root `qualified_attribution` list that
core CKAN's schema refuses as junk, so every record of the feed fails (seen
by hand, not run here); without fluent's fields ckanext-dcat keeps one
language of each text (the literal tagged with `ckan.locale_default`).

Beside it, started at the same time, a site running ckanext-sdm harvests
the national feed with the same harvester and the sdm_national profile
(docs/harvester.md, "An SDM site harvesting with ckanext-dcat's RDF
harvester"): every field our reader finds arrives, each record under its
own responsible unit.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import pathlib
import threading

import ckan_sites as sites
import pytest
import rdflib
import yaml
from ckanext.dcat import schemas as dcat_schemas
from harvest_helpers import ROOT, Server, sdm_harvest

from sdm_harvester.store import Store
from sdm_schema.rdf import parse

#: The stock site: ckanext-dcat's documented multilingual DCAT-AP setup —
#: scheming with ckanext-fluent's fields (dev/vendor/ckanext-fluent).
PLUGINS = "harvest dcat dcat_rdf_harvester scheming_datasets fluent"
SETTINGS = {
    "ckan.locale_default": "en",
    "ckan.locales_offered": "en zh_Hans_CN",
    # dev/ckan-ini.sh names our sdm_national; a stock site parses with ckanext-dcat's own
    "ckanext.dcat.rdf.profiles": "euro_dcat_ap_3 euro_dcat_ap_scheming",
    "scheming.presets": "ckanext.scheming:presets.json ckanext.dcat.schemas:presets.yaml ckanext.fluent:presets.json",
}
#: ckanext-dcat's full DCAT-AP schema with the texts of its multilingual one
#: (title, description, keywords; a file's name and description) in our languages.
LANGUAGES = ["en", "zh-Hans"]
TRANSLATED = {"title": "title_translated", "notes": "notes_translated", "tag_string": "tags_translated"}
RESOURCE_TRANSLATED = {"name": "name_translated", "description": "description_translated"}
FEED_PATH = "/feeds/international/catalog.ttl"
BASE = "https://city.example.cn"  # the city's --base-url: the feed's IRIs
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
ADMS = rdflib.Namespace("http://www.w3.org/ns/adms#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


def _stock_schema(folder: pathlib.Path) -> str:
    """dcat_ap_full.yaml with dcat_ap_multilingual.yaml's text fields, as a
    site keeping both languages would configure it, a language not required
    (fluent would otherwise refuse a record in Chinese only); its file:// URL."""
    schemas = pathlib.Path(dcat_schemas.__file__).parent
    full = yaml.safe_load((schemas / "dcat_ap_full.yaml").read_text(encoding="utf-8"))
    multilingual = yaml.safe_load((schemas / "dcat_ap_multilingual.yaml").read_text(encoding="utf-8"))
    for part, names in (("dataset_fields", TRANSLATED), ("resource_fields", RESOURCE_TRANSLATED)):
        # a record the feed has in one language only (the English rule asks both of open records only)
        wanted = {f["field_name"]: dict(f, required=False) for f in multilingual[part]}
        full[part] = [wanted[names[f["field_name"]]] if f["field_name"] in names else f for f in full[part]]
    full["form_languages"] = LANGUAGES
    path = folder / "dcat_ap_full_multilingual.yaml"
    path.write_text(yaml.safe_dump(full, allow_unicode=True), encoding="utf-8")
    return f"file://{path}"


def _publish(folder: pathlib.Path) -> None:
    """The city's harvest of the sample platforms, then its feeds."""
    text = (pathlib.Path(ROOT) / "examples" / "harvest.yaml").read_text(encoding="utf-8")
    config = folder / "city.yaml"
    config.write_text(text.replace("@EXAMPLES@", os.path.join(ROOT, "examples")), encoding="utf-8")
    data = str(folder / "data")
    result = sdm_harvest("run", "--config", str(config), "--data-dir", data, "--force")
    assert result.returncode == 0, (result.stdout, result.stderr)
    result = sdm_harvest("publish", "--data-dir", data, "--out", str(folder / "feeds"), "--base-url", BASE)
    assert result.returncode == 0, result.stderr


def _in_parallel(*jobs) -> None:
    """Run the jobs in threads (CKAN's CLI start-ups are most of the time);
    re-raise the first failure here."""
    failures = []

    def run(job):
        try:
            job()
        except BaseException as error:  # reported below, from the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


class Harvested:
    """The feed, what the city's store holds, and what the stock site made of it."""

    def __init__(self, folder: pathlib.Path, site: sites.CkanSite):
        self.body = (folder / "feeds" / "international" / "catalog.ttl").read_bytes()
        self.feed = {d["uri"]: d for d in parse.iter_datasets(self.body, "ttl")}
        self.graph = rdflib.Graph().parse(data=self.body, format="turtle")
        store = Store(str(folder / "data"))
        try:
            self.stored = list(store.iter_datasets())
        finally:
            store.close()
        self.site = site
        found = site.action("package_search", fq="+dataset_type:dataset", rows=1000)
        self.packages = found["results"]
        self.by_uri = {p["uri"]: p for p in self.packages}

    def objects(self, uri: str, predicate) -> list[str]:
        return sorted(str(o) for o in self.graph.objects(rdflib.URIRef(uri), predicate))


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The city's feeds, served on 127.0.0.1, and the two harvesting sites,
    started side by side: (folder, server, stock site, SDM site)."""
    if not os.path.exists(sites.CKAN):
        pytest.skip("CKAN is not installed in .venv (make test installs it)")
    folder = tmp_path_factory.mktemp("dcat-rdf")
    sites.services("up", "harvest-dcat-rdf")
    taken: set = set()
    stock = sites.CkanSite("dcatrdf", PLUGINS, taken, {**SETTINGS, "scheming.dataset_schemas": _stock_schema(folder)})
    taken.add(stock.port)
    ours = sites.CkanSite("sdmrdf", SDM_PLUGINS, taken)
    server = Server()
    try:
        _in_parallel(lambda: _publish(folder), *(lambda s=s: (s.prepare(), s.start()) for s in (stock, ours)))
        for path in (FEED_PATH, NATIONAL_PATH):
            body = (folder / path.removeprefix("/")).read_bytes()
            server.routes[path] = (200, {"Content-Type": "text/turtle; charset=utf-8"}, body)
        yield folder, server, stock, ours
    finally:
        server.close()
        stock.stop()
        ours.stop()
        sites.services("down", "harvest-dcat-rdf")


def _harvest(site: sites.CkanSite, url: str, unit: dict, **source) -> tuple:
    """A dcat_rdf harvest source of a new organisation `unit` for `url`, run
    once: (the organisation, the source's jobs)."""
    unit = site.action("organization_create", **unit)
    created = site.action("harvest_source_create", url=url, source_type="dcat_rdf", owner_org=unit["id"], **source)
    site.cli("harvester", "run-test", created["name"])
    return unit, site.action("harvest_job_list", source_id=created["id"])


@pytest.fixture(scope="module")
def harvested(city):
    folder, server, site, _ = city
    unit, jobs = _harvest(
        site,
        server.url + FEED_PATH,
        {"name": "city-feeds", "title": "Bazhong city feeds"},
        name="sdm-international",
        title="Bazhong international feed",
    )
    harvested = Harvested(folder, site)
    harvested.unit = unit
    harvested.jobs = jobs
    return harvested


def test_every_record_of_the_feed_arrives_once_under_its_iri(harvested):
    (job,) = harvested.jobs
    assert job["status"] == "Finished"
    report = harvested.site.action("harvest_job_report", id=job["id"]) if job["stats"]["errored"] else None
    assert job["stats"]["errored"] == 0, json.dumps(report, ensure_ascii=False)[:3000]
    assert job["stats"]["added"] == len(harvested.feed) == 11
    assert sorted(harvested.by_uri) == sorted(harvested.feed)
    assert len(harvested.packages) == len(harvested.feed)
    for uri, package in harvested.by_uri.items():
        extras = {e["key"]: e["value"] for e in package["extras"]}
        assert extras["guid"] == uri  # the harvester's identity of the record: our IRI
        assert package["owner_org"] == harvested.unit["id"]  # the harvest source's organisation


def test_texts_and_keywords_arrive_in_both_languages(harvested):
    bilingual = 0
    for uri, record in harvested.feed.items():
        package = harvested.by_uri[uri]
        for field in ("title_translated", "notes_translated"):
            # fluent keeps a language the record lacks as ""
            assert {lang: text for lang, text in package[field].items() if text} == record[field], (uri, field)
        bilingual += set(record["title_translated"]) == set(LANGUAGES)
        # the core field, for clients that read only it: the site's language (en), else the other
        translated = record["title_translated"]
        assert package["title"] == (translated.get("en") or translated.get("zh-Hans")), uri
        keywords = {lang: sorted(words) for lang, words in (record.get("keywords_translated") or {}).items()}
        assert {lang: sorted(words) for lang, words in package["tags_translated"].items() if words} == keywords, uri
    assert bilingual >= 8  # most sample records are bilingual in the feed (the English rule)


def test_identifiers_landing_pages_and_publisher_arrive(harvested):
    for uri, record in harvested.feed.items():
        package = harvested.by_uri[uri]
        assert package.get("identifier") == record.get("resource_code"), uri
        assert package.get("url") == record.get("landing_page"), uri
        # adms:identifier arrives as the identifier node's IRI; its notation (the DOI, CSTR) does not
        assert sorted(package.get("alternate_identifier") or []) == harvested.objects(uri, ADMS.identifier)
        (publisher,) = package["publisher"]
        assert publisher["uri"] == harvested.objects(uri, DCT.publisher)[0]
        assert publisher["identifier"] == record["organization"]["uscc"]
        assert publisher["name"] == record["organization"]["title_translated"]["en"]
        assert package["access_rights"] == harvested.objects(uri, DCT.accessRights)[0]
        assert package["language"] == harvested.objects(uri, DCT.language)
        assert sorted(package.get("theme") or []) == harvested.objects(uri, DCAT.theme)
        assert package.get("version") == record.get("version"), uri
        if record.get("contact_email"):
            (contact,) = package["contact"]
            assert (contact["name"], contact["email"]) == (record["contact_name"], record["contact_email"])
        # sdm: terms (codes, fees, origin, provenance) and dct:available have no field there
        assert not any(key.startswith("sdm") or key in ("available", "provenance") for key in package), uri
        # the licence is on the dataset in our feed; ckanext-dcat reads it from distributions only
        assert package["license_id"] == ""
    forest = next(p for p in harvested.packages if p.get("url") == "https://doi.org/10.12345/bzforest.101")
    assert forest["publisher"][0]["identifier"] == "91350100M00010010Q"


def test_distributions_arrive_with_their_urls(harvested):
    files = 0
    for uri, record in harvested.feed.items():
        package = harvested.by_uri[uri]
        expected = sorted(r["url"] for r in record["resources"])
        assert sorted(r["url"] for r in package["resources"]) == expected, uri
        for resource in package["resources"]:
            assert resource["access_url"] == resource["download_url"] == resource["url"]
            assert resource["uri"].startswith(uri + "#distribution-")
            # the feed's EU file type; without one, CKAN guesses a format from the URL
            assert harvested.objects(resource["uri"], DCT.format) in ([resource["format"]], [])
        files += len(expected)
    assert files >= 5


def _classified_rows() -> list[dict]:
    path = pathlib.Path(ROOT) / "examples" / "platforms" / "spreadsheet" / "bazhong-natural-resources.csv"
    with path.open(encoding="utf-8-sig") as f:
        return [row for row in csv.DictReader(f) if row["涉密属性"] == "涉密"]


def _withheld_files(record: dict) -> bool:
    embargo = record.get("embargo_until")
    running = bool(embargo) and dt.date.fromisoformat(embargo) > dt.date.today()
    return record.get("open_attribute") != "unconditional" or running


def test_nothing_withheld_arrives(harvested):
    everything = json.dumps(harvested.packages, ensure_ascii=False)
    rows = _classified_rows()
    assert rows  # the sample has a classified record
    for row in rows:
        assert row["资源名称"] not in everything and row["资源代码"] not in everything
    withheld = [r for r in harvested.stored if _withheld_files(r)]
    urls = [res["url"] for r in withheld for res in r.get("resources") or []]
    assert urls  # deferred records with files in the store
    for url in urls:
        assert url not in everything
    domestic = [r[f] for r in harvested.stored for f in ("sharing_condition",) if r.get(f)]
    assert domestic
    for value in domestic:
        assert value not in everything


#: Our own site (dev/ckan-ini.sh's plugins) with ckanext-harvest's RDF harvester.
SDM_PLUGINS = "sdm scheming_datasets scheming_organizations dcat activity harvest dcat_rdf_harvester"
NATIONAL_PATH = "/feeds/national/catalog.ttl"
#: What a harvested record keeps elsewhere than in the field of its name.
ELSEWHERE = {
    "uri": "the harvester's guid",
    "source_identifier": "not a dataset field: dct:identifier is resource_code",
    "owner_org": "the unit's name on the city's site; here this site's organisation of the same USCC",
    "organization": "this site's organisation",
    "metadata_modified": "CKAN's own",
    "resources": "compared below, without the ids CKAN gives",
}


@pytest.fixture(scope="module")
def sdm_harvested(city):
    """The national (government) feed harvested by a site running ckanext-sdm
    with ckanext-dcat's RDF harvester and the sdm_national profile."""
    folder, server, _, site = city
    unit, jobs = _harvest(
        site,
        server.url + NATIONAL_PATH,
        {"name": "city-centre", "title_translated": {"zh-Hans": "巴中市数据中心"}, "uscc": "91110000600037341L"},
        name="sdm-national",
        title="Bazhong national feed",
        config=json.dumps({"profiles": "sdm_national"}),
    )
    body = (folder / NATIONAL_PATH.removeprefix("/")).read_bytes()
    found = site.action("package_search", fq="+dataset_type:dataset", rows=1000, include_private=True)["results"]
    packages = {next(e["value"] for e in p["extras"] if e["key"] == "guid"): p for p in found}
    return site, jobs, {d["uri"]: d for d in parse.iter_datasets(body, "ttl")}, packages


def test_an_sdm_site_harvests_every_record_of_the_national_feed(sdm_harvested):
    site, jobs, feed, packages = sdm_harvested
    (job,) = jobs
    report = site.action("harvest_job_report", id=job["id"]) if job["stats"]["errored"] else None
    assert job["stats"]["errored"] == 0, json.dumps(report, ensure_ascii=False)[:3000]
    assert job["stats"]["added"] == len(feed) == len(packages) == 11
    assert sorted(packages) == sorted(feed)


def test_an_sdm_site_keeps_every_field_of_the_national_feed(sdm_harvested):
    """Every field our own reader finds in the feed arrives as it is:
    disclosure, grading, deferral, fees, provenance, both languages."""
    site, _, feed, packages = sdm_harvested
    for uri, record in feed.items():
        package = packages[uri]
        for field, value in record.items():
            if field not in ELSEWHERE:
                assert package.get(field) == value, (uri, field)
        assert len(package["resources"]) == len(record["resources"]), uri
        arrived = [
            {key: r.get(key) for key in want} for r, want in zip(package["resources"], record["resources"], strict=True)
        ]
        assert arrived == record["resources"], uri


def test_an_sdm_site_files_each_record_under_its_own_responsible_unit(sdm_harvested):
    """The unit is the record's, not the harvest source's (sdm_harvester.units):
    this site's organisation of the same USCC, created with the unit's names."""
    site, _, feed, packages = sdm_harvested
    units = {}
    for uri, record in feed.items():
        unit = units.get(packages[uri]["owner_org"]) or site.action("organization_show", id=packages[uri]["owner_org"])
        units[unit["id"]] = unit
        assert unit["uscc"] == record["organization"]["uscc"], uri
        assert unit["title_translated"] == record["organization"]["title_translated"], uri
    assert len(units) >= 4  # the sample platforms' units, none of them the harvest source's
