"""The restore drill (R10): a catalogue with every kind of record is backed
up by `ckan sdm backup` while a writer keeps creating datasets, restored by
`ckan sdm restore` into a second, empty database and index, and compared
field by field; a damaged or altered backup is refused, naming the part.

The recovery site gets a database of its own on the suite's PostgreSQL and
a Solr core of its own on the suite's Solr (tests/solr_cores.py), both
empty, so what it finds after the restore can only have come from the
backup."""

import configparser
import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.parse

import psycopg2
import pytest
import requests
from acting import apply_for
from ckan.tests import factories
from ckan.tests.helpers import call_action
from solr_cores import solr_core

from ckanext.sdm import backup as site_backup
from sdm_harvester import backup as core

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.sdm.allow_classified", "true"),
]
HERE = os.path.dirname(os.path.abspath(__file__))
CKAN = os.path.join(os.path.dirname(sys.executable), "ckan")
DRILL_DB = "sdm_restore_drill"
DRILL_CORE = "restore-drill"
CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "签署数据使用协议",
    "open_audience": ["researchers"],
    "review_procedure": "责任单位十个工作日内审核",
}
PROJECT = {
    "project_number": "2024YFA0001",
    "programme": "国家重点研发计划",
    "lead_unit": "四川大学",
    "submitter": "张三",
}


def _titles(name):
    return {"zh-Hans": f"数据集{name}", "en": f"Dataset {name}"}


@pytest.fixture
def catalogue(create_dataset, sysadmin, responsible_unit):
    """Open, deferred, conditional with a grant, classified (internal
    catalogue), a submission certificate, audit rows, a blacklist entry."""
    admin = {"user": sysadmin["name"]}
    create_dataset(
        name="open-data",
        title_translated=_titles("open"),
        version="V1",
        resources=[{"url": "https://files.example.cn/open.csv", "name": "open.csv"}],
    )
    create_dataset(
        name="deferred-data",
        title_translated=_titles("deferred"),
        disclosure="deferred",
        deferral_reason="paper",
        embargo_until=(dt.date.today() + dt.timedelta(days=400)).isoformat(),
        resources=[{"url": "https://files.example.cn/deferred.csv"}],
    )
    conditional = create_dataset(
        name="conditional-data",
        title_translated=_titles("conditional"),
        resources=[{"url": "https://files.example.cn/conditional.csv"}],
        **CONDITIONAL,
    )
    create_dataset(
        name="classified-data",
        title_translated=_titles("classified"),
        secrecy="classified",
        secrecy_level="secret",
        declassify_condition="项目结题后",
        open_attribute="not_open",
        closed_reason="涉密",
        sharing_attribute="not_shared",
        sharing_condition="涉密",
        private=True,
        resources=[{"url": "https://files.example.cn/classified.csv"}],
    )
    applicant = factories.User()
    request = apply_for(applicant, conditional["id"])
    call_action(
        "sdm_access_request_decide", context=admin, id=request["id"], decision="approve", days=30, reason="符合开放条件"
    )
    call_action("sdm_submission_create", context=admin, id="open-data", **PROJECT)
    call_action("sdm_blacklist_add", context=admin, network="203.0.113.0/24", reason="攻击来源")
    return {"owner_org": responsible_unit["id"]}


def _url(ini):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini)
    return parser["app:main"]["sqlalchemy.url"]


@pytest.fixture
def drill(tmp_path, request):
    """A second site: its own empty database, Solr core, filestore and site id."""
    ini = request.config.getoption("--ckan-ini")
    source = urllib.parse.urlsplit(_url(ini))
    admin = psycopg2.connect(host=source.hostname, port=source.port, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DRILL_DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DRILL_DB} OWNER ckan_default ENCODING 'UTF8' TEMPLATE template0")
    second = tmp_path / "restored.ini"
    second.write_text(open(ini).read())
    target_url = source._replace(path=f"/{DRILL_DB}").geturl()
    with solr_core(DRILL_CORE) as solr_url:
        subprocess.run(
            [
                CKAN,
                "config-tool",
                str(second),
                f"sqlalchemy.url = {target_url}",
                f"solr_url = {solr_url}",
                "ckan.site_id = restore-drill",
                f"ckan.storage_path = {tmp_path / 'storage2'}",
            ],
            check=True,
            capture_output=True,
        )
        password = tmp_path / "restic.pass"
        password.write_text("drill password\n")
        yield {
            "source": ini,
            "target": str(second),
            "solr": solr_url,
            "repo": str(tmp_path / "repo"),
            "password": str(password),
            "tmp": tmp_path,
        }
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DRILL_DB} WITH (FORCE)")
    admin.close()


