"""sdm-harvest evaluate on a real harvest of a department spreadsheet whose
file links are served by a local HTTP server: one good, one 404."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from local_server import file_server

from sdm_harvester.evaluate import CKAN_ONLY
from sdm_schema import evaluation

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHEET = os.path.join(ROOT, "examples", "platforms", "spreadsheet", "bazhong-natural-resources.csv")
USCC = "11510000MB0000002W"


@pytest.fixture(scope="module")
def files():
    server = file_server()
    yield server.url
    server.close()


def sdm_harvest(*args):
    return subprocess.run(
        [sys.executable, "-m", "sdm_harvester.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def harvested(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("evaluate")
    with open(SHEET, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    url = rows[0].index("在线资源链接地址")
    rows[1][url], rows[2][url] = f"{files}/good.csv", f"{files}/gone.csv"
    sheet = folder / "catalogue.csv"
    with open(sheet, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    data = folder / "data"
    result = sdm_harvest(
        "run",
        "--source",
        f"spreadsheet=file://{sheet}",
        "--department",
        USCC,
        "--department-name",
        "巴中市自然资源和规划局",
        "--data-dir",
        str(data),
    )
    assert result.returncode in (0, 1), result.stderr
    return folder, data, rows


def evaluate(folder, data, *extra):
    out = folder / "out"
    result = sdm_harvest(
        "evaluate",
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--check-links",
        "--allow-network",
        "127.0.0.1/32",
        "--link-interval",
        "0",
        *extra,
    )
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_scorecard_with_a_broken_link(harvested):
    folder, data, rows = harvested
    out, stdout = evaluate(folder, data, "--today", "2025-01-01")
    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    [unit] = card["units"]
    assert unit["unit"] == "uscc-" + USCC.lower() and unit["title"]["zh-Hans"] == "巴中市自然资源和规划局"
    by_title = {d["title"]["zh-Hans"]: d for d in card["datasets"]}
    good, gone = by_title[rows[1][1]], by_title[rows[2][1]]
    assert good["indicators"]["links_reachable"] == 100.0
    assert gone["indicators"]["links_reachable"] == 0.0
    assert "link 1 cannot be reached (HTTP 404" in " ".join(p["messages"]["en"] for p in gone["problems"])
    assert unit["datasets"] == len(card["datasets"])
    assert unit["score"] is not None and unit["band"]["code"] in {"excellent", "good", "sufficient", "bad"}
    assert f"{unit['unit']}: {unit['score']} ({unit['band']['label']['en']})" in stdout
    assert (out / "units.csv").read_text(encoding="utf-8").startswith("\ufeffunit,datasets,score,band")
    # no certificates, demands, reports, access requests or blacklist here: not applicable, said so, never 0
    # what only CKAN holds (evaluate.CKAN_ONLY), in the indicators' order; submissions and requests among them
    assert card["not_applicable"]["indicators"] == [k for k in evaluation.indicators() if k in CKAN_ONLY]
    assert {"funded_submitted", "requests_answered", "demands_answered"} <= set(CKAN_ONLY)
    assert card["not_applicable"]["figures"] == [
        "open_demands",
        "unanswered_reports",
        "demand_answer_days",
        "report_answer_days",
        "blacklist_hits",
    ]
    assert [unit["indicators"][k] for k in card["not_applicable"]["indicators"]] == [None] * len(CKAN_ONLY)
    assert "not applicable here, not zero: funded_submitted, submitted_on_time, submission_intact" in stdout
    [units_row] = list(csv.DictReader(io.StringIO((out / "units.csv").read_text(encoding="utf-8-sig"))))
    assert [units_row[k] for k in card["not_applicable"]["figures"]] == [""] * 5
    assert len((out / "datasets.csv").read_text(encoding="utf-8").splitlines()) == len(card["datasets"]) + 1


def test_one_snapshot_per_unit_per_day(harvested):
    folder, data, _rows = harvested
    evaluate(folder, data, "--today", "2025-02-01")
    out, _ = evaluate(folder, data, "--today", "2025-02-01")  # again the same day: replaced
    history = (out / "history.csv").read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    days = [line.split(",")[1] for line in history[1:]]
    assert days == sorted(set(days)) and "2025-02-01" in days and days.count("2025-02-01") == 1


def test_evaluate_needs_a_harvest(tmp_path):
    result = sdm_harvest("evaluate", "--data-dir", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "no harvest has run here yet" in result.stderr


def test_publish_writes_the_latest_measurements_as_dqv(harvested):
    folder, data, _rows = harvested
    out, _ = evaluate(folder, data, "--today", "2025-03-01")
    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    feeds = folder / "feeds"
    result = sdm_harvest(
        "publish", "--data-dir", str(data), "--out", str(feeds), "--base-url", "https://data.example.cn"
    )
    assert result.returncode == 0, result.stderr
    national = (feeds / "national" / "catalog.ttl").read_text(encoding="utf-8")
    international = (feeds / "international" / "catalog.ttl").read_text(encoding="utf-8")
    assert national.count("dqv:QualityMeasurement") == sum(
        len([v for v in d["indicators"].values() if v is not None]) + 1 for d in card["datasets"]
    )
    assert "dqv:" not in international.split("@prefix dqv:", 1)[-1]
