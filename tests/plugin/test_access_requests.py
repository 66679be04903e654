"""The access flow end to end — applicant, the unit's editor, sysadmin —
with grants, fee waivers, the blacklist and the audit trail."""

import csv
import datetime as dt
import io

import pytest
from acting import APPLICATION, apply_for, as_user, signed_in
from ckan import model
from ckan.logic import NotAuthorized, ValidationError
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.sdm.model import AccessRequest, AuditEvent

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
URL = "https://files.example.cn/stations.csv"
CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "签署数据使用协议",
    "open_audience": ["researchers"],
    "review_procedure": "责任单位十个工作日内审核",
    "fee_basis": "nonprofit",
    "fee_items": [{"name_translated": {"zh-Hans": "数据加工"}, "amount": "200", "currency": "CNY"}],
}


@pytest.fixture
def dataset(create_dataset):
    return create_dataset(
        name="stations",
        title_translated={"zh-Hans": "站点数据", "en": "Station data"},
        resources=[{"url": URL, "name": "stations.csv"}],
        **CONDITIONAL,
    )


@pytest.fixture
def editor(responsible_unit):
    user = factories.User()
    call_action("organization_member_create", id=responsible_unit["id"], username=user["name"], role="editor")
    return user


def _decide(user, request, decision, **extra):
    return call_action(
        "sdm_access_request_decide",
        context=as_user(user),
        id=request["id"],
        decision=decision,
        reason=extra.pop("reason", "用途符合开放条件"),
        **extra,
    )


def _files_visible(user, dataset) -> bool:
    shown = call_action("package_show", context=as_user(user), id=dataset["id"])
    try:
        call_action("resource_show", context=as_user(user), id=dataset["resources"][0]["id"])
    except NotAuthorized:
        assert not shown["resources"]
        return False
    assert shown["resources"][0]["url"] == URL
    return True


def _audit(action):
    return [
        (e.user_name, e.outcome)
        for e in model.Session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)
    ]


def _download(app, user, dataset, **environ):
    headers = signed_in(user) if user else {}
    url = f"/dataset/{dataset['name']}/resource/{dataset['resources'][0]['id']}/download"
    return app.get(url, headers=headers, follow_redirects=False, environ_overrides=environ)


def test_approved_applicant_alone_gets_files_until_the_grant_expires(app, dataset, editor, sysadmin):
    applicant, bystander = factories.User(), factories.User()
    request = apply_for(applicant, dataset["id"], free_use_purpose="public_interest_research")
    assert request["status"] == "pending" and not _files_visible(applicant, dataset)
    assert _download(app, applicant, dataset).status_code in (403, 404)
    with pytest.raises(NotAuthorized):  # neither the applicant nor a stranger decides
        _decide(applicant, request, "approve")
    decided = _decide(editor, request, "approve", days=30)
    assert decided["status"] == "approved" and decided["active"] and decided["fee_waived"]
    assert decided["expires"][:10] == (dt.datetime.utcnow() + dt.timedelta(days=30)).date().isoformat()
    assert _files_visible(applicant, dataset)
    assert not _files_visible(bystander, dataset) and not _files_visible(None, dataset)
    download = _download(app, applicant, dataset)
    assert (download.status_code, download.headers["Location"]) == (302, URL)
    assert _download(app, bystander, dataset).status_code in (403, 404)
    # the applicant sees the decision, and its reason
    mine = call_action("sdm_access_request_list", context=as_user(applicant))
    assert [(r["status"], r["reason"]) for r in mine] == [("approved", "用途符合开放条件")]
    assert call_action("sdm_access_request_list", context=as_user(bystander)) == []
    assert len(call_action("sdm_access_request_list", context=as_user(editor), id=dataset["id"])) == 1
    page = app.get("/dashboard/access-requests", headers=signed_in(applicant))
    assert "已批准" in page.body and "用途符合开放条件" in page.body and "公益性科学研究" in page.body
    # a decided request is final, and the grant ends on its date
    with pytest.raises(ValidationError):
        _decide(editor, request, "reject")
    model.Session.query(AccessRequest).filter_by(id=request["id"]).update({"expires": dt.datetime(2000, 1, 1)})
    model.Session.commit()
    assert not _files_visible(applicant, dataset)
    # audit: every download with its outcome, every request and decision
    assert _audit("download") == [
        (applicant["name"], "refused"),
        (applicant["name"], "granted"),
        (bystander["name"], "refused"),
    ]
    assert _audit("access_decision") == [(editor["name"], "approved")]
    assert _audit("access_request") == [(applicant["name"], "pending")]


def test_rejection_keeps_files_withheld_and_fee_only_waived_for_free_use(dataset, editor, sysadmin):
    applicant = factories.User()
    rejected = _decide(editor, apply_for(applicant, dataset["id"]), "reject", reason="用途不明确")
    assert rejected["status"] == "rejected" and not rejected["active"] and not _files_visible(applicant, dataset)
    approved = _decide(sysadmin, apply_for(applicant, dataset["id"]), "approve")
    assert approved["active"] and not approved["fee_waived"]  # no free-use purpose claimed
    assert _audit("access_decision") == [(editor["name"], "rejected"), (sysadmin["name"], "approved")]


