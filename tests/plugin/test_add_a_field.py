"""Adding a code-list field is one code-list file, one schema entry and one
regeneration command (CONTRIBUTING.md), and the field then exists
everywhere: in the form, the validated record, the search index and its
facets, the feeds and the harvester's column table.

The field is added to a temporary copy of the schema folder (and of the
docs the generator writes into); a second CKAN process runs on that copy
(SDM_SCHEMA_DIR, scheming pointed at the copy's YAML) against the suite's
database and Solr, as a contributor would try it."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from sample_units import USCC

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CKAN = os.path.join(os.path.dirname(sys.executable), "ckan")
FIELD, CODE = "funding_source", "central_budget"
CODELIST = """\
name: funding_source
uri: https://w3id.org/sdm/code/funding-source/
label: {zh-Hans: 资金来源, en: Funding source}
codes:
  - code: central_budget
    label: {zh-Hans: 中央财政, en: Central budget}
    aliases: [中央财政资金]
  - code: local_budget
    label: {zh-Hans: 地方财政, en: Local budget}
"""
ENTRY = """
- field_name: funding_source
  section: basic
  preset: sdm_code
  codelist: funding_source
  facet: 99
  source_names: [经费来源]
  label: {zh-Hans: 资金来源, en: Funding source}

resource_fields:"""


def _add_field(root):
    schema = root / "schemas" / "sdm_schema"
    (schema / "codelists" / "funding_source.yaml").write_text(CODELIST, encoding="utf-8")
    path = schema / "sdm_dataset.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("\nresource_fields:") == 1
    path.write_text(text.replace("\nresource_fields:", ENTRY), encoding="utf-8")
    return schema


def _python(env, code):
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A checkout's schema and docs with the new field, regenerated."""
    root = tmp_path_factory.mktemp("checkout")
    shutil.copytree(os.path.join(ROOT, "schemas"), root / "schemas", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(os.path.join(ROOT, "docs"), root / "docs")
    schema = _add_field(root)
    env = dict(os.environ, SDM_SCHEMA_DIR=str(schema))
    wrote = _python(env, "from sdm_schema.generate import main; main([])")
    return {"root": root, "schema": schema, "env": env, "wrote": wrote}


def test_one_command_regenerates_what_is_made_from_the_schema(copy):
    assert "wrote: schemas/sdm_schema/sdm.ttl" in copy["wrote"]
    assert "wrote: docs/fields.md" in copy["wrote"]
    assert "fundingSource" in (copy["schema"] / "sdm.ttl").read_text(encoding="utf-8")
    assert "| `funding_source` | Funding source | `code` | `funding_source` |" in (
        copy["root"] / "docs" / "fields.md"
    ).read_text(encoding="utf-8")
    assert "经费来源 | `funding_source` (资金来源)" in (copy["root"] / "docs" / "harvester.md").read_text(
        encoding="utf-8"
    )
    check = subprocess.run(
        [sys.executable, "-m", "sdm_schema.generate", "--check"], env=copy["env"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout


def test_the_harvester_maps_the_field_by_its_column_name_and_code_labels(copy):
    out = _python(
        copy["env"],
        "\n".join(
            [
                "import json",
                "from sdm_harvester.mapping import Columns, Mapper, NOT_HARVESTED",
                "print(json.dumps([Columns().resolve('经费来源'), Columns().resolve('资金来源'),",
                f"                  Mapper().known_code('{FIELD}', '中央财政资金'), '{FIELD}' in NOT_HARVESTED]))",
            ]
        ),
    )
    assert json.loads(out) == [[FIELD, None], [FIELD, None], CODE, False]


@pytest.fixture(scope="module")
def site(copy, request, tmp_path_factory):
    """What a CKAN process running on the copy makes of a dataset with the field."""
    ini = tmp_path_factory.mktemp("site") / "new-field.ini"
    shutil.copy(request.config.getoption("--ckan-ini"), ini)
    yaml_url = f"file://{copy['schema']}"
    subprocess.run(
        [
            CKAN,
            "config-tool",
            str(ini),
            f"scheming.dataset_schemas = {yaml_url}/sdm_dataset.yaml",
            f"scheming.presets = ckanext.scheming:presets.json {yaml_url}/presets.yaml",
        ],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "site_process.py"), str(ini), "new-field", FIELD, CODE, USCC],
        env=copy["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_the_form_offers_the_field_with_its_codes(site):
    assert f'name="{FIELD}"' in site["form"]
    assert "资金来源" in site["form"] or "Funding source" in site["form"]
    assert f'value="{CODE}"' in site["form"]


def test_the_record_keeps_the_code_and_the_index_finds_and_facets_it(site):
    assert site["stored"] == CODE
    assert site["found"] == 1
    assert [item["name"] for item in site["facet"]] == [CODE]


def test_the_feed_writes_the_field_as_an_sdm_term(site):
    assert "fundingSource" in site["feed"]
    assert "funding-source/central_budget" in site["feed"]
