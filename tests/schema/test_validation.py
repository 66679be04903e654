"""The schema's validators, outside CKAN (as the harvester runs them)."""

import datetime as dt

import pytest

from sdm_schema import dataset_field
from sdm_schema.validation import Context, Invalid, check_field, validate_record

CTX = Context(default_lang="zh-Hans", today=dt.date(2026, 11, 21))


def check(name, value, record=None):
    return check_field(dataset_field(name), value, record or {}, CTX)


def test_full_example_is_valid(full_dataset):
    clean, errors = validate_record(full_dataset, CTX)
    assert errors == []
    assert clean["title"] == full_dataset["title_translated"]["zh-Hans"]
    assert clean["fee_items"][0]["amount"] == "200.00"


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"zh": "气象数据"}, {"zh-Hans": "气象数据"}),
        ({"zh-CN": "气象数据", "EN": "Weather data"}, {"zh-Hans": "气象数据", "en": "Weather data"}),
        ('{"cn": "气象数据"}', {"zh-Hans": "气象数据"}),
        (
            "Daily weather observations from the national stations",
            {"en": "Daily weather observations from the national stations"},
        ),
        # too short to tell a language by: kept, marked undetermined
        ("Weather data", {"und": "Weather data"}),
        ("气象数据", {"zh-Hans": "气象数据"}),
        # Traditional text is kept as zh-Hant and folded into zh-Hans
        ("氣象資料", {"zh-Hans": "气象资料", "zh-Hant": "氣象資料"}),
        ({"zh-Hans": "氣象資料"}, {"zh-Hans": "气象资料", "zh-Hant": "氣象資料"}),
        ({"zh-TW": "氣象資料", "en": "Weather"}, {"zh-Hans": "气象资料", "zh-Hant": "氣象資料", "en": "Weather"}),
    ],
)
def test_translated_text_normalises_tags_and_scripts(value, expected):
    assert check("title_translated", value) == expected


def test_title_needs_one_language():
    with pytest.raises(Invalid) as error:
        check("title_translated", {"zh-Hans": " ", "en": ""})
    assert "名称" in error.value.messages["zh-Hans"] and "Title" in error.value.messages["en"]


def test_other_languages_are_kept_with_their_own_tag():
    assert check("title_translated", {"fr": "Données météo", "en": "Weather data"}) == {
        "fr": "Données météo",
        "en": "Weather data",
    }


def test_malformed_language_tag_is_named():
    with pytest.raises(Invalid, match="not a language"):
        check("title_translated", {"not a language!": "Données"})


def test_keywords_split_and_deduplicate():
    assert check("keywords_translated", {"zh": "气象，气候, 气象", "en": ["climate"]}) == {
        "zh-Hans": ["气象", "气候"],
        "en": ["climate"],
    }


def test_unknown_code_lists_the_choices():
    with pytest.raises(Invalid) as error:
        check("open_attribute", "sometimes")
    assert "sometimes" in str(error.value) and "not_open" in str(error.value)


def test_code_defaults_apply_when_empty():
    assert check("open_attribute", None) == "unconditional"
    assert check("secrecy", "") == "unclassified"


def test_codes_accept_lists_json_and_text():
    assert check("discipline", ["140", "170", "140"]) == ["140", "170"]
    assert check("discipline", '["140"]') == ["140"]
    assert check("discipline", "140, 170") == ["140", "170"]
    with pytest.raises(Invalid, match="999"):
        check("discipline", ["999"])


@pytest.mark.parametrize(
    "value", ["010-68400000", "13800138000", "+86 13800138000", "0851-8888888-123", "400-810-0000"]
)
def test_phone_accepts_mainland_forms(value):
    assert check("contact_phone", value) == value


@pytest.mark.parametrize("value", ["12345", "phone", "010-12"])
def test_phone_rejects_garbage(value):
    with pytest.raises(Invalid):
        check("contact_phone", value)


def test_identifiers_are_normalised():
    assert check("cstr", "31253.11.sciencedb.06290") == "CSTR:31253.11.sciencedb.06290"
    assert check("cstr", "https://cstr.cn/31253.11.sciencedb.06290") == "CSTR:31253.11.sciencedb.06290"
    assert check("doi", "https://doi.org/10.11922/sciencedb.06290") == "10.11922/sciencedb.06290"
    for name, value in [
        ("cstr", "CSTR:12.11.x"),
        ("doi", "11.1/x"),
        ("contact_email", "a@b"),
        ("fee_schedule_url", "ftp://x"),
        ("resource_code", "A00034VG345"),
    ]:
        with pytest.raises(Invalid):
            check(name, value)


def test_fee_items_are_structured():
    items = check("fee_items", [{"name": "加工", "amount": "12.5"}])
    assert items == [{"name_translated": {"zh-Hans": "加工"}, "amount": "12.5", "currency": "CNY"}]
    for bad in (
        [{"name": "x", "amount": "-1"}],
        [{"name": "x", "amount": "abc"}],
        [{"name": "x", "amount": "1", "currency": "yuan"}],
        [{"amount": "1"}],
    ):
        with pytest.raises(Invalid):
            check("fee_items", bad)


def test_errors_name_the_field_and_keep_the_rest(full_dataset):
    record = dict(full_dataset, contact_email="not-an-email", update_cycle="hourly")
    clean, errors = validate_record(record, CTX)
    assert sorted(e.field for e in errors) == ["contact_email", "update_cycle"]
    assert clean["title_translated"] == full_dataset["title_translated"]
    assert "contact_email" not in clean
