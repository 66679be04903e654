"""The administration pages under /ckan-admin/sdm in headless Chromium (a
certificate issued and printed, the audit trail filtered and exported, the
blacklist added to and emptied, the pending applications), and the main
pages read in Chinese: none of them may show the CKAN strings the
extension's catalogue translates (dev/zh-corrections.py) in English, nor
the wrong words it corrects.
"""

import csv
import io
import re
from urllib.parse import urljoin

import pytest
from browser_actors import CONDITIONAL, SYSADMIN, TAG, User, unit_fields
from playwright.sync_api import expect

from sdm_schema import message

APPLICANT = User("zhao-applicant", "applicant-pass-2026", "zhao@example.cn", "赵申请")
UNIT = unit_fields("bazhong-agri", "12511900MB1234560G", "巴中市农业农村局", "Bazhong Agriculture Bureau")
CROPS = {
    "name": "crop-yields",
    "private": False,
    "version": "1.0",
    "title_translated": {"zh-Hans": "农作物产量统计", "en": "Crop yield statistics"},
    **CONDITIONAL,
    "resources": [{"url": "https://files.example.cn/crop-yields.csv", "name": "crop-yields.csv"}],
}
SUBMISSION = {
    "project_number": "2024YFC3000100",
    "programme": "国家重点研发计划",
    "lead_unit": "巴中市农业农村局",
    "submitter": "王汇交",
}
#: What CKAN's own catalogue leaves in English on Chinese pages (translated by
#: dev/zh-corrections.py's MISSING), and the wrong words it corrects (WORDS, WHOLE).
ENGLISH = (
    "Skip to main content",
    "Powered by",
    "There is no description for this dataset",
    "Username or Email",
    "Create datasets, groups and other exciting things",
    "Profile picture URL",
    "Profile settings",
    "Toggle navigation",
    "Breadcrumb",
    "Search Datasets",
    "You can use Markdown formatting",
    "The data license you select",
    "News feed",
    "Activity from",
    "View this version",
    "Members",
    "Current Sysadmins",
    "full control over this CKAN instance",
)
WRONG = ("登陆", "登记", "追随", "追从者", "没有指定授权", "次机构", "组织")


def text(key: str, locale: str, **params) -> str:
    return message(key, **params)[TAG[locale]]


@pytest.fixture(scope="module")
def crops(site):
    """A unit, a conditionally open dataset with a version, and one pending
    application to it, set up through the API."""
    api = site.api.action
    unit = api.organization_create(**UNIT)
    dataset = api.package_create(owner_org=unit["id"], **CROPS)
    site.add_user(APPLICANT)
    token = api.api_token_create(user=APPLICANT.name, name="browser-tests")["token"]
    applicant = type(site)(site.url, token, site.log).api.action
    applicant.sdm_access_request_create(
        id=dataset["id"], purpose="产量预测研究", intended_use="学位论文", applicant_unit="四川农业大学"
    )
    return dataset


def _tab(admin, key: str, locale: str = "zh") -> None:
    with admin.page.expect_navigation():
        admin.page.locator(".sdm-admin-nav a", has_text=text(key, locale)).click()


def _issue_certificate(admin) -> str:
    """The certificate form: issued, shown for printing, listed."""
    page = admin.page
    _tab(admin, "admin_certificates")
    page.fill("#c-id", CROPS["name"])
    page.fill("#c-version", CROPS["version"])
    for name, value in SUBMISSION.items():
        page.fill(f"#c-{name}", value)
    with page.expect_navigation():
        page.click(".sdm-certificate-issue button[type=submit]")
    certificate = page.locator(".sdm-certificate")
    expect(certificate.locator(".sdm-cert-dataset_name")).to_have_text(CROPS["name"])
    expect(certificate.locator(".sdm-cert-project_number")).to_have_text(SUBMISSION["project_number"])
    expect(page.get_by_role("link", name=text("submission_print", "zh"))).to_be_visible()
    admin.shoot("admin-certificate-zh")
    number = page.locator(".sdm-cert-number").inner_text().strip()
    admin.goto("/ckan-admin/sdm/certificates")
    assert _untranslated_here(page) == []
    row = page.locator("table.sdm-certificates tbody tr", has_text=number)
    expect(row).to_contain_text(CROPS["title_translated"]["zh-Hans"])
    expect(row.get_by_role("link", name=text("admin_print", "zh"))).to_have_attribute(
        "href", re.compile(rf"/submission/{number}$")
    )
    return number


