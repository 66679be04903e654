"""The harvester as CKAN's sysadmins see it (issue 19, deliver 4):
/ckan-admin/sdm/harvest and `sdm_harvest_status_show` read the store a real
`sdm-harvest run` wrote (the bundled sample platforms and one source that
cannot be read), a lease a worker holds and rq's failed job list in the
suite's Redis, in zh and en, for sysadmins only; they give what
`sdm-harvest status --json` prints of the same store."""

import json
import os
import re
import subprocess
import sys
from html import unescape

import pytest
from acting import signed_in
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from sdm_harvester import report
from sdm_harvester.store import Store
from sdm_harvester.workqueue import QUEUE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SDM_HARVEST = os.path.join(os.path.dirname(sys.executable), "sdm-harvest")
BROKEN = "unreadable-platform"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A store written by `sdm-harvest run`: the demo's platforms, one
    source whose file is missing, and a lease a worker holds."""
    folder = tmp_path_factory.mktemp("harvest")
    with open(os.path.join(ROOT, "examples", "harvest.yaml"), encoding="utf-8") as f:
        config = f.read().replace("@EXAMPLES@", os.path.join(ROOT, "examples"))
    config += (
        f"  - name: {BROKEN}\n    type: spreadsheet\n    url: file://{folder}/missing.csv\n"
        "    department:\n      uscc: 11510000MB0000002W\n"
        "      name: {zh-Hans: 巴中市自然资源和规划局, en: Bazhong Natural Resources and Planning Bureau}\n"
    )
    (folder / "harvest.yaml").write_text(config, encoding="utf-8")
    data = str(folder / "data")
    run = subprocess.run(
        [SDM_HARVEST, "run", "--config", str(folder / "harvest.yaml"), "--data-dir", data, "--force"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode not in (0, 2), run.stderr[-2000:]  # a source failed, the others were read
    store = Store(data)
    assert store.acquire_lease("bazhong-water", "worker-2:4242:job-7", 600)
    store.close()
    return data


@pytest.fixture
def failed_job(ckan_config):
    """A job that really failed on rq's harvest queue, in a Redis database
    of its own on the suite's server."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    url = re.sub(r"/\d+$", "/13", ckan_config["ckan.redis.url"])
    redis = Redis.from_url(url)
    redis.flushdb()
    Queue(QUEUE, connection=redis).enqueue(json.loads, "not json", description="harvest bazhong-water")
    SimpleWorker([Queue(QUEUE, connection=redis)], connection=redis).work(burst=True)
    yield url
    redis.flushdb()


def _page(app, user, lang):
    prefix = "" if lang == "zh" else "/en"
    return app.get(f"{prefix}/ckan-admin/sdm/harvest", headers=signed_in(user))


def _text(response):
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.body)))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sysadmins_see_sources_runs_errors_leases_and_failed_jobs(app, data_dir, failed_job, lang, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.sdm.harvest.data_dir", data_dir)
    monkeypatch.setitem(tk.config, "ckanext.sdm.harvest.redis", failed_job)
    text = _text(_page(app, factories.Sysadmin(), lang))
    words = {
        "zh": ["采集", "数据源", "成功", "失败", "在库记录", "正在采集", "失败的任务", "最近运行", "新增"],
        "en": [
            "Harvest",
            "Sources",
            "ok",
            "failed",
            "Records held",
            "Running now",
            "Failed jobs",
            "Latest runs",
            "new",
        ],
    }[lang]
    for word in words:
        assert word in text, word
    for name in ("bazhong-natural-resources", "bazhong-science-bureau", "bazhong-water", BROKEN):
        assert name in text
    assert "missing.csv" in text  # the broken source's last error
    assert "worker-2:4242:job-7" in text  # the lease's holder
    assert "harvest bazhong-water" in text and "JSONDecodeError" in text  # the failed job and its error


def test_the_page_and_the_command_line_read_the_store_alike(data_dir, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.sdm.harvest.data_dir", data_dir)
    shown = call_action("sdm_harvest_status_show", context={"user": factories.Sysadmin()["name"]})
    printed = subprocess.run(
        [SDM_HARVEST, "status", "--data-dir", data_dir, "--json"], capture_output=True, text=True, timeout=120
    )
    printed = json.loads(printed.stdout)
    for part in ("sources", "runs", "quality_flags"):
        assert shown[part] == printed[part], part
    assert [lease["holder"] for lease in shown["leases"]] == ["worker-2:4242:job-7"]
    broken = next(s for s in shown["sources"] if s["name"] == BROKEN)
    assert broken["last_status"] == report.FAILED and broken["records"] == 0
    assert sum(s["records"] for s in shown["sources"]) > 0


def test_every_status_and_count_the_harvester_reports_has_its_words():
    from ckanext.sdm.helpers import bilingual_message

    for code in (report.OK, report.PARTIAL, report.FAILED, report.SKIPPED):
        assert bilingual_message(f"harvest_status_{code}")
    for code in report.COUNTS:
        assert bilingual_message(f"harvest_count_{code}")


def test_only_sysadmins(app, data_dir, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.sdm.harvest.data_dir", data_dir)
    editor = factories.User()
    assert _page(app, editor, "en").status_code == 403
    anonymous = app.get("/ckan-admin/sdm/harvest", follow_redirects=False)
    assert anonymous.status_code == 302 and "/user/login" in anonymous.headers["Location"]
    with pytest.raises(tk.NotAuthorized):
        call_action("sdm_harvest_status_show", context={"user": editor["name"], "ignore_auth": False})


def test_a_site_without_a_harvest_says_what_to_set(app, tmp_path, monkeypatch):
    sysadmin = factories.Sysadmin()
    assert "ckanext.sdm.harvest.data_dir" in _text(_page(app, sysadmin, "en"))
    monkeypatch.setitem(tk.config, "ckanext.sdm.harvest.data_dir", str(tmp_path))
    assert "no harvest has run here yet" in _text(_page(app, sysadmin, "en"))
    monkeypatch.setitem(tk.config, "ckanext.sdm.harvest.store", "postgresql://sdm:secret-pw@127.0.0.1:9/none")
    text = _text(_page(app, sysadmin, "zh"))
    assert "无法读取采集库" in text and "secret-pw" not in text
