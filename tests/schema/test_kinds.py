"""The registry of value kinds: every field's kind is known and fits it, an
unknown kind fails when the schema is loaded, and stored values decode the
one way (text stays text)."""

import pytest

from sdm_schema import dataset_fields, kinds
from sdm_schema.loader import Field, SchemaError, _checked


def _field(**definition):
    return Field.from_definition({"field_name": "extra_field", "label": {"en": "Extra"}, **definition}, {})


def test_every_schema_field_has_a_known_kind():
    assert {f.kind for f in dataset_fields()} <= set(kinds.KINDS)


def test_a_mistyped_kind_fails_at_load_naming_the_field():
    with pytest.raises(SchemaError, match=r"sdm_dataset.yaml: field 'extra_field': unknown kind 'txet'"):
        _checked((_field(kind="txet"),), "sdm_dataset.yaml")


def test_a_code_kind_without_a_code_list_fails_at_load():
    with pytest.raises(SchemaError, match="needs a codelist"):
        _checked((_field(kind="code", validators="sdm_code"),), "sdm_dataset.yaml")


def test_a_kind_without_its_validator_fails_at_load():
    with pytest.raises(SchemaError, match="needs the validator sdm_date"):
        _checked((_field(kind="date", validators="sdm_text"),), "sdm_dataset.yaml")


@pytest.mark.parametrize(
    "kind,stored,value",
    [
        ("text", "1.10", "1.10"),
        ("text", "true", "true"),
        ("text", "007", "007"),
        ("integer", "5", 5),
        ("codes", '["a", "b"]', ["a", "b"]),
        ("translated_text", '{"en": "x"}', {"en": "x"}),
        ("text", "[draft", "[draft"),
    ],
)
def test_stored_values_decode_by_kind(kind, stored, value):
    assert kinds.get(kind).decode(stored) == value


def test_index_values_by_kind():
    assert kinds.get("codes").index('["110", "140"]') == ["110", "140"]
    assert kinds.get("fee_items").index('[{"amount": "1"}]') is None
    assert kinds.get("text").index("v1.10") == "v1.10"
