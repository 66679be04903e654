"""Demands and the register of authorised use in headless Chromium, in
Chinese and English: a signed-in researcher states a demand through the
form and lands on its page; another reader supports it; the public reads
the register.  Screenshots (make screenshots): feedback-*.png."""

import pytest
from browser_actors import User
from playwright.sync_api import expect

from sdm_schema import message

TAG = {"zh": "zh-Hans", "en": "en"}
UNIT = {
    "name": "bazhong-forestry",
    "uscc": "12511900MB0000000E",
    "title_translated": {"zh-Hans": "巴中市林业局", "en": "Bazhong Forestry Bureau"},
}


@pytest.fixture(scope="module")
def register(site):
    """A unit, a dataset and one authorisation entered directly by the sysadmin."""
    api = site.api.action
    unit = api.organization_create(**UNIT)
    api.package_create(
        owner_org=unit["id"],
        name="forest-plots",
        title_translated={"zh-Hans": "森林样地调查", "en": "Forest plot survey"},
        resources=[{"url": "https://files.example.cn/plots.csv", "format": "CSV"}],
    )
    api.sdm_authorisation_create(
        id="forest-plots",
        unit="巴中数据集团",
        scope="样地数据全量",
        purpose="公共数据授权运营",
        legal_basis="巴数授〔2026〕1号",
        starts="2026-01-01",
        ends="2099-12-31",
    )
    return unit


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_a_demand_is_stated_supported_and_the_register_read(site, actor, register, locale):
    researcher = site.add_user(User(f"researcher-{locale}", "research-pass-2026"))
    supporter = site.add_user(User(f"supporter-{locale}", "support-pass-2026"))
    person = actor(locale, researcher)
    person.goto("/demands/new")
    subject = {"zh": "嘉陵江流域逐日水温", "en": "Daily water temperature of the Jialing"}[locale]
    person.page.fill("#sdm-subject", subject)
    person.page.fill("#sdm-purpose", "<b>研究</b> 鱼类洄游")
    person.choose("sdm-owner_org", UNIT["title_translated"][TAG[locale]])
    with person.page.expect_navigation():
        person.page.click("form.sdm-demand-form button[type=submit]")
    expect(person.page.locator("h1.sdm-demand-subject")).to_contain_text(subject)
    expect(person.page.locator(".sdm-demand-purpose")).to_have_text("<b>研究</b> 鱼类洄游")  # text, not markup
    expect(person.page.locator("h1 .sdm-status")).to_have_text(message("demand_status_open")[TAG[locale]])
    expect(person.page.locator("dl.sdm-demand")).to_contain_text(UNIT["title_translated"][TAG[locale]])
    demand_path = person.page.url.split(person.site.url, 1)[1].removeprefix("/en")
    person.shoot(f"feedback-demand-{locale}")

    other = actor(locale, supporter)
    other.goto(demand_path)
    with other.page.expect_navigation():
        other.page.click("form.sdm-support button")
    expect(other.page.locator("form.sdm-support button")).to_contain_text("+1")

    public = actor(locale)
    public.goto("/authorisations")
    expect(public.page.locator("h1")).to_have_text(message("authorisations_title")[TAG[locale]])
    row = public.page.locator("table.sdm-authorisations tbody tr").first
    expect(row).to_contain_text("巴中数据集团")
    expect(row).to_contain_text(message("authorisation_status_active")[TAG[locale]])
    public.shoot(f"feedback-register-{locale}")
