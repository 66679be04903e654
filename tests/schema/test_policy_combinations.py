"""Every combination of the fields the disclosure policy reads, generated
from their code lists: the rules, the policy and the harvester agree on
what is classified, and what validation accepts the policy shows as
docs/disclosure.md says.

The expectations are written out here, not asked of sdm_schema.disclosure.
"""

import datetime as dt
import itertools

import pytest

from sdm_schema import codelist, disclosure
from sdm_schema.validation import Context, validate_record

TODAY = dt.date(2026, 6, 1)
EMBARGO = {"none": None, "past": "2026-01-01", "future": "2027-01-01"}
AUDIENCES = (disclosure.PUBLIC, disclosure.GOVERNMENT, disclosure.INTERNATIONAL)


def _axes():
    return itertools.product(
        codelist("secrecy").codes,
        (None, *codelist("secrecy_level").codes),
        codelist("open_attribute").codes,
        codelist("disclosure").codes,
        tuple(EMBARGO),
        codelist("data_grade").codes,
    )


def _record(secrecy, level, open_attr, disclosure_code, embargo, grade) -> dict:
    """A record with the combination and whatever else the rules ask for,
    so that only the combination itself can be refused."""
    record = {
        "title_translated": {"zh-Hans": "组合", "en": "Combination"},
        "name": "combination",
        "owner_org": "org",
        "secrecy": secrecy,
        "open_attribute": open_attr,
        "disclosure": disclosure_code,
        "data_grade": grade,
        "sharing_attribute": "not_shared",
        "sharing_condition": "依申请",
        "open_condition": "签署协议",
        "open_audience": ["researchers"],
        "review_procedure": "审核",
        "closed_reason": "涉及个人信息",
        "deferral_reason": "paper",
        "resources": [{"url": "https://files.example.cn/a.csv"}],
    }
    if level:
        record.update(secrecy_level=level, secrecy_period_years=1)
    if EMBARGO[embargo]:
        record["embargo_until"] = EMBARGO[embargo]
    return record


COMBINATIONS = list(_axes())


def test_every_code_of_every_policy_field_is_combined():
    assert len(COMBINATIONS) == (
        len(codelist("secrecy").codes)
        * (len(codelist("secrecy_level").codes) + 1)
        * len(codelist("open_attribute").codes)
        * len(codelist("disclosure").codes)
        * len(EMBARGO)
        * len(codelist("data_grade").codes)
    )


@pytest.mark.parametrize("combination", COMBINATIONS, ids=lambda c: "-".join(str(v) for v in c))
def test_rules_policy_and_harvester_agree(combination):
    secrecy, level, open_attr, disclosure_code, embargo, grade = combination
    record = _record(*combination)
    classified = secrecy == "classified" or level is not None

    assert disclosure.is_classified(record) is classified
    for audience in AUDIENCES:
        decision = disclosure.decide(record, audience, TODAY)
        if classified:
            assert not decision.visible and not decision.resources
            assert disclosure.redact(record, audience, TODAY) is None

    _clean, errors = validate_record(record, Context(today=TODAY, allow_classified=True))
    fields = {e.field for e in errors}
    # a secrecy level with the marking, and only with it
    assert ("secrecy_level" in fields) is ((level is None) == (secrecy == "classified"))
    if errors:
        return
    # what validation accepts, the policy shows as docs/disclosure.md says
    assert not classified or (open_attr == "not_open")
    withheld = disclosure_code == "deferred" and embargo == "future"
    for audience in AUDIENCES:
        decision = disclosure.decide(record, audience, TODAY)
        hidden_abroad = open_attr == "not_open" or grade == "core"
        expected_visible = not classified and not (audience == disclosure.INTERNATIONAL and hidden_abroad)
        assert decision.visible is expected_visible
        assert decision.resources is (expected_visible and open_attr == "unconditional" and not withheld)


def test_unclassified_record_with_a_secrecy_level_is_refused_and_kept_home():
    record = _record("unclassified", "secret", "unconditional", "public", "none", "general")
    _clean, errors = validate_record(record, Context(today=TODAY))
    by_field = {e.field: e.messages for e in errors}
    assert set(by_field) == {"secrecy_level", "secrecy_period_years"}
    assert "涉密" in by_field["secrecy_level"]["zh-Hans"] and "classified" in by_field["secrecy_level"]["en"]
    assert all(not disclosure.decide(record, a, TODAY).visible for a in AUDIENCES)


def test_embargo_end_reads_only_deferred_records_with_a_date():
    assert disclosure.embargo_end({"disclosure": "deferred", "embargo_until": "2027-01-01T00:00:00"}) == dt.date(
        2027, 1, 1
    )
    assert disclosure.embargo_end({"disclosure": "public", "embargo_until": "2027-01-01"}) is None
    assert disclosure.embargo_end({"disclosure": "deferred", "embargo_until": "soon"}) is None
    # deferred without a readable date stays withheld
    assert disclosure.embargo_active({"disclosure": "deferred", "embargo_until": "soon"}, TODAY)


@pytest.mark.parametrize(
    "open_attr,methods,eligible",
    [
        ("conditional", [], True),
        ("unconditional", ["customised_service"], True),
        ("unconditional", ["online"], False),
        ("not_open", [], False),
    ],
)
def test_access_eligibility(open_attr, methods, eligible):
    record = {"secrecy": "unclassified", "open_attribute": open_attr, "access_methods": methods}
    assert disclosure.access_eligible(record, TODAY) is eligible
    assert not disclosure.access_eligible(dict(record, secrecy_level="secret"), TODAY)
