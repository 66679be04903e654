"""A fee through the dataset form's fee editor (one row per fee item, rows
added in the page), in headless Chromium: a non-profit fee without items is
refused in both languages, two items are saved and shown as the fee table."""

import pytest
from browser_actors import SYSADMIN, unit_fields
from playwright.sync_api import expect

from sdm_schema import codelist, dataset_field, message
from sdm_schema.errors import bilingual

LANGUAGES = ("zh-Hans", "en")
UNIT = unit_fields("sichuan-hydrology", "91110108551385082Q", "四川省水文局", "Sichuan Hydrology Bureau")
LEVELS = {
    "name": "river-levels",
    "private": False,
    "title_translated": {"zh-Hans": "河流水位数据", "en": "River levels"},
}


@pytest.fixture(scope="module")
def dataset(site):
    unit = site.api.action.organization_create(**UNIT)
    return site.api.action.package_create(owner_org=unit["id"], **LEVELS)


def _fee_row(page, index: int, zh: str, en: str, amount: str) -> None:
    row = page.locator(".sdm-fee-editor .sdm-row").nth(index)
    row.locator("input[lang=zh-Hans]").fill(zh)
    row.locator("input[lang=en]").fill(en)
    row.locator("input[name$='__amount']").fill(amount)


def test_an_administrator_charges_a_fee_with_the_fee_editor(actor, dataset):
    admin = actor("zh", SYSADMIN)
    admin.goto(f"/dataset/edit/{LEVELS['name']}")
    admin.dataset_form_ready()
    page = admin.page
    editor = page.locator(".sdm-fee-editor")
    expect(editor).to_be_hidden()
    page.select_option("#field-fee_basis", "nonprofit")
    expect(editor).to_be_visible()
    with page.expect_navigation():
        page.click("form:has(#field-name) button[name=save]")
    # a non-profit fee without items is refused, in both languages, under the
    # fee editor and in the summary alike, the field named once in each
    refusal = bilingual(
        {
            tag: message(
                "fee_items_required", dataset_field("fee_items"), basis=codelist("fee_basis").label_of("nonprofit", tag)
            )[tag]
            for tag in LANGUAGES
        }
    )
    expect(page.locator(".sdm-fee-editor .error-block")).to_have_text(refusal)
    expect(page.locator(".error-explanation li[data-field-label=fee_items]")).to_have_text(refusal)
    assert all(refusal.count(label) == 1 for label in dataset_field("fee_items").label.values()), refusal
    admin.dataset_form_ready()
    _fee_row(page, 0, "数据加工", "Processing", "200")
    page.click(".sdm-fee-editor .sdm-row-add")
    _fee_row(page, 1, "光盘刻录", "Disc copy", "50")
    page.locator(".sdm-fee-editor").scroll_into_view_if_needed()
    admin.shoot("dataset-form-fees-zh", full_page=False)
    with page.expect_navigation():
        page.click("form:has(#field-name) button[name=save]")
    assert page.url.endswith(f"/dataset/{LEVELS['name']}"), page.url
    fees = page.locator("table.sdm-fee-items")
    expect(fees.locator("tbody tr")).to_have_count(2)
    expect(fees).to_contain_text("数据加工")
    expect(fees).to_contain_text("200")
    expect(fees).to_contain_text("光盘刻录")
