"""The cross-field rules (sdm_schema.rules) enforced by package_create in real CKAN."""

import datetime as dt

import pytest
from ckan.logic import ValidationError

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

TODAY = dt.date.today()


def minimal(name, **fields):
    return dict(name=name, title_translated={"zh-Hans": "测试数据集"}, **fields)


def errors_of(create_dataset, **fields):
    with pytest.raises(ValidationError) as error:
        create_dataset(**fields)
    return error.value.error_dict


def test_defaults_make_data_open_by_default(create_dataset):
    created = create_dataset(**minimal("open-by-default"))
    assert created["open_attribute"] == "unconditional"
    assert created["secrecy"] == "unclassified"
    assert created["disclosure"] == "public"
    assert created["fee_basis"] == "free"


def test_classified_refused_in_a_public_catalogue(create_dataset):
    errors = errors_of(create_dataset, **minimal("secret-data", secrecy="classified", secrecy_level="secret"))
    assert "涉密" in errors["secrecy"][0] and "classified" in errors["secrecy"][0]


@pytest.mark.ckan_config("ckanext.sdm.allow_classified", "true")
def test_classified_on_an_internal_catalogue_needs_level_and_one_term(create_dataset):
    base = minimal(
        "internal",
        secrecy="classified",
        sharing_attribute="not_shared",
        sharing_condition="涉密",
        open_attribute="not_open",
        closed_reason="涉密",
    )
    assert set(errors_of(create_dataset, **base)) >= {"secrecy_level", "secrecy_period_years"}
    too_long = dict(base, secrecy_level="confidential", secrecy_period_years=11)
    assert "10" in errors_of(create_dataset, **too_long)["secrecy_period_years"][0]
    two_terms = dict(base, secrecy_level="secret", secrecy_period_years=5, declassify_condition="项目结题")
    assert "secrecy_period_years" in errors_of(create_dataset, **two_terms)
    created = create_dataset(**dict(base, secrecy_level="secret", secrecy_period_years=20))
    assert created["secrecy_period_years"] == 20


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"sharing_attribute": "conditional"}, "sharing_condition"),
        ({"open_attribute": "not_open"}, "closed_reason"),
        ({"open_attribute": "conditional", "open_condition": "协议"}, "open_audience"),
        ({"open_attribute": "conditional", "open_audience": ["researchers"]}, "review_procedure"),
        ({"data_grade": "core"}, "open_attribute"),
        ({"disclosure": "deferred", "embargo_until": (TODAY + dt.timedelta(days=30)).isoformat()}, "deferral_reason"),
        ({"disclosure": "deferred", "deferral_reason": "paper", "embargo_until": TODAY.isoformat()}, "embargo_until"),
        (
            {
                "disclosure": "deferred",
                "deferral_reason": "paper",
                "embargo_until": (TODAY + dt.timedelta(days=6 * 366)).isoformat(),
            },
            "embargo_until",
        ),
        ({"fee_basis": "nonprofit"}, "fee_items"),
        ({"fee_basis": "commercial"}, "fee_items"),
        (
            {
                "fee_basis": "nonprofit",
                "fee_items": [{"name": "加工", "amount": "1"}],
                "free_use_purposes": ["public_safety"],
            },
            "free_use_purposes",
        ),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"discipline": ["999"]}, "discipline"),
    ],
)
def test_rule_names_the_field_in_both_languages(create_dataset, fields, field):
    errors = errors_of(create_dataset, **minimal("broken", **fields))
    assert field in errors, errors
    message = errors[field][0]
    assert " / " in message  # zh-Hans / en


def test_nonprofit_fee_keeps_the_free_use_purposes(create_dataset):
    created = create_dataset(
        **minimal(
            "fees",
            fee_basis="nonprofit",
            fee_items=[{"name_translated": {"zh-Hans": "加工", "en": "Processing"}, "amount": "12.50"}],
        )
    )
    assert len(created["free_use_purposes"]) == 6
    assert created["fee_items"] == [
        {"name_translated": {"zh-Hans": "加工", "en": "Processing"}, "amount": "12.50", "currency": "CNY"}
    ]


def test_uscc_validated_on_the_responsible_unit():
    from ckan.tests import factories

    with pytest.raises(ValidationError) as error:
        factories.Organization(title_translated={"zh-Hans": "某单位"}, uscc="91110000600037341X")
    assert "uscc" in error.value.error_dict
