"""Demands, quality reports and the register of authorised use in headless
Chromium, in Chinese and English: a signed-in researcher states a demand
through the form and lands on its page; another reader supports it; the
public reads the register; a reader reports a problem in a harvested
dataset (the form names the platform to fix it at, in both languages) and
the unit's editor answers it in Chinese and closes it in English in the
inbox.  Screenshots (make screenshots):
feedback-*.png."""

import pytest
from browser_actors import TAG, User, unit_fields
from playwright.sync_api import expect

from sdm_schema import message

UNIT = unit_fields("bazhong-forestry", "12511900MB0000000E", "巴中市林业局", "Bazhong Forestry Bureau")


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
    api.package_create(
        owner_org=unit["id"],
        name="harvested-plots",
        title_translated={"zh-Hans": "采集的样地数据", "en": "Harvested plot data"},
        harvest_source="bazhong-platform",
        harvest_identifier="77",
        landing_page="https://data.bazhong.example.cn/dataset/77",
        resources=[{"url": "https://files.example.cn/harvested.csv", "format": "CSV"}],
    )
    return unit


def test_a_report_is_written_answered_and_closed_in_both_languages(site, actor, register):
    reader = actor("zh", site.add_user(User("reader", "reader-pass-2026")))
    editor_user = site.add_user(User("plots-editor", "editor-pass-2026"))
    site.api.action.organization_member_create(id=register["id"], username=editor_user.name, role="editor")
    editor = actor("zh", editor_user)
    # one window each, read in either language (the /en prefix): a report
    # written and answered in Chinese, closed in English
    _report(reader, "zh")
    _answer(editor, "zh", "answered", "已转告巴中平台", opened=True)
    editor.shoot("feedback-reports-zh")
    reader.locale = editor.locale = "en"
    _report(reader, "en", submit=False)
    _answer(editor, "zh", "closed", "The source platform has fixed it", opened=True)
    editor.shoot("feedback-reports-en")


def _described(locale) -> str:
    return f"<i>链接</i> 打不开 ({locale})"


def _report(reader, locale, submit=True):
    """The report form, filled in (and sent, unless `submit` is false)."""
    said = {key: message(key)[TAG[reader.locale]] for key in ("report_new", "report_status_open")}
    reader.goto("/dataset/harvested-plots/report")
    expect(reader.page.locator("h1")).to_have_text(said["report_new"])
    upstream = reader.page.locator(".sdm-report-upstream-note")  # the platform to fix it at
    expect(upstream).to_contain_text("bazhong-platform")
    expect(upstream.locator("a.sdm-report-upstream-page")).to_have_attribute(
        "href", "https://data.bazhong.example.cn/dataset/77"
    )
    reader.page.select_option("#sdm-problem", "broken_link")
    reader.page.fill("#sdm-description", _described(locale))
    reader.shoot(f"feedback-report-{locale}")
    if not submit:
        return
    with reader.page.expect_navigation():
        reader.page.click("form.sdm-report-form button[type=submit]")
    expect(reader.page.locator(".alert", has_text=said["report_status_open"]).first).to_be_visible()


def _answer(editor, written_in, status, answer, opened=False):
    """The editor answers (or closes) the report written in `written_in`,
    in the inbox (`opened`: first opened now; an answer returns to it)."""
    if opened:
        editor.goto("/dashboard/quality-reports")

    def report():
        return editor.page.locator("section.sdm-quality-report").filter(has_text=_described(written_in))

    expect(report().locator(".sdm-report-description")).to_have_text(_described(written_in))  # text, not markup
    expect(report().locator(".sdm-report-upstream")).to_contain_text("bazhong-platform")
    report().locator("input[name=answer]").fill(answer)
    with editor.page.expect_navigation():
        report().locator(f"button[value={status}]").click()
    expect(report()).to_have_attribute("data-status", status)
    expect(report().locator(".sdm-status")).to_have_text(message(f"report_status_{status}")[TAG[editor.locale]])
    if status == "closed":
        expect(report().locator("form")).to_have_count(0)  # nothing more to answer


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
