"""The SDM schema inside real CKAN and PostgreSQL: every field goes in through
package_create and comes back unchanged."""

import pytest
from ckan.tests.helpers import call_action

from sdm_schema import dataset_fields, organization_fields

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_plugin_serves_the_sdm_schema():
    schema = call_action("scheming_dataset_schema_show", type="dataset")
    served = [f["field_name"] for f in schema["dataset_fields"]]
    assert served == [f.name for f in dataset_fields()]
    title = next(f for f in schema["dataset_fields"] if f["field_name"] == "title_translated")
    assert title["label"] == {"zh-Hans": "名称", "en": "Title"}


def test_every_field_reads_back_unchanged(full_dataset, create_dataset, responsible_unit):
    created = create_dataset(**full_dataset)
    shown = call_action("package_show", id=created["id"])
    for field in dataset_fields():
        if field.name in full_dataset:
            assert shown[field.name] == full_dataset[field.name], field.name
    assert shown["owner_org"] == responsible_unit["id"]
    resource = shown["resources"][0]
    for key, value in full_dataset["resources"][0].items():
        assert resource[key] == value, key


def test_core_title_and_notes_follow_the_default_language(full_dataset, create_dataset):
    # test.ini sets ckan.locale_default = zh_Hans_CN
    created = create_dataset(**full_dataset)
    assert created["title"] == full_dataset["title_translated"]["zh-Hans"]
    assert created["notes"] == full_dataset["notes_translated"]["zh-Hans"]


def test_organisation_keeps_its_uscc(responsible_unit):
    shown = call_action("organization_show", id=responsible_unit["id"])
    assert shown["uscc"] == "91110000600037341L"
    assert shown["title"] == "国家气象信息中心"
    assert [f.name for f in organization_fields()][0] == "title_translated"
