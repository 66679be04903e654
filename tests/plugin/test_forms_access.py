"""The access-request forms save as a browser posts them (login cookie, CSRF
token, every input of the page): the applicant's application and the
editor's decision, each in Chinese and English; a refused one comes back
with the values typed and a bilingual error.  And the public can get an
account where the site allows it (ckan.auth.create_user_via_web)."""

from html import unescape

import pytest
from acting import APPLICATION, apply_for
from ckan.tests import factories
from ckan.tests.helpers import call_action
from form_session import FormSession, page_form
from test_pages_access import dataset, editor  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
PASSWORD = "access-form-pass"


def _person(**extra):
    return factories.User(password=PASSWORD, **extra)


def _visitor(app, user, locale=""):
    return FormSession(app, locale).login(user["name"], PASSWORD)


def _requests_of(user):
    return call_action("sdm_access_request_list", context={"user": user["name"]})


@pytest.mark.parametrize("locale", ["", "en"])
def test_application_form_saves(app, dataset, locale):
    applicant = _person()
    response = _visitor(app, applicant, locale).submit(
        "/dataset/stations/access-request", {**APPLICATION, "free_use_purpose": "disaster_prevention"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{'/' + locale if locale else ''}/dashboard/access-requests"
    )
    (request,) = _requests_of(applicant)
    assert request["status"] == "pending" and request["purpose"] == APPLICATION["purpose"]
    assert request["applicant_unit"] == "四川大学" and request["free_use_purpose"] == "disaster_prevention"


@pytest.mark.parametrize("locale", ["", "en"])
def test_refused_application_keeps_values_and_is_bilingual(app, dataset, locale):
    applicant = _person()
    response = _visitor(app, applicant, locale).submit(
        "/dataset/stations/access-request",
        {**APPLICATION, "intended_use": "", "free_use_purpose": "public_interest_research"},
    )
    assert response.status_code == 200 and _requests_of(applicant) == []
    assert "预期用途：必填。 / Intended use: required." in unescape(response.body)
    kept = dict(page_form(response.body)[1])
    assert kept["purpose"] == APPLICATION["purpose"] and kept["applicant_unit"] == "四川大学"
    assert kept["free_use_purpose"] == "public_interest_research"


def _pending(dataset):
    applicant = _person()
    apply_for(applicant, dataset["id"])
    return applicant


@pytest.mark.parametrize("locale", ["", "en"])
def test_decision_form_saves(app, dataset, editor, locale):
    applicant = _pending(dataset)
    call_action("user_update", context={"ignore_auth": True}, id=editor["id"], email=editor["email"], password=PASSWORD)
    response = _visitor(app, editor, locale).submit(
        "/dataset/stations/access-requests", {"reason": "符合条件", "days": "7", "decision": "approve"}
    )
    assert response.status_code == 302
    (request,) = _requests_of(applicant)
    assert request["status"] == "approved" and request["reason"] == "符合条件" and request["active"]


@pytest.mark.parametrize("locale", ["", "en"])
def test_refused_decision_keeps_values_and_is_bilingual(app, dataset, editor, locale):
    applicant = _pending(dataset)
    call_action("user_update", context={"ignore_auth": True}, id=editor["id"], email=editor["email"], password=PASSWORD)
    response = _visitor(app, editor, locale).submit(
        "/dataset/stations/access-requests", {"reason": "符合条件", "days": "1000", "decision": "approve"}
    )
    assert response.status_code == 400
    assert _requests_of(applicant)[0]["status"] == "pending"
    body = unescape(response.body)
    assert "有效天数须为 1 至 365 的整数。 / Days of access must be a whole number from 1 to 365." in body
    kept = dict(page_form(response.body)[1])
    assert kept["reason"] == "符合条件" and kept["days"] == "1000"


# -- self-registration ---------------------------------------------------------


def test_without_self_registration_the_public_is_told_to_sign_in_only(app, dataset):
    page = app.get("/dataset/stations").body
    assert "/user/login?came_from=/dataset/stations/access-request" in unescape(page)
    assert 'class="sdm-register"' not in page
    assert app.get("/user/register").status_code == 403


@pytest.mark.ckan_config("ckan.auth.create_user_via_web", True)
def test_the_public_registers_from_apply_for_access_then_applies(app, dataset):
    page = unescape(app.get("/en/dataset/stations").body)
    assert 'class="sdm-register" href="/en/user/register"' in page
    assert "/user/register" in app.get("/user/login").body  # CKAN's "Need an account?" link
    visitor = FormSession(app, "en")
    response = visitor.submit(
        "/user/register",
        {
            "name": "researcher-li",
            "fullname": "李研究",
            "email": "li@example.cn",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
            "save": "",
        },
    )
    assert response.status_code == 302, response.status_code
    assert call_action("user_show", id="researcher-li")["state"] == "active"
    applicant = FormSession(app, "en").login("researcher-li", "a-long-pass-phrase")
    assert applicant.submit("/dataset/stations/access-request", APPLICATION).status_code == 302
    assert _requests_of({"name": "researcher-li"})[0]["status"] == "pending"
