"""Scores, bands and units: computed the same way for one dataset and many."""

import pytest
from evaluation_records import BASE, TODAY

from sdm_schema import evaluation as ev
from sdm_schema.evaluation import conformance, report
from sdm_schema.evaluation.scoring import combine


@pytest.mark.parametrize(
    "score, code",
    [
        (100, "excellent"),
        (87, "excellent"),
        (86.9, "good"),
        (55, "good"),
        (54.9, "sufficient"),
        (30, "sufficient"),
        (29.9, "bad"),
        (0, "bad"),
    ],
)
def test_bands(score, code):
    assert ev.band(score).code == code


def test_band_labels_in_both_languages():
    assert [b.label["zh-Hans"] for b in ev.bands()] == ["优秀", "良好", "合格", "较差"]
    assert [b.label["en"] for b in ev.bands()] == ["Excellent", "Good", "Sufficient", "Bad"]


def test_weights_follow_the_definitions():
    # only openness measured, half open: the score is that dimension's value
    dims, score = combine({"open_by_default": 0.5})
    assert score == 50.0 and dims["openness"] == 0.5 and dims["findability"] is None
    # findability 1 (weight 25) and timeliness 0 (weight 15)
    _dims, score = combine({"required_filled": 1.0, "updated_on_time": 0.0})
    assert score == round(100 * 25 / 40, 1)


def test_overdue_record_scores_exactly(open_record):
    record = dict(open_record, update_cycle="monthly", metadata_modified="2024-10-01")
    result = ev.evaluate_dataset(record, today=TODAY)
    # findability 25, conformance 15 (formats and licence known), openness 15,
    # harvest 5 all 1; timeliness 15 is 0; nothing else applies
    assert result.dimensions["timeliness"] == 0.0
    assert result.score == round(100 * 60 / 75, 1)
    assert result.band.code == "good"


def test_unit_of_one_scores_its_dataset(open_record):
    record = dict(open_record, update_cycle="monthly", metadata_modified="2024-10-01")
    single = ev.evaluate_dataset(record, today=TODAY)
    assert ev.evaluate_unit("org-cma", [single]).score == single.score


def test_unit_averages_indicators_then_scores(open_record):
    good = ev.evaluate_dataset(open_record, today=TODAY)
    late = ev.evaluate_dataset(dict(open_record, id="late", name="late", metadata_modified="2024-01-01"), today=TODAY)
    closed = ev.evaluate_dataset(dict(open_record, id="closed", name="closed", open_attribute="not_open"), today=TODAY)
    unit = ev.evaluate_unit("org-cma", [good, late, closed])
    assert unit.values["updated_on_time"] == pytest.approx(2 / 3)
    assert unit.values["closed_with_reason"] == 0.0  # applies to one dataset, which gives no reason
    assert unit.openness() == {"unconditional": 2, "conditional": 0, "not_open": 1}
    assert [e.record["name"] for e in unit.overdue()] == ["late"]
    assert [e.record["name"] for e in unit.worst()] == ["late", "closed"]  # 80.0, then 85.7
    assert (late.score, closed.score) == (80.0, 85.7)
    assert unit.score == combine(unit.values)[1]


def test_units_ranked_and_classified_only_counted(open_record):
    other = dict(open_record, id="o2", name="o2", owner_org="org-b", metadata_modified="2020-01-01")
    classified = dict(
        open_record,
        id="c",
        name="c",
        owner_org="org-b",
        secrecy="classified",
        secrecy_level="secret",
        secrecy_period_years=5,
    )
    units = ev.evaluate_units(
        [ev.evaluate_dataset(r, today=TODAY) for r in (open_record, other, classified)],
        counts={"org-b": {"classified": 1}},
    )
    assert [u.unit for u in units] == ["org-cma", "org-b"]
    assert len(units[1].datasets) == 1 and units[1].counts == {"classified": 1}


def test_conformance_finds_a_missing_description(open_record):
    broken = dict(open_record, id="no-notes", name="no-notes", notes_translated={})
    cache = {}
    found = conformance.check([open_record, broken], BASE, cache, today=TODAY)
    assert found[open_record["id"]] == []
    assert any("description" in finding for finding in found["no-notes"])
    # not visible abroad: not checked
    closed = dict(open_record, id="closed", open_attribute="not_open", closed_reason="x")
    assert "closed" not in conformance.check([closed], BASE, cache, today=TODAY)
    # cached by the triples' digest: the same findings without validating again
    assert len(cache) == 2
    assert conformance.check([broken], BASE, cache, today=TODAY) == {"no-notes": found["no-notes"]}


def test_scorecard_json_and_csv(open_record):
    late = dict(open_record, id="late", name="=late", metadata_modified="2024-01-01")
    units = ev.evaluate_units([ev.evaluate_dataset(r, today=TODAY) for r in (open_record, late)])
    card = report.scorecard(units, "2025-01-01T00:00:00+00:00")
    assert card["units"][0]["overdue"] == ["=late"]
    assert card["units"][0]["band"]["label"] == {"zh-Hans": "良好", "en": "Good"} or card["units"][0]["band"]
    assert {d["name"] for d in card["datasets"]} == {"open-record", "=late"}
    rows = report.datasets_csv(card).lstrip("\ufeff").splitlines()
    assert rows[0].startswith("unit,id,name,score,band,findability")
    assert any(",'=late," in row for row in rows)  # never a formula
    assert report.units_csv(card).lstrip("\ufeff").splitlines()[1].startswith("org-cma,2,")
