"""What `python -m sdm_schema.generate` writes is what the schema says:
sdm.ttl, the Solr multi-valued fields, the field tables of docs/."""

from sdm_schema import dataset_fields, generate


def test_every_generated_artefact_is_fresh():
    assert generate.stale() == [], "run: python -m sdm_schema.generate"


def test_solr_lists_every_field_the_kind_holds_as_several_values():
    block = generate.solr_multivalued()
    for field in dataset_fields():
        assert (f'name="{field.name}"' in block) is field.kind_type.solr_multivalued, field.name


def test_the_fields_table_has_a_row_per_field():
    table = generate.fields_table()
    assert all(f"| `{f.name}` |" in table for f in dataset_fields())


def test_solr_synonyms_hold_the_code_lists_and_the_glossary():
    lines = generate.solr_synonyms().splitlines()
    assert "物理学, Physics" in lines  # discipline 140, a facet's code list
    assert "遥感, remote sensing" in lines  # search_glossary.yaml


def test_a_glossary_group_of_one_term_is_refused(tmp_path, monkeypatch):
    from sdm_schema import synonyms

    monkeypatch.setattr(synonyms, "_read_yaml", lambda name: {"groups": [["遥感"]]})
    try:
        synonyms.glossary_groups()
    except ValueError as error:
        assert "search_glossary.yaml" in str(error) and "遥感" in str(error)
    else:
        raise AssertionError("a one-term group was accepted")


def test_a_missing_marker_is_named(tmp_path):
    artefact = generate.Artefact(str(tmp_path / "x.md"), "fields", generate.fields_table)
    try:
        generate.expected(artefact, "no markers here")
    except ValueError as error:
        assert "x.md" in str(error) and "BEGIN generated" in str(error)
    else:
        raise AssertionError("a file without markers was accepted")
