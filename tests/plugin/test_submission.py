"""Submission certificates in real CKAN: issue, verify, detect tampering
with the metadata, a file or the certificate; list; print."""

import base64
import json

import pytest
from ckan import model
from ckan.logic import NotAuthorized, ValidationError
from ckan.tests import factories
from ckan.tests.helpers import call_action
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ckanext.sdm import certificates
from ckanext.sdm.model import Submission

_KEY = Ed25519PrivateKey.generate()
KEY_B64 = base64.b64encode(
    _KEY.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
).decode()

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.sdm.submission.signing_key", KEY_B64),
    pytest.mark.ckan_config("ckanext.sdm.submission.receiving_centre", "巴中市科学数据中心"),
]
PROJECT = {
    "project_number": "2024YFA0001",
    "programme": "国家重点研发计划",
    "lead_unit": "四川大学",
    "submitter": "张三",
}


@pytest.fixture
def dataset(create_dataset):
    return create_dataset(
        name="surface-climate",
        version="V1",
        title_translated={"zh-Hans": "地面气候数据", "en": "Surface climate data"},
        resources=[
            {"url": "https://files.example.cn/a.csv", "hash": "sha256:" + "a" * 64},
            {"url": "https://files.example.cn/b.csv"},
        ],
    )


@pytest.fixture
def certificate(dataset, sysadmin):
    return call_action("sdm_submission_create", context={"user": sysadmin["name"]}, id=dataset["id"], **PROJECT)


def _verify(**data):
    return call_action("sdm_submission_verify", context={"user": None, "ignore_auth": False}, **data)


def test_certificate_verifies_and_binds_the_data(certificate, dataset):
    assert certificate["number"].startswith("HJ-")
    assert certificate["receiving_centre"] == "巴中市科学数据中心"
    assert (certificate["dataset_id"], certificate["version"]) == (dataset["id"], "V1")
    assert [r["checksum"] for r in certificate["resources"]] == ["sha256:" + "a" * 64, ""]
    assert certificates.genuine(certificate, _KEY.public_key())  # offline, with the public key only
    by_number = _verify(number=certificate["number"])
    assert by_number["genuine"] and by_number["dataset_exists"]
    assert not by_number["metadata_changed"] and not by_number["resources_changed"]
    assert _verify(certificate=json.dumps(certificate, ensure_ascii=False))["genuine"]


def test_tampered_certificate_is_not_genuine(certificate):
    forged = dict(certificate, project_number="2024YFA9999")
    result = _verify(certificate=json.dumps(forged))
    assert not result["genuine"] and result["metadata_changed"] is None
    # re-signed with another key: well-formed, but not this centre's
    other = certificates.sign(forged, Ed25519PrivateKey.generate())
    assert not _verify(certificate=other)["genuine"]
    # the centre's own stored copy edited in the database
    stored = model.Session.query(Submission).filter_by(number=certificate["number"]).one()
    stored.certificate = dict(certificate, submitter="李四")
    model.Session.commit()
    assert not _verify(number=certificate["number"])["genuine"]
    with pytest.raises(ValidationError):
        _verify(certificate="{not json")


def test_metadata_change_is_detected(certificate, dataset, sysadmin):
    call_action(
        "package_patch",
        context={"user": sysadmin["name"]},
        id=dataset["id"],
        notes_translated={"zh-Hans": "补充说明", "en": "More notes"},
    )
    result = _verify(number=certificate["number"])
    assert result["genuine"] and result["metadata_changed"] and not result["resources_changed"]


@pytest.mark.parametrize("change", [{"hash": "sha256:" + "b" * 64}, {"url": "https://files.example.cn/a2.csv"}])
def test_file_change_is_detected(certificate, dataset, sysadmin, change):
    call_action("resource_patch", context={"user": sysadmin["name"]}, id=dataset["resources"][0]["id"], **change)
    result = _verify(number=certificate["number"])
    assert result["genuine"] and result["resources_changed"] and not result["metadata_changed"]


def test_only_the_units_editors_submit_and_the_version_must_be_current(dataset, sysadmin):
    outsider = factories.User()
    with pytest.raises(NotAuthorized):
        call_action(
            "sdm_submission_create",
            context={"user": outsider["name"], "ignore_auth": False},
            id=dataset["id"],
            **PROJECT,
        )
    with pytest.raises(ValidationError) as error:
        call_action(
            "sdm_submission_create",
            context={"user": sysadmin["name"]},
            id=dataset["id"],
            version="V2",
            **dict(PROJECT, submitter=""),
        )
    assert set(error.value.error_dict) == {"version", "submitter"}


def test_no_key_no_certificate(dataset, sysadmin, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.sdm.submission.signing_key", "")
    with pytest.raises(ValidationError):
        call_action("sdm_submission_create", context={"user": sysadmin["name"]}, id=dataset["id"], **PROJECT)


def test_list_per_project_and_unit(certificate, responsible_unit, sysadmin):
    def listed(user, **filters):
        found = call_action("sdm_submission_list", context={"user": user, "ignore_auth": False}, **filters)
        return [c["number"] for c in found]

    assert listed(sysadmin["name"], project_number="2024YFA0001") == [certificate["number"]]
    assert listed(sysadmin["name"], project_number="other") == []
    assert listed(sysadmin["name"], organization=responsible_unit["name"]) == [certificate["number"]]
    member = factories.User()
    call_action("organization_member_create", id=responsible_unit["id"], username=member["name"], role="member")
    assert listed(member["name"]) == [certificate["number"]]
    assert listed(factories.User()["name"]) == []


def test_certificate_pages(app, certificate, sysadmin):
    token = factories.APIToken(user=sysadmin["name"])["token"]
    page = app.get(f"/submission/{certificate['number']}", headers={"Authorization": token})
    assert page.status_code == 200
    for text in (
        "科学数据汇交凭证",
        "Scientific data submission certificate",
        "项目编号",
        "Project number",
        certificate["number"],
        certificate["signature"],
        "2024YFA0001",
    ):
        assert text in page.body
    assert app.get(f"/submission/{certificate['number']}").status_code == 403  # anonymous
    downloaded = app.get(f"/submission/{certificate['number']}.json", headers={"Authorization": token})
    assert json.loads(downloaded.body) == certificate
    verified = app.get("/submission/verify", query_string={"number": certificate["number"]})
    assert "sdm-unchanged" in verified.body and "alert-success" in verified.body
    forged = app.post("/submission/verify", data={"certificate": json.dumps(dict(certificate, version="V9"))})
    assert "alert-danger" in forged.body
    pem = app.get("/submission/public-key.pem").body.encode()
    assert certificates.genuine(certificate, serialization.load_pem_public_key(pem))
