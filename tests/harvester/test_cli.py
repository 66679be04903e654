"""The command line as cron sees it: exit codes, the lock, config checks,
a run killed mid-way and resumed."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

from harvest_helpers import DEPARTMENT, PLATFORMS, run_report, sdm_harvest, source_report, write_config

from sdm_harvester.lock import RunLock

CSV = "file://" + os.path.join(PLATFORMS, "spreadsheet", "bazhong-natural-resources.csv")


def test_second_run_exits_3_while_locked(tmp_path):
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}])
    with RunLock(str(tmp_path / "data")):
        result = sdm_harvest("run", "--config", config, "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 3 and "held by another run" in result.stderr
    assert sdm_harvest("run", "--config", config, "--data-dir", str(tmp_path / "data")).returncode == 0


def test_configuration_errors_exit_2_and_name_every_problem(tmp_path):
    config = write_config(
        tmp_path,
        [
            {
                "name": "x",
                "type": "gopher",
                "url": "ftp://a",
                "department": {"uscc": "123", "name": "某局"},
                "credentials": {"token_env": "sk-live-4f9a8b"},
                "mapping": {"open_attribute": {"依申请": "maybe"}},
            },
            {"name": "ok-source", "type": "ckan", "url": "https://a.example.cn", "schedule": "fortnightly"},
        ],
    )
    result = sdm_harvest("sources", "check", "--config", config)
    assert result.returncode == 2
    for expected in (
        "name 'x'",
        "type 'gopher'",
        "url 'ftp://a'",
        "department.uscc '123'",
        "never the secret itself",
        "'maybe': unknown code",
        "schedule 'fortnightly'",
    ):
        assert expected in result.stderr
    assert sdm_harvest("run", "--config", config, "--data-dir", str(tmp_path / "d")).returncode == 2
    assert not (tmp_path / "d").exists()  # nothing was started


def test_check_accepts_the_demo_config(tmp_path):
    text = open(os.path.join(os.path.dirname(PLATFORMS), "harvest.yaml"), encoding="utf-8").read()
    config = tmp_path / "harvest.yaml"
    config.write_text(text.replace("@EXAMPLES@", os.path.dirname(PLATFORMS)), encoding="utf-8")
    result = sdm_harvest("sources", "check", "--config", str(config))
    assert result.returncode == 0 and "4 source(s), OK" in result.stdout


def test_schedule_skips_sources_not_due(tmp_path):
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV, "schedule": "6h"}])
    data = str(tmp_path / "data")
    assert sdm_harvest("run", "--config", config, "--data-dir", data).returncode == 0
    report = tmp_path / "second.json"
    assert sdm_harvest("run", "--config", config, "--data-dir", data, "--report", str(report)).returncode == 0
    skipped = json.loads(report.read_text(encoding="utf-8"))["sources"][0]
    assert skipped["status"] == "skipped"
    status = sdm_harvest("status", "--data-dir", data)
    assert "nr: ok" in status.stdout and "run 2" in status.stdout


def test_history_is_bounded(tmp_path):
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}], keep_reports=2)
    for _ in range(3):
        run_report(tmp_path, config)
    assert sorted(os.listdir(tmp_path / "data" / "reports")) == ["run-000002.json", "run-000003.json"]
    with sqlite3.connect(tmp_path / "data" / "harvest.sqlite") as db:
        assert [r[0] for r in db.execute("SELECT id FROM runs ORDER BY id")] == [2, 3]


def test_one_off_source_needs_a_department(tmp_path):
    result = sdm_harvest("run", "--source", f"spreadsheet={CSV}", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2 and "--department" in result.stderr
    result = sdm_harvest(
        "run", "--source", f"spreadsheet={CSV}", "--department", DEPARTMENT["uscc"], "--data-dir", str(tmp_path / "d")
    )
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""  # quiet without a TTY


def _slow_site(total, per_page, delay):
    def route(handler):
        query = {k: v[0] for k, v in urllib.parse.parse_qs(handler.path.partition("?")[2]).items()}
        start = int(query["start"])
        time.sleep(delay)
        results = [
            {"id": f"id-{n:05d}", "name": f"ds-{n}", "title": f"数据集 {n}", "metadata_modified": "2026-10-01T00:00:00"}
            for n in range(start, min(start + per_page, total))
        ]
        return 200, {}, json.dumps({"success": True, "result": {"count": total, "results": results}})

    return route


def test_killed_run_resumes_without_duplicates_or_losses(tmp_path, server):
    server.routes["/api/3/action/package_search"] = _slow_site(total=600, per_page=50, delay=0.15)
    config = write_config(tmp_path, [{"name": "site", "type": "ckan", "url": server.url, "options": {"page_size": 50}}])
    data = tmp_path / "data"
    child = subprocess.Popen(
        [sys.executable, "-m", "sdm_harvester.cli", "run", "--config", config, "--data-dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db_path = data / "harvest.sqlite"
    deadline = time.monotonic() + 30
    stored = 0
    while time.monotonic() < deadline and stored < 150:
        time.sleep(0.05)
        if db_path.exists():
            try:
                with sqlite3.connect(db_path) as db:
                    stored = db.execute("SELECT count(*) FROM records").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert 100 <= stored < 600, "the run must be killed part-way"
    code, report = run_report(tmp_path, config)
    counts = source_report(report, "site")["counts"]
    assert code == 0 and counts["new"] + counts["unchanged"] == 600 and counts["unchanged"] >= 100
    with sqlite3.connect(db_path) as db:
        assert db.execute(
            "SELECT count(*), count(DISTINCT identifier), count(DISTINCT name) FROM records"
        ).fetchone() == (600, 600, 600)
