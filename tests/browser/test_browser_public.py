"""A member of the public in headless Chromium: registers from the box of a
withheld dataset (the site allows self-registration, conftest.py), applies,
reads the unit's refusal and its reason, and once a second application is
approved downloads the file.  The unit's decisions set the scene through the
API (an editor deciding in the pages: test_browser_flows.py).
"""

import pytest
from browser_actors import CONDITIONAL, TAG, User, unit_fields
from playwright.sync_api import expect

from sdm_schema import message

NEWCOMER = User("chen-newcomer", "newcomer-pass-2026", "chen@example.cn", "陈研究员")
EDITOR = User("liu-editor", "editor-pass-2026", "liu@example.cn", "刘编辑")
UNIT = unit_fields("langzhong-water", "11511900MB0000000H", "阆中市水务局", "Langzhong Water Affairs Bureau")
REFUSAL = "用途超出数据使用协议的范围"


def text(key: str, locale: str, **params) -> str:
    return message(key, **params)[TAG[locale]]


@pytest.fixture(scope="module")
def reservoirs(site):
    """A conditionally open dataset whose one file the live site itself serves
    (its robots.txt), so that downloading it can be checked; and the unit's editor."""
    api = site.api.action
    unit = api.organization_create(**UNIT)
    site.add_user(EDITOR)
    api.organization_member_create(id=unit["id"], username=EDITOR.name, role="editor")
    return api.package_create(
        owner_org=unit["id"],
        name="reservoir-levels",
        private=False,
        title_translated={"zh-Hans": "水库水位日报", "en": "Daily reservoir levels"},
        **CONDITIONAL,
        resources=[{"url": f"{site.url}/robots.txt", "name": "reservoir-levels.txt"}],
    )


def _register(reader, dataset) -> None:
    page = reader.page
    reader.goto(f"/dataset/{dataset['name']}")
    with page.expect_navigation():
        page.locator(".sdm-withheld a.sdm-register").click()
    assert page.url.endswith("/user/register"), page.url
    page.fill("#field-username", NEWCOMER.name)
    page.fill("#field-fullname", NEWCOMER.fullname)
    page.fill("#field-email", NEWCOMER.email)
    page.fill("#field-password", NEWCOMER.password)
    page.fill("#field-confirm-password", NEWCOMER.password)
    reader.shoot("register-zh")
    with page.expect_navigation():
        page.click("#user-register-form button[name=save]")


def _apply(reader, dataset, purpose: str) -> None:
    page = reader.page
    reader.goto(f"/dataset/{dataset['name']}")
    with page.expect_navigation():
        page.get_by_role("link", name=text("access_request_title", "zh")).click()
    page.fill("#sdm-purpose", purpose)
    page.fill("#sdm-intended_use", "学位论文")
    page.fill("#sdm-applicant_unit", "西南大学")
    with page.expect_navigation():
        page.click("form.sdm-access-request button[type=submit]")
    assert page.url.endswith("/dashboard/access-requests"), page.url


def _as(site, user: User):
    """The action API as one of the site's users (a token the sysadmin makes)."""
    token = site.api.action.api_token_create(user=user.name, name="browser-tests")["token"]
    return type(site)(site.url, token, site.log).api.action


def _decide(site, dataset, decision: str, reason: str) -> None:
    editor = _as(site, EDITOR)
    (pending,) = editor.sdm_access_request_queue()  # the unit's one dataset, its one pending application
    editor.sdm_access_request_decide(id=pending["id"], decision=decision, reason=reason, days=30)


def _approved_again(site, dataset) -> None:
    _as(site, NEWCOMER).sdm_access_request_create(
        id=dataset["id"], purpose="区域干旱研究（按协议使用）", intended_use="学位论文", applicant_unit="西南大学"
    )
    _decide(site, dataset, "approve", "Within the agreement")


def test_a_newcomer_registers_applies_reads_the_refusal_and_downloads_once_approved(actor, reservoirs):
    reader = actor("zh")
    _register(reader, reservoirs)
    page = reader.page
    # signed in as the new account
    expect(page.locator(".account")).to_contain_text(NEWCOMER.fullname)
    _apply(reader, reservoirs, "区域干旱研究")

    _decide(reader.site, reservoirs, "reject", REFUSAL)
    reader.page.reload()
    refused = page.locator(".sdm-access-request[data-status=rejected]")
    expect(refused.locator(".sdm-status")).to_have_text(text("access_request_status_rejected", "zh"))
    expect(refused).to_contain_text(REFUSAL)
    reader.shoot("access-request-rejected-zh")

    # the second application and its approval set the scene through the API
    _approved_again(reader.site, reservoirs)
    reader.goto(f"/dataset/{reservoirs['name']}")
    download = page.locator(".resource-item .sdm-download")
    href = download.get_attribute("href")
    assert href == reservoirs["resources"][0]["url"], href
    fetched = page.request.get(href)
    assert fetched.ok and "User-agent" in fetched.text(), fetched.status