def _ckan(ini, *args):
    return subprocess.run([CKAN, "-c", ini, *args], capture_output=True, text=True, timeout=600)


def _backup_while_writing(drill, owner_org):
    stop, count = drill["tmp"] / "stop", drill["tmp"] / "count"
    writer = subprocess.Popen(
        [
            sys.executable,
            os.path.join(HERE, "site_process.py"),
            drill["source"],
            "write",
            owner_org,
            str(stop),
            str(count),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not count.exists():
            assert writer.poll() is None, writer.stderr.read()
            time.sleep(0.1)
        made = _ckan(
            drill["source"],
            "sdm",
            "backup",
            "--repo",
            drill["repo"],
            "--password-file",
            drill["password"],
            "--keep-daily",
            "7",
        )
        written_during = int(count.read_text())
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert made.returncode == 0, made.stderr
    return made, written_during


def _dump(ini):
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "site_process.py"), ini, "dump"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return {d["id"]: d for d in map(json.loads, out.stdout.splitlines())}


def _indexed(solr_url) -> set:
    """The dataset ids in a core, whatever their site id."""
    found = requests.get(f"{solr_url}/select", params={"q": "*:*", "fl": "id", "rows": 10000, "wt": "json"}, timeout=60)
    found.raise_for_status()
    return {doc["id"] for doc in found.json()["response"]["docs"]}


def test_restore_drill(catalogue, drill):
    assert _indexed(drill["solr"]) == set(), "the recovery site's core is not empty"
    made, written = _backup_while_writing(drill, catalogue["owner_org"])
    assert written >= 1 and "snapshot" in made.stdout

    restored = _ckan(drill["target"], "sdm", "restore", "--repo", drill["repo"], "--password-file", drill["password"])
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "restore verified" in restored.stdout

    before, after = _dump(drill["source"]), _dump(drill["target"])
    assert after, "nothing was restored"
    assert set(after) <= set(before)
    for pid, dataset in after.items():
        assert dataset == before[pid], f"dataset {dataset['name']} differs after restore"
    assert _indexed(drill["solr"]) == set(after), "the recovery site's index is not the restored catalogue"
    names = {d["name"] for d in after.values()}
    assert {"open-data", "deferred-data", "conditional-data", "classified-data"} <= names

    again = _ckan(drill["target"], "sdm", "restore", "--repo", drill["repo"], "--password-file", drill["password"])
    assert again.returncode != 0 and "not empty" in again.stderr
    _refuses_damaged_or_altered(drill)


def _unpacked(drill):
    restic = core.Restic(drill["repo"], drill["password"])
    return core.restore_to_temp(restic, "latest")


def _refuses_damaged_or_altered(drill):
    """One flipped bit in a part, or an altered manifest: refused, naming it,
    before anything is written (so even --force changes nothing)."""
    folder = _unpacked(drill)
    dump = os.path.join(folder, "database.dump")
    with open(dump, "r+b") as f:
        f.seek(os.path.getsize(dump) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x01]))
    refused = _ckan(drill["target"], "sdm", "restore", "--from-dir", folder, "--force")
    assert refused.returncode != 0 and "part database.dump" in refused.stderr

    folder = _unpacked(drill)
    manifest = os.path.join(folder, core.MANIFEST)
    document = json.load(open(manifest))
    document["counts"]["certificates"] += 1
    open(manifest, "wb").write(core.canonical(document))
    # the same check restore() makes first, in this process: a CKAN start-up fewer
    with pytest.raises(core.BackupError, match="signature does not verify"):
        site_backup.check_backup(folder, site_backup.load_public_key(None))
