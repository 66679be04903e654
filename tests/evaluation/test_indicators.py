"""Each indicator on records with one known defect, value and problem exact."""

import datetime as dt

import pytest
from evaluation_records import TODAY

from sdm_schema import evaluation as ev
from sdm_schema.evaluation import checks as ind
from sdm_schema.loader import fields_with


def outcome(record, key, facts=None):
    return ev.evaluate_dataset(record, facts, TODAY).outcomes[key]


def fields_of(result):
    return [p.field for p in result.problems]


def test_complete_open_record_has_no_problems(open_record):
    result = ev.evaluate_dataset(open_record, today=TODAY)
    assert result.problems == []
    assert result.score == 100.0
    assert result.band.code == "excellent"


def test_recommended_fields_come_from_the_schema_role(open_record):
    recommended = fields_with("recommended")
    assert "contact_email" in [f.name for f in recommended]
    record = dict(open_record, contact_email="", contact_name="")
    result = outcome(record, "recommended_filled")
    assert result.value == pytest.approx((len(recommended) - 2) / len(recommended))
    assert fields_of(result) == ["contact_name", "contact_email"]
    assert result.problems[0].messages == {"zh-Hans": "联系人：未填写。", "en": "Contact name: not given."}


def test_missing_required_title(open_record):
    record = dict(open_record, title_translated={})
    result = outcome(record, "required_filled")
    assert result.value < 1 and fields_of(result) == ["title_translated"]


def test_missing_english_title_of_open_data(open_record):
    record = dict(open_record, title_translated={"zh-Hans": "只有中文"})
    result = outcome(record, "bilingual")
    # title, description, keywords, providing department are translated and given
    assert result.value == pytest.approx(3 / 4)
    assert [p.messages["en"] for p in result.problems] == ["Title: no English text."]
    assert result.problems[0].messages["zh-Hans"] == "名称：缺少英文。"


def test_bilingual_does_not_apply_to_data_kept_at_home(open_record):
    record = dict(
        open_record, open_attribute="not_open", closed_reason="涉及个人隐私", title_translated={"zh-Hans": "只有中文"}
    )
    assert outcome(record, "bilingual").value is None


def test_keywords_and_disciplines(open_record):
    result = outcome(dict(open_record, discipline=[]), "keywords_disciplines")
    assert result.value == 0.5 and fields_of(result) == ["discipline"]


def test_licence_given_and_known(open_record):
    assert outcome(dict(open_record, license_id=""), "licence_given").value == 0.0
    assert outcome(dict(open_record, license_id=""), "known_licence").value is None
    assert outcome(dict(open_record, license_id="CC-BY-4.0"), "known_licence").value == 1.0
    unknown = outcome(dict(open_record, license_id="我们自己的协议"), "known_licence")
    assert unknown.value == 0.0 and "我们自己的协议" in unknown.problems[0].messages["en"]


def test_known_formats(open_record):
    record = dict(
        open_record,
        resources=[
            {"url": "https://x.example/a", "format": "CSV"},
            {"url": "https://x.example/b", "format": "WeirdFmt"},
            {"url": "https://x.example/c"},
        ],
    )
    result = outcome(record, "known_formats")
    assert result.value == pytest.approx(1 / 3)
    assert [p.messages["en"] for p in result.problems] == [
        "Format: the format WeirdFmt of file 2 is not a known file type.",
        "Format: the format — of file 3 is not a known file type.",
    ]


def test_links_reachable_counts_checked_links_only(open_record):
    record = dict(
        open_record,
        resources=[{"url": "https://x.example/a"}, {"url": "https://x.example/b"}, {"url": "https://x.example/c"}],
    )
    links = {
        "https://x.example/a": ev.LinkResult(True, "HTTP 200", "2024-12-31T03:00:00+00:00"),
        "https://x.example/b": ev.LinkResult(False, "HTTP 404", "2024-12-31T03:00:00+00:00"),
    }
    result = outcome(record, "links_reachable", ev.Facts(links=links))
    assert result.value == 0.5
    assert result.problems[0].messages["en"] == "URL: link 2 cannot be reached (HTTP 404, checked 2024-12-31T03:00)."
    assert outcome(record, "links_reachable").value is None


def test_overdue_update(open_record):
    record = dict(open_record, update_cycle="monthly", metadata_modified="2024-11-15T00:00:00")
    result = outcome(record, "updated_on_time")
    assert result.value == 0.0
    assert result.problems[0].messages["en"] == (
        "Update cycle: last updated 2024-11-15, more than its cycle of 31 days ago."
    )
    assert outcome(dict(record, metadata_modified="2024-12-01"), "updated_on_time").value == 1.0
    assert outcome(dict(record, update_cycle="irregular"), "updated_on_time").value is None


def test_embargo_past_its_date_not_lifted(open_record):
    record = dict(open_record, disclosure="deferred", deferral_reason="paper", embargo_until="2024-06-30")
    result = outcome(record, "embargo_lifted")
    assert result.value == 0.0
    assert result.problems[0].messages["zh-Hans"] == "延期截止日期：延期已于 2024-06-30 到期，尚未解除。"
    assert outcome(dict(record, embargo_lifted="2024-06-30T00:10:00"), "embargo_lifted").value == 1.0
    assert outcome(dict(record, embargo_until="2025-06-30"), "embargo_lifted").value is None


