"""The pipeline on the bundled catalogue spreadsheets: mapping, validation,
classification, deferred disclosure, hashing and filters."""

import os
import shutil

from harvest_helpers import PLATFORMS, run_report, source_report, write_config

from sdm_harvester.store import Store

CSV = os.path.join(PLATFORMS, "spreadsheet", "bazhong-natural-resources.csv")
XLSX = os.path.join(PLATFORMS, "spreadsheet", "bazhong-science-bureau.xlsx")


def datasets(tmp_path):
    store = Store(str(tmp_path / "data"))
    try:
        return {d["harvest_identifier"]: d for d in store.iter_datasets()}
    finally:
        store.close()


def test_csv_maps_validates_and_keeps_classified_home(tmp_path):
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": f"file://{CSV}"}])
    code, report = run_report(tmp_path, config)
    nr = source_report(report, "nr")
    assert code == 0
    assert nr["counts"] == {
        "new": 4,
        "updated": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "invalid": 0,
        "failed": 0,
        "classified": 1,
        "private": 0,
        "excluded": 0,
        "flagged": 1,
    }
    # an unknown update cycle is optional: the record is kept, flagged with
    # source, record, field and the value as it came
    [flagged] = nr["flagged"]
    assert (flagged["source"], flagged["record"]) == ("nr", "511900001/00005")
    [flag] = flagged["flags"]
    assert (flag["field"], flag["value"]) == ("update_cycle", "每两年")
    assert "每两年" in flag["problem"]["en"]
    held = datasets(tmp_path)
    assert set(held) == {"511900001/00001", "511900001/00002", "511900001/00004", "511900001/00005"}
    assert "update_cycle" not in held["511900001/00005"]
    assert held["511900001/00005"]["quality_flags"] == [flag]
    water = held["511900001/00001"]
    assert water["title_translated"] == {"zh-Hans": "巴中市地表水水质监测数据"}
    assert water["sharing_attribute"] == "unconditional" and water["update_cycle"] == "monthly"
    assert water["access_methods"] == ["online_download"]
    assert water["owner_org"] == "uscc-11510000mb0000002w"
    assert water["organization"]["uscc"] == "11510000MB0000002W"
    assert water["resources"] == [{"url": "https://data.bazhong.example.cn/files/water-quality.csv"}]
    soil = held["511900001/00002"]
    assert soil["open_attribute"] == "conditional" and soil["open_audience"] == ["researchers", "government"]
    deferred = held["511900001/00004"]
    assert (deferred["disclosure"], deferred["deferral_reason"], deferred["embargo_until"]) == (
        "deferred",
        "paper",
        "2027-12-31",
    )
    # the classified record's content is not even in the database file
    with open(tmp_path / "data" / "harvest.sqlite", "rb") as f:
        assert "地质测绘".encode() not in f.read()


def test_unchanged_reharvest_writes_nothing(tmp_path):
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": f"file://{CSV}"}])
    run_report(tmp_path, config)
    before = {d["harvest_identifier"]: d["harvest_updated"] for d in datasets(tmp_path).values()}
    store = Store(str(tmp_path / "data"))
    rows_before = store.db.execute("SELECT identifier, hash, updated FROM records ORDER BY identifier").fetchall()
    store.close()
    _, report = run_report(tmp_path, config)
    counts = source_report(report, "nr")["counts"]
    assert (counts["new"], counts["updated"], counts["unchanged"], counts["withdrawn"]) == (0, 0, 4, 0)
    store = Store(str(tmp_path / "data"))
    assert (
        store.db.execute("SELECT identifier, hash, updated FROM records ORDER BY identifier").fetchall() == rows_before
    )
    store.close()
    assert {d["harvest_identifier"]: d["harvest_updated"] for d in datasets(tmp_path).values()} == before