def test_applications_need_a_signed_in_user_an_eligible_dataset_and_every_field(create_dataset, dataset):
    applicant = factories.User()
    with pytest.raises(NotAuthorized):
        apply_for(None, dataset["id"])
    open_data = create_dataset(name="open-data", title_translated={"zh-Hans": "开放数据"})
    with pytest.raises(ValidationError):
        apply_for(applicant, open_data["id"])
    with pytest.raises(ValidationError) as error:
        call_action(
            "sdm_access_request_create",
            context=as_user(applicant),
            id=dataset["id"],
            purpose="",
            intended_use="x",
            applicant_unit="y",
            free_use_purpose="tourism",
        )
    assert set(error.value.error_dict) == {"purpose", "free_use_purpose"}
    apply_for(applicant, dataset["id"])
    with pytest.raises(ValidationError):  # one pending application at a time
        apply_for(applicant, dataset["id"])


def test_blacklisted_user_and_network_can_neither_download_nor_apply(app, dataset, editor, sysadmin):
    applicant = factories.User()
    _decide(editor, apply_for(applicant, dataset["id"]), "approve")
    assert _download(app, applicant, dataset).status_code == 302
    with pytest.raises(NotAuthorized):  # administrators only
        call_action("sdm_blacklist_add", context=as_user(editor), user=applicant["name"], reason="违规转售数据")
    entry = call_action("sdm_blacklist_add", context=as_user(sysadmin), user=applicant["name"], reason="违规转售数据")
    assert _download(app, applicant, dataset).status_code == 403
    assert not _files_visible(applicant, dataset)  # the grant no longer counts
    with pytest.raises(NotAuthorized):
        apply_for(applicant, dataset["id"])
    call_action("sdm_blacklist_remove", context=as_user(sysadmin), id=entry["id"])
    assert _download(app, applicant, dataset).status_code == 302
    call_action("sdm_blacklist_add", context=as_user(sysadmin), network="203.0.113.0/24", reason="攻击来源")
    assert _download(app, applicant, dataset, REMOTE_ADDR="203.0.113.9").status_code == 403
    assert _download(app, applicant, dataset, REMOTE_ADDR="198.51.100.1").status_code == 302
    assert [o for _, o in _audit("download")] == ["granted", "blacklisted", "granted", "blacklisted", "granted"]
    assert _audit("access_request")[-1] == (applicant["name"], "blacklisted")
    with pytest.raises(ValidationError):
        call_action("sdm_blacklist_add", context=as_user(sysadmin), network="not-a-network", reason="x")


def test_audit_csv_is_for_administrators(app, dataset, editor, sysadmin):
    applicant = factories.User()
    _decide(editor, apply_for(applicant, dataset["id"]), "approve")
    _download(app, applicant, dataset, REMOTE_ADDR="198.51.100.7")
    admin = signed_in(sysadmin)
    exported = app.get("/ckan-admin/sdm/audit.csv", headers=admin)
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body)))
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("access_request", "pending"),
        ("access_decision", "approved"),
        ("download", "granted"),
    ]
    assert rows[2]["address"] == "198.51.100.7" and rows[2]["user_name"] == applicant["name"]
    assert rows[2]["resource_id"] == dataset["resources"][0]["id"] and rows[2]["package_id"] == dataset["id"]
    editor_headers = signed_in(editor)
    assert app.get("/ckan-admin/sdm/audit.csv", headers=editor_headers).status_code == 403
    with pytest.raises(NotAuthorized):
        call_action("sdm_audit_list", context=as_user(editor))


def test_pages_apply_and_decide(app, dataset, editor):
    applicant = factories.User()
    as_applicant = signed_in(applicant)
    as_editor = signed_in(editor)
    assert "/dataset/stations/access-request" in app.get("/dataset/stations").body
    assert "/dataset/stations/access-requests" in app.get("/dataset/stations", headers=as_editor).body
    form = app.get("/dataset/stations/access-request", headers=as_applicant)
    assert "申请目的" in form.body and "公益性科学研究" in form.body
    app.post(
        "/dataset/stations/access-request",
        headers=as_applicant,
        data=dict(APPLICATION, free_use_purpose="disaster_prevention"),
    )
    (request,) = call_action("sdm_access_request_list", context=as_user(applicant))
    assert app.get("/dataset/stations/access-requests", headers=as_applicant).status_code == 403
    assert "研究区域降水变化" in app.get("/dataset/stations/access-requests", headers=as_editor).body
    app.post(
        f"/access-request/{request['id']}/decide",
        headers=as_editor,
        data={"decision": "approve", "reason": "符合条件", "days": "7"},
    )
    assert call_action("sdm_access_request_list", context=as_user(applicant))[0]["status"] == "approved"
    page = app.get("/dataset/stations", headers=as_applicant).body
    assert URL in page and '/dataset/stations/access-request"' not in page