def test_openness(open_record):
    assert outcome(open_record, "open_by_default").value == 1.0
    conditional = dict(open_record, open_attribute="conditional", open_condition="签协议", open_audience=[])
    assert outcome(conditional, "open_by_default").value == 0.5
    stated = outcome(conditional, "conditions_stated")
    # the example shares on conditions too, and states them: 2 of 4 given
    assert stated.value == pytest.approx(2 / 4)
    assert fields_of(stated) == ["open_audience", "review_procedure"]
    closed = dict(open_record, open_attribute="not_open")
    assert outcome(closed, "open_by_default").value == 0.0
    assert fields_of(outcome(closed, "closed_with_reason")) == ["closed_reason"]
    assert outcome(dict(closed, closed_reason="个人隐私"), "closed_with_reason").value == 1.0


def test_core_and_important_data_opened_wrongly(open_record):
    core = outcome(
        dict(open_record, data_grade="core", sharing_attribute="conditional", sharing_condition="x"), "grade_respected"
    )
    assert core.value == 0.0 and fields_of(core) == ["open_attribute"]
    important = outcome(dict(open_record, data_grade="important"), "grade_respected")
    assert important.value == 0.0
    assert important.problems[0].messages["en"] == (
        "Open attribute: important data should not be Open without conditions."
    )
    assert outcome(open_record, "grade_respected").value is None


def test_submission_changed(open_record):
    changed = outcome(open_record, "submission_intact", ev.Facts(submission=("SDM-2024-000001", True)))
    assert changed.value == 0.0
    assert (
        changed.problems[0].messages["en"]
        == "The data changed after submission certificate SDM-2024-000001 was issued."
    )
    assert outcome(open_record, "submission_intact", ev.Facts(submission=("n", False))).value == 1.0
    assert outcome(open_record, "submission_intact").value is None


def test_funded_data_without_certificate(open_record):
    """Due before TODAY, or with no due date: missing; due later: not yet."""
    assert open_record["funding_project"] == "2022YFF0711400"
    known = ev.Facts(certificates=True)
    overdue = dict(open_record, submission_due="2024-12-31")
    missing = outcome(overdue, "funded_submitted", known)
    assert (missing.value, fields_of(missing)) == (0.0, ["funding_project"])
    assert missing.problems[0].messages == {
        "zh-Hans": "资助项目编号：资助项目 2022YFF0711400 的数据尚无汇交凭证。",
        "en": "Funded project number: the data of funded project 2022YFF0711400 has no submission certificate.",
    }
    assert outcome(dict(open_record, submission_due=""), "funded_submitted", known).value == 0.0
    assert outcome(open_record, "funded_submitted", known).value is None  # due 2026-06-30
    certified = ev.Facts(certificates=True, submitted_on=dt.date(2024, 12, 1))
    assert outcome(overdue, "funded_submitted", certified).value == 1.0
    # not funded, or a catalogue that issues no certificates (the harvester): not applicable
    assert outcome(dict(overdue, funding_project=""), "funded_submitted", known).value is None
    assert outcome(overdue, "funded_submitted").value is None


def test_submission_overdue_or_late(open_record):
    due = dict(open_record, submission_due="2024-12-31")
    overdue = outcome(due, "submitted_on_time", ev.Facts(certificates=True))
    assert (overdue.value, fields_of(overdue)) == (0.0, ["submission_due"])
    assert (
        overdue.problems[0].messages["en"]
        == "Submission due date: due for submission by 2024-12-31, not submitted yet."
    )
    late = outcome(due, "submitted_on_time", ev.Facts(certificates=True, submitted_on=dt.date(2025, 1, 1)))
    assert late.value == 0.0
    assert late.problems[0].messages["zh-Hans"] == "汇交截止日期：2025-01-01 才汇交，晚于截止日期 2024-12-31。"
    on_the_day = ev.Facts(certificates=True, submitted_on=dt.date(2024, 12, 31))
    assert outcome(due, "submitted_on_time", on_the_day).value == 1.0
    assert (
        outcome(dict(due, submission_due="2025-01-01"), "submitted_on_time", ev.Facts(certificates=True)).value is None
    )
    assert outcome(dict(due, submission_due=None), "submitted_on_time", ev.Facts(certificates=True)).value is None
    assert outcome(due, "submitted_on_time").value is None


def test_access_requests_answered_in_time():
    now = dt.datetime(2025, 1, 1, 12)
    requests = [
        (now - dt.timedelta(days=40), now - dt.timedelta(days=38)),  # answered in 2 days
        (now - dt.timedelta(days=40), now - dt.timedelta(days=10)),  # answered in 30 days: late
        (now - dt.timedelta(days=20), None),  # unanswered past 15 days: late
        (now - dt.timedelta(days=3), None),
    ]  # still within its time
    assert ev.request_counts(requests, now) == (2, 3)


def test_requests_answered_value(open_record):
    result = outcome(open_record, "requests_answered", ev.Facts(requests=(2, 3)))
    assert result.value == pytest.approx(1 / 3)
    assert result.problems[0].messages["en"] == "2 of 3 access requests were not answered within 15 days."


def test_harvest_flags(open_record):
    assert outcome(dict(open_record, harvest_source=""), "harvest_clean").value is None
    flagged = dict(open_record, quality_flags=[{"field": "contact_phone", "problem": {}, "value": "x"}])
    result = outcome(flagged, "harvest_clean")
    assert result.value == 0.0 and "contact_phone" in result.problems[0].messages["en"]


def test_every_indicator_has_its_function():
    for key in ev.indicators():
        assert callable(getattr(ind, key))