def test_changed_row_is_updated_and_vanished_row_withdrawn(tmp_path):
    sheet = tmp_path / "catalogue.csv"
    shutil.copy(CSV, sheet)
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": f"file://{sheet}"}])
    run_report(tmp_path, config)
    lines = sheet.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("每月", "每周")
    del lines[2]  # 511900001/00002 disappears
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, report = run_report(tmp_path, config)
    nr = source_report(report, "nr")
    assert (nr["counts"]["updated"], nr["counts"]["withdrawn"], nr["withdrawal"]["applied"]) == (1, 1, True)
    held = datasets(tmp_path)
    assert "511900001/00002" not in held and held["511900001/00001"]["update_cycle"] == "weekly"
    store = Store(str(tmp_path / "data"))
    assert [w["name"] for w in store.iter_withdrawn()] == ["nr-511900001-00002"]
    store.close()


def test_record_turning_classified_leaves_the_public_store(tmp_path):
    sheet = tmp_path / "catalogue.csv"
    shutil.copy(CSV, sheet)
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": f"file://{sheet}"}])
    run_report(tmp_path, config)
    text = sheet.read_text(encoding="utf-8")
    first = text.splitlines()[1]
    sheet.write_text(text.replace(first, first.replace(",非涉密,,,", ",涉密,机密,,")), encoding="utf-8")
    _, report = run_report(tmp_path, config)
    assert source_report(report, "nr")["counts"]["classified"] == 2
    assert "511900001/00001" not in datasets(tmp_path)


def test_xlsx_title_block_bilingual_columns_filters_and_overrides(tmp_path):
    config = write_config(
        tmp_path,
        [
            {
                "name": "kj",
                "type": "spreadsheet",
                "url": f"file://{XLSX}",
                "exclude": [{"identifier": "*/00004"}],
                "mapping": {"update_cycle": {"每季度": "half_yearly"}},
            }
        ],
    )
    code, report = run_report(tmp_path, config)
    kj = source_report(report, "kj")
    assert code == 0
    assert (kj["counts"]["new"], kj["counts"]["classified"], kj["counts"]["excluded"]) == (2, 1, 1)
    held = datasets(tmp_path)
    outcomes = held["511900003/00001"]
    assert outcomes["title_translated"] == {
        "zh-Hans": "巴中市科技成果登记数据",
        "en": "Registered research outcomes of Bazhong",
    }
    assert outcomes["update_cycle"] == "half_yearly"  # the override beats the code list
    assert outcomes["cstr"] == "CSTR:31253.11.bzkj.0001"
    tea = held["511900003/00002"]
    assert tea["embargo_until"] == "2027-03-31" and tea["deferral_reason"] == "patent"


def test_spreadsheet_without_header_fails_the_source(tmp_path):
    sheet = tmp_path / "junk.csv"
    sheet.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    config = write_config(tmp_path, [{"name": "junk", "type": "spreadsheet", "url": f"file://{sheet}"}])
    code, report = run_report(tmp_path, config)
    junk = source_report(report, "junk")
    assert code == 1 and junk["status"] == "failed"
    assert "no header row" in junk["errors"][0]


def test_gb18030_csv_and_rows_without_code(tmp_path):
    sheet = tmp_path / "gbk.csv"
    sheet.write_bytes(
        "资源代码,资源名称,共享属性\n,无代码的资源,无条件共享\n5119/0001,国标编码资源,无条件共享\n".encode("gb18030")
    )
    config = write_config(tmp_path, [{"name": "gbk", "type": "spreadsheet", "url": f"file://{sheet}"}])
    code, report = run_report(tmp_path, config)
    gbk = source_report(report, "gbk")
    # a row nothing identifies is refused like an invalid record: it cannot
    # be a held record, so it neither fails the run nor stops withdrawals
    assert code == 0 and gbk["status"] == "ok"
    assert gbk["counts"]["new"] == 1 and gbk["counts"]["invalid"] == 1 and gbk["counts"]["failed"] == 0
    refused = gbk["invalid"][0]
    assert refused["record"] == "row 2" and "资源代码" in refused["fields"][0]["messages"]["en"]