def _audit(admin, number: str) -> None:
    """The trail filtered to certificates, by its label; the CSV of the same filter."""
    page = admin.page
    admin.goto("/ckan-admin/sdm/")
    _tab(admin, "admin_audit")
    admin.choose("f-action", text("audit_action_submission", "zh"))
    with page.expect_navigation():
        page.click(".sdm-audit-filters button[type=submit]")
    rows = page.locator("table.sdm-audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(text("audit_action_submission", "zh"))
    expect(rows.first).to_contain_text(CROPS["title_translated"]["zh-Hans"])
    admin.shoot("admin-audit-zh")
    assert _untranslated_here(page) == []
    exported = page.request.get(urljoin(page.url, page.locator(".sdm-audit-csv").get_attribute("href")))
    raw = exported.body()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]  # Excel reads UTF-8 Chinese only with the BOM
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["action"], r["outcome"], r["dataset"], r["detail"]) for r in table] == [
        ("submission", "issued", CROPS["name"], number)
    ], table


def _blacklist(admin) -> None:
    page = admin.page
    _tab(admin, "admin_blacklist")
    page.fill("#b-network", "203.0.113.0/24")
    page.fill("#b-reason", "批量抓取")
    with page.expect_navigation():
        page.click(".sdm-blacklist-add button[type=submit]")
    entry = page.locator("table.sdm-blacklist tbody tr", has_text="203.0.113.0/24")
    expect(entry).to_contain_text("批量抓取")
    admin.shoot("admin-blacklist-zh")
    assert _untranslated_here(page) == []
    with page.expect_navigation():
        entry.get_by_role("button", name=text("blacklist_remove", "zh")).click()
    expect(page.locator("table.sdm-blacklist tbody tr", has_text="203.0.113.0/24")).to_have_count(0)


def test_an_administrator_works_the_administration_pages(actor, crops):
    admin = actor("zh", SYSADMIN)
    admin.goto("/ckan-admin/")
    with admin.page.expect_navigation():
        admin.page.get_by_role("link", name=text("admin_title", "zh")).first.click()
    expect(admin.page.locator(".sdm-admin h1")).to_have_text(text("admin_title", "zh"))
    number = _issue_certificate(admin)
    _audit(admin, number)
    _blacklist(admin)
    assert _untranslated(admin, ADMIN_PAGES) == {}
    # the pending applications, in English
    admin.goto("/ckan-admin/sdm/")
    admin.switch_language("English")
    _tab(admin, "admin_requests", "en")
    pending = admin.page.locator("table.sdm-pending tbody tr")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(CROPS["title_translated"]["en"])
    expect(pending).to_contain_text(APPLICANT.name)
    admin.shoot("admin-requests-en")


# -- CKAN's own strings on Chinese pages ---------------------------------------------
PUBLIC_PAGES = ("/", "/dataset/", f"/dataset/{CROPS['name']}", "/organization/", "/user/login", "/user/register")
ADMIN_PAGES = (
    "/dashboard/",
    f"/dataset/{CROPS['name']}/access-requests",
    f"/dataset/edit/{CROPS['name']}",
    "/ckan-admin/",
)
#: Texts a reader meets besides the page's own: labels read aloud, hints in inputs, tooltips.
SHOWN = """() => [document.body.innerText].concat(Array.from(
    document.querySelectorAll('[aria-label], [placeholder], [title]'),
    e => [e.getAttribute('aria-label'), e.getAttribute('placeholder'), e.getAttribute('title')].join(' ')
)).join('\\n')"""


def _untranslated_here(page) -> list:
    shown = page.evaluate(SHOWN)
    return [s for s in (*ENGLISH, *WRONG) if s in shown]


def _untranslated(person, paths) -> dict:
    found = {}
    for path in paths:  # the page as the server wrote it: its scripts add no CKAN strings
        person.page.goto(person.url(path), wait_until="domcontentloaded")
        wrong = _untranslated_here(person.page)
        if wrong:
            found[path] = wrong
    return found


def test_chinese_pages_have_no_english_or_wrong_ckan_strings(actor, crops):
    assert _untranslated(actor("zh"), PUBLIC_PAGES) == {}
