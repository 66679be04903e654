"""The access workflow in the browser's pages, both sides: the applicant's
menu, form and list; the editor's queue across datasets, with counts and
mail; decisions and revocation; dates, titles and bilingual errors."""

import re
import socket
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from html import unescape

import pytest
from acting import apply_for, signed_in
from ckan.logic import NotAuthorized
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
URL = "https://files.example.cn/stations.csv"
CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "签署数据使用协议",
    "open_audience": ["researchers"],
    "review_procedure": "责任单位十个工作日内审核",
    "fee_basis": "nonprofit",
    "fee_items": [{"name_translated": {"zh-Hans": "数据加工", "en": "Processing"}, "amount": "200", "currency": "CNY"}],
}


def _dataset(create_dataset, name, zh, en):
    return create_dataset(
        name=name,
        title_translated={"zh-Hans": zh, "en": en},
        resources=[{"url": URL, "name": "stations.csv"}],
        **CONDITIONAL,
    )


@pytest.fixture
def dataset(create_dataset):
    return _dataset(create_dataset, "stations", "站点数据", "Station data")


@pytest.fixture
def editor(responsible_unit):
    user = factories.User(email="editor@example.cn")
    call_action("organization_member_create", id=responsible_unit["id"], username=user["name"], role="editor")
    return user


class Inbox:
    """A local SMTP server (aiosmtpd) on a free port of 127.0.0.1."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.received = threading.Event()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def subjects_to(self, address):
        return [str(make_header(decode_header(m["Subject"]))) for to, m in self.messages if address in to]


@pytest.fixture
def inbox(ckan_config, monkeypatch):
    box = Inbox()
    box.controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{box.port}")
    monkeypatch.setitem(ckan_config, "smtp.mail_from", "catalogue@example.cn")
    yield box
    box.controller.stop()


def test_signed_in_users_have_my_applications_in_their_menu(app, dataset):
    user = factories.User()
    body = app.get("/", headers=signed_in(user)).body
    assert 'href="/dashboard/access-requests"' in body and "我的数据申请" in body
    assert "/dashboard/access-requests/queue" not in body  # decides nothing
    assert 'href="/en/dashboard/access-requests"' in app.get("/en/", headers=signed_in(user)).body


def test_sign_in_from_english_keeps_english(app, dataset):
    response = app.get("/en/dataset/stations/access-request", follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "/en/user/login" in location and "came_from=/en/dataset/stations/access-request" in unescape(
        location
    ).replace("%2F", "/")


def test_form_repeats_conditions_and_fees_and_errors_are_bilingual(app, dataset):
    user = factories.User()
    form = app.get("/en/dataset/stations/access-request", headers=signed_in(user)).body
    conditions = re.search(r'<section class="sdm-conditions">(.*?)</section>', form, re.S).group(1)
    assert "签署数据使用协议" in conditions and "Processing" in conditions and "200" in conditions
    assert "free-use purposes" in form
    response = app.post("/en/dataset/stations/access-request", headers=signed_in(user), data={"purpose": ""})
    assert "申请目的：必填。 / Purpose: required." in unescape(response.body)


def test_editor_queue_across_datasets_with_counts_titles_and_mail(app, create_dataset, dataset, editor, inbox):
    other = _dataset(create_dataset, "rain", "降水数据", "Rain data")
    applicants = [factories.User(email=f"a{n}@example.cn") for n in range(3)]
    apply_for(applicants[0], dataset["id"])
    apply_for(applicants[1], dataset["id"], free_use_purpose="disaster_prevention")
    apply_for(applicants[2], other["id"])
    # every application mailed the unit's editor, titled in both languages
    subjects = inbox.subjects_to("editor@example.cn")
    assert len(subjects) == 3 and "新的数据申请：站点数据 / New application: Station data" in subjects
    menu = app.get("/en/", headers=signed_in(editor)).body
    assert re.search(
        r'href="/en/dashboard/access-requests/queue".*?<span class="badge sdm-queue-count">3</span>', menu, re.S
    )
    queue = app.get("/en/dashboard/access-requests/queue", headers=signed_in(editor)).body
    counts = dict(re.findall(r'<span lang="en">([^<]+)</span></a></td>\s*<td class="sdm-count">(\d+)</td>', queue))
    assert counts == {"Station data": "2", "Rain data": "1"}
    assert "Disaster prevention" in queue or "disaster" in queue.lower()  # the claimed free-use purpose
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d", queue)  # dates with their offset
    assert 'class="sdm-status sdm-status-pending"' in queue
    # an applicant's queue is empty; they are not an editor
    assert "sdm-count" not in app.get("/dashboard/access-requests/queue", headers=signed_in(applicants[0])).body


def test_decision_mail_and_revocation(app, dataset, editor, inbox):
    applicant = factories.User(email="applicant@example.cn")
    request = apply_for(applicant, dataset["id"])
    app.post(
        f"/access-request/{request['id']}/decide",
        headers=signed_in(editor),
        data={"decision": "approve", "reason": "符合条件", "days": "30"},
    )
    assert any("已批准" in s and "Approved" in s for s in inbox.subjects_to("applicant@example.cn"))
    call_action(
        "resource_show", context={"user": applicant["name"], "ignore_auth": False}, id=dataset["resources"][0]["id"]
    )
    page = app.get("/dataset/stations/access-requests", headers=signed_in(editor)).body
    assert f'action="/access-request/{request["id"]}/revoke"' in page
    app.post(f"/access-request/{request['id']}/revoke", headers=signed_in(editor), data={"reason": "违反使用协议"})
    with pytest.raises(NotAuthorized):
        call_action(
            "resource_show", context={"user": applicant["name"], "ignore_auth": False}, id=dataset["resources"][0]["id"]
        )
    mine = app.get("/en/dashboard/access-requests", headers=signed_in(applicant)).body
    assert 'class="sdm-status sdm-status-revoked">Revoked' in mine and "违反使用协议" in mine
    assert '<span lang="en">Station data</span>' in mine  # the title, not the slug
    assert any("已撤销" in s for s in inbox.subjects_to("applicant@example.cn"))


def test_only_the_unit_revokes_and_only_approved_grants(app, dataset, editor):
    applicant = factories.User()
    request = apply_for(applicant, dataset["id"])
    response = app.post(f"/access-request/{request['id']}/revoke", headers=signed_in(applicant), data={"reason": "x"})
    assert response.status_code == 403
    from ckan.logic import ValidationError

    with pytest.raises(ValidationError) as error:
        call_action("sdm_access_request_revoke", context={"user": editor["name"]}, id=request["id"], reason="x")
    assert "只能撤销已批准的申请。 / Only an approved application can be revoked." in str(error.value.error_dict)


def test_statuses_are_readable():
    import ckanext.sdm

    path = ckanext.sdm.__file__.replace("__init__.py", "assets/sdm.css")
    text = open(path, encoding="utf-8").read()
    for status in ("pending", "approved", "rejected", "revoked", "expired"):
        rule = re.search(r"\.sdm-status-" + status + r"[^{]*\{([^}]*)\}", text)
        assert rule and "background" in rule.group(1), status
    assert re.search(r"\.sdm-status \{[^}]*color: #fff", text)
