"""The people of the browser tests: each an own Chromium window (cookies,
language) on the live site, doing what a reader does — following links,
typing into the page's inputs, pressing its buttons.

Only the site's setup (users, memberships, sample datasets) goes through the
API; everything a test asserts about is done and read in the page.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

import ckanapi

#: The UI languages and their URL prefixes (zh_Hans_CN is the site default).
PREFIX = {"zh": "", "en": "/en"}
#: The language tag of each UI language the tests read pages in.
TAG = {"zh": "zh-Hans", "en": "en"}


#: What makes a dataset open on conditions, as package_create takes it.
CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "签署数据使用协议",
    "open_audience": ["researchers"],
    "review_procedure": "十个工作日内审核",
}


def unit_fields(name: str, uscc: str, zh: str, en: str) -> dict:
    """A responsible unit as organization_create takes it: URL name, USCC, both names."""
    return {"name": name, "uscc": uscc, "title_translated": {"zh-Hans": zh, "en": en}}


#: A transparent 1×1 PNG.
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
#: Screenshots: modest PNGs, one width for all.
VIEWPORT = {"width": 1200, "height": 900}


@dataclass(frozen=True)
class User:
    name: str
    password: str
    email: str = ""
    fullname: str = ""


SYSADMIN = User("browser-admin", "admin-pass-2026", "admin@example.cn", "数据中心管理员")


@dataclass(frozen=True)
class Site:
    url: str
    token: str
    log: str

    @property
    def api(self) -> ckanapi.RemoteCKAN:
        """The site's action API as the sysadmin, for setting the scene."""
        return ckanapi.RemoteCKAN(self.url, apikey=self.token)

    def add_user(self, user: User) -> User:
        self.api.action.user_create(
            name=user.name,
            email=user.email or f"{user.name}@example.cn",
            password=user.password,
            fullname=user.fullname or user.name,
        )
        return user


class Actor:
    """One reader in one language: a browser context and its page."""

    def __init__(self, site: Site, browser, locale: str):
        self.site, self.locale = site, locale
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN" if locale == "zh" else "en-US")
        # nothing leaves 127.0.0.1: CKAN's pages link Gravatar and the like
        self.context.route("**/*", self._local_only)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()

    def _local_only(self, route) -> None:
        """The site's own requests go through; an outside image is answered
        with a blank one (no broken-image icons in screenshots), the rest refused."""
        if route.request.url.startswith(self.site.url):
            route.continue_()
        elif route.request.resource_type == "image":
            route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)
        else:
            route.abort()

    def url(self, path: str) -> str:
        return self.site.url + PREFIX[self.locale] + path

    def goto(self, path: str):
        """Open a page of the site in this actor's language."""
        return self.page.goto(self.url(path))

    def sign_in(self, user: User) -> Actor:
        self.goto("/user/login")
        self.sign_in_here(user)
        return self

    def sign_in_here(self, user: User) -> None:
        """Fill the login form the page shows and submit it."""
        self.page.fill("#field-login", user.name)
        self.page.fill("#field-password", user.password)
        with self.page.expect_navigation():
            self.page.click("form:has(#field-login) button[type=submit]")

    def dataset_form_ready(self) -> None:
        """Wait for the dataset form's script (sdm-form.js) to move the fields
        into their sections: an input moved while being typed into loses
        the keystrokes."""
        self.page.locator("fieldset.sdm-section").first.wait_for()

    def slug(self, name: str) -> None:
        """Type the URL name; CKAN hides its input behind the preview's
        edit button until asked."""
        field = self.page.locator("#field-name")
        if not field.is_visible():
            self.page.click(".slug-preview button")
        field.fill(name)

    def choose(self, select_id: str, *labels: str) -> None:
        """Pick the choice shown as one of `labels` in a select, plain or
        dressed by CKAN as a select2 drop-down (which hides the select)."""
        select = self.page.locator(f"#{select_id}")
        # CKAN's autocomplete module dresses the select once its scripts run:
        # asking whether it is visible races them, its markup does not
        if select.get_attribute("data-module") != "autocomplete":
            option = select.locator("option").filter(has_text=re.compile("|".join(map(re.escape, labels)))).first
            select.select_option(option.get_attribute("value"))
            return
        self.page.click(f"#s2id_{select_id} .select2-choice")
        results = self.page.locator(".select2-drop-active .select2-results li")
        results.filter(has_text=re.compile("|".join(map(re.escape, labels)))).first.click()

    def switch_language(self, label: str) -> None:
        """Choose a language in the footer's selector, as a reader does."""
        with self.page.expect_navigation():
            self.choose("field-lang-select", label)

    def shoot(self, name: str, full_page: bool = True) -> None:
        """Save the page as docs/screenshots/NAME.png when SDM_SCREENSHOTS
        names a folder (`make screenshots`)."""
        folder = os.environ.get("SDM_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()
