"""The evaluation's pages in headless Chromium, in Chinese and English: the
ranking and a unit's page with its charts, after a real `ckan sdm evaluate`
on the live site's database.  Screenshots go to docs/screenshots with
`make screenshots` (evaluation-*.png)."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from browser_actors import TAG, unit_fields
from playwright.sync_api import expect

from sdm_schema import evaluation, message

UNIT = unit_fields("bazhong-water", "11511900MB12345679", "巴中市水利局", "Bazhong Water Bureau")
COMPLETE = {
    "notes_translated": {"zh-Hans": "逐月水位。", "en": "Monthly water levels."},
    "keywords_translated": {"zh-Hans": ["水位"], "en": ["water level"]},
    "discipline": ["170"],
    "license_id": "cc-by",
    "contact_name": "李华",
    "contact_email": "water@example.cn",
}


@pytest.fixture(scope="module")
def evaluated(site, request):
    api = site.api.action
    unit = api.organization_create(**UNIT)
    api.package_create(
        owner_org=unit["id"],
        name="water-levels",
        update_cycle="monthly",
        title_translated={"zh-Hans": "河道水位", "en": "River water levels"},
        resources=[{"url": "https://files.example.cn/levels.csv", "format": "CSV"}],
        **COMPLETE,
    )
    api.package_create(
        owner_org=unit["id"],
        name="reservoirs",
        update_cycle="daily",
        title_translated={"zh-Hans": "水库蓄水量"},
        open_attribute="conditional",
        open_condition="签署协议",
        open_audience=["researchers"],
        review_procedure="十日内审核",
        resources=[{"url": "https://files.example.cn/reservoirs.csv", "format": "CSV"}],
    )
    ini = request.config.getoption("--ckan-ini")
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    later = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    for day in ((dt.date.today() + dt.timedelta(days=1)).isoformat(), later):
        result = subprocess.run([ckan, "-c", ini, "sdm", "evaluate", "--today", day], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
    return unit


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_ranking_and_unit_page(actor, evaluated, locale):
    reader = actor(locale)
    reader.goto("/evaluation")
    expect(reader.page.locator("h1")).to_have_text(message("eval_page_title")[TAG[locale]])
    row = reader.page.locator(f'tr[data-unit="{UNIT["name"]}"]')
    expect(row).to_contain_text(UNIT["title_translated"][TAG[locale]])
    reader.shoot(f"evaluation-ranking-{locale}")
    row.locator("a").first.click()
    page = reader.page
    expect(page.locator("h1.sdm-eval-title")).to_have_text(message("eval_unit_title")[TAG[locale]])
    expect(page.locator(".sdm-eval-trend svg")).to_be_visible()
    expect(page.locator(".sdm-eval-openness svg")).to_be_visible()
    overdue = page.locator('section[data-dataset="reservoirs"] [data-indicator="updated_on_time"]')
    expect(overdue).to_contain_text(evaluation.indicators()["updated_on_time"].label[TAG[locale]])
    reader.shoot(f"evaluation-unit-{locale}")
