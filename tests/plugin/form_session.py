"""A visitor who fills CKAN's forms as a browser does.

Form tests used to post a hand-made dict with an API token, which skips the
login cookie, the CSRF token and every input the page itself carries (hidden
ids, stage markers, defaults).  This session logs in through /user/login,
reads the form from the page it submits, keeps every input's current value
(the CSRF token included), overrides what the test types, and posts the whole
form urlencoded, through CKAN's test client.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Mapping

from werkzeug.datastructures import MultiDict

_ERRORS = re.compile(r'class="error-explanation[^"]*"(.*?)</div>', re.S)


class _Forms(HTMLParser):
    """The POST forms of a page, each as a list of (name, value) pairs a
    browser would send before any button is pressed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list] = []
        self.actions: list[str] = []
        self._form: list | None = None
        self._select: dict | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = []
            self.forms.append(self._form)
            self.actions.append(a.get("action") or "")
        if self._form is None or "name" not in a and tag in ("input", "select", "textarea"):
            return
        if tag == "input" and a.get("type", "text") not in ("submit", "button", "file", "image", "reset"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select = {"name": a["name"], "chosen": [], "first": None, "multiple": "multiple" in a}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"].append(value)
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"] or ([] if self._select["multiple"] else [self._select["first"]])
            self._form.extend((self._select["name"], v) for v in chosen if v is not None)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.append((self._textarea[0], self._textarea[1].lstrip("\n")))
            self._textarea = None


def page_form(body: str, marker: str = "_csrf_token") -> tuple[str, list]:
    """The action and inputs of the largest POST form of a page holding an
    input named `marker`."""
    parser = _Forms()
    parser.feed(body)
    forms = [(len(f), i) for i, f in enumerate(parser.forms) if any(name == marker for name, _ in f)]
    assert forms, "no form to fill on this page"
    index = max(forms)[1]
    return parser.actions[index], parser.forms[index]


class FormSession:
    """One visitor (logged in or not) of a CKAN site under test."""

    def __init__(self, app, locale: str = ""):
        # one client, so the login cookie and the CSRF session persist
        self.client = app.test_client()
        #: URL prefix of the UI language: "" for the site default, "/en" for English.
        self.prefix = f"/{locale}" if locale else ""

    def url(self, path: str) -> str:
        return self.prefix + path

    def login(self, name: str, password: str) -> FormSession:
        response = self.submit("/user/login", {"login": name, "password": password})
        assert response.status_code in (302, 303), f"login as {name} failed: {response.status_code}"
        return self

    def submit(self, path: str, fields: Mapping, follow: bool = False):
        """Open `path`, fill its form with `fields` (a list value for
        multiple choices, None to clear an input) and post it."""
        response = self.client.get(self.url(path))
        assert response.status_code == 200, f"{path}: {response.status_code}"
        action, inputs = page_form(response.body)
        pairs = [(k, v) for k, v in inputs if k not in fields]
        for key, value in fields.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            pairs.extend((key, v) for v in values if v is not None)
        return self.client.post(action or self.url(path), data=MultiDict(pairs), follow_redirects=follow)


def form_errors(response) -> str | None:
    """The error summary CKAN shows above a refused form, as text (None if saved)."""
    if response.status_code in (302, 303):
        return None
    match = _ERRORS.search(response.body)
    if match:
        return unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()
    return f"HTTP {response.status_code}: " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.body))[-1500:]
