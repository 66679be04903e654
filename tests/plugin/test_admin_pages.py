"""The administration pages under /ckan-admin/sdm and the site identity,
rendered by real CKAN: audit (filters, CSV), blacklist, certificates
(issue, list, print), pending applications; the site's name, home, about
and the receiving centre from config in both languages; verification."""

import base64
import csv
import io
import re
from html import unescape

import pytest
from acting import apply_for, signed_in
from ckan.tests import factories
from ckan.tests.helpers import call_action
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY_B64 = base64.b64encode(
    Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
).decode()
SITE = {
    "ckanext.sdm.site.title_zh": "巴中市科学数据中心",
    "ckanext.sdm.site.title_en": "Bazhong Scientific Data Centre",
    "ckanext.sdm.site.intro_zh": "本中心汇交、保存并开放本市的**科学数据**。",
    "ckanext.sdm.site.intro_en": "The centre receives, keeps and opens the city's **scientific data**.",
    "ckanext.sdm.site.about_zh": "关于巴中市科学数据中心",
    "ckanext.sdm.site.about_en": "About the Bazhong centre",
}
PROJECT = {
    "project_number": "2024YFA0001",
    "programme": "国家重点研发计划",
    "lead_unit": "四川大学",
    "submitter": "张三",
}
CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "签署数据使用协议",
    "open_audience": ["researchers"],
    "review_procedure": "责任单位十个工作日内审核",
}

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.sdm.submission.signing_key", KEY_B64),
    pytest.mark.ckan_config("ckan.display_timezone", "Asia/Shanghai"),
    *(pytest.mark.ckan_config(k, v) for k, v in SITE.items()),
]


@pytest.fixture
def dataset(create_dataset):
    return create_dataset(
        name="stations",
        version="V1",
        title_translated={"zh-Hans": "站点数据", "en": "Station data"},
        resources=[{"url": "https://files.example.cn/s.csv", "name": "s.csv"}],
        **CONDITIONAL,
    )


def test_admin_pages_are_for_sysadmins_only(app, sysadmin, dataset):
    for path in ("", "/audit", "/audit.csv", "/blacklist", "/certificates", "/requests"):
        url = "/ckan-admin/sdm" + (path or "/")
        assert app.get(url, headers=signed_in(factories.User()), status=403)
        assert "/user/login" in app.get(url, follow_redirects=False).headers["Location"]
        assert app.get(url, headers=signed_in(sysadmin)).status_code == 200
    admin = app.get("/ckan-admin", headers=signed_in(sysadmin)).body
    assert 'href="/ckan-admin/sdm/"' in admin and "科学数据管理" in admin


def test_audit_page_filters_names_and_time_zone_and_csv_with_bom(app, sysadmin, dataset):
    applicant = factories.User()
    apply_for(applicant, dataset["id"])
    other = factories.User()
    apply_for(other, dataset["id"], purpose="教学", intended_use="课程", applicant_unit="巴中中学")
    page = app.get(f"/en/ckan-admin/sdm/audit?user={applicant['name']}", headers=signed_in(sysadmin)).body
    rows = re.findall(r"<tr><td><time", page)
    assert len(rows) == 1 and applicant["name"] in page and other["name"] not in page.split("<tbody>")[1]
    assert ">站点数据</a>" in page  # the dataset's name, not its id
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d \+08:00", page)
    exported = app.get("/ckan-admin/sdm/audit.csv?action=access_request", headers=signed_in(sysadmin))
    raw = exported.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 Chinese only with the BOM
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == 2 and {r["dataset"] for r in table} == {"stations"}
    assert {r["dataset_title"] for r in table} == {"站点数据"}
    assert all(r["at"].endswith("+08:00") for r in table)
    bad = app.get("/ckan-admin/sdm/audit?since=yesterday", headers=signed_in(sysadmin), expect_errors=True)
    assert bad.status_code == 400 and "时间 yesterday 无效" in unescape(bad.body)


def test_blacklist_page_adds_refuses_and_removes(app, sysadmin):
    user = factories.User()
    page = app.post(
        "/en/ckan-admin/sdm/blacklist", headers=signed_in(sysadmin), data={"network": "not-a-network", "reason": "spam"}
    ).body
    assert "IP 网段 not-a-network 无效" in unescape(page) and "Invalid IP network not-a-network" in unescape(page)
    app.post(
        "/ckan-admin/sdm/blacklist", headers=signed_in(sysadmin), data={"user": user["name"], "reason": "批量爬取"}
    )
    listed = app.get("/ckan-admin/sdm/blacklist", headers=signed_in(sysadmin)).body
    assert user["name"] in listed and "批量爬取" in listed
    (entry,) = call_action("sdm_blacklist_list", context={"user": sysadmin["name"]})
    app.post("/ckan-admin/sdm/blacklist", headers=signed_in(sysadmin), data={"remove": entry["id"]})
    assert call_action("sdm_blacklist_list", context={"user": sysadmin["name"]}) == []


def test_certificates_issued_listed_printed_with_the_bilingual_centre(app, sysadmin, dataset):
    response = app.post(
        "/ckan-admin/sdm/certificates",
        headers=signed_in(sysadmin),
        data={"id": "stations", "version": "V1", **PROJECT},
        follow_redirects=False,
    )
    number = re.search(r"/submission/(HJ-[0-9A-Z-]+)", response.headers["Location"]).group(1)
    printed = app.get(f"/submission/{number}", headers=signed_in(sysadmin)).body
    centre = re.search(r'<td class="sdm-cert-receiving_centre">(.*?)</td>', printed, re.S).group(1)
    assert "巴中市科学数据中心" in centre and "Bazhong Scientific Data Centre" in centre and "CKAN" not in centre
    listed = app.get("/en/ckan-admin/sdm/certificates", headers=signed_in(sysadmin)).body
    assert number in listed and "Station data" in listed and f'href="/en/submission/{number}"' in listed
    refused = app.post("/ckan-admin/sdm/certificates", headers=signed_in(sysadmin), data={"id": "stations"}).body
    assert "项目编号：必填" in unescape(refused)


def test_pending_applications_page(app, sysadmin, dataset):
    applicant = factories.User()
    apply_for(applicant, dataset["id"], free_use_purpose="disaster_prevention")
    page = app.get("/en/ckan-admin/sdm/requests", headers=signed_in(sysadmin)).body
    assert "Station data" in page and applicant["name"] in page and "四川大学" in page
    assert "HJ-" not in page and dataset["id"] not in page


def test_site_identity_in_both_languages(app, dataset):
    zh, en = app.get("/").body, app.get("/en/").body
    assert "<title>检索科学数据 - 巴中市科学数据中心</title>" in zh
    # the header names the site: as the logo's text, or as the link when no logo is set
    for body, home, title in ((zh, "/", "巴中市科学数据中心"), (en, "/en/", "Bazhong Scientific Data Centre")):
        assert f'<a href="{home}">{title}</a>' in body or re.search(
            rf'<a class="logo" href="{re.escape(home)}">\s*<img [^>]*alt="{title}"', body
        )
    assert "<strong>科学数据</strong>" in zh and "<strong>scientific data</strong>" in en
    for placeholder in ("Welcome to CKAN", "欢迎来到CKAN", "nice introductory paragraph", "简单介绍资讯"):
        assert placeholder not in zh and placeholder not in en
    assert "Station data" in en  # the latest datasets
    assert "About the Bazhong centre" in app.get("/en/about").body
    assert "关于巴中市科学数据中心" in app.get("/about").body
    assert 'href="/submission/verify"' in zh  # verification is linked from every page
    assert "/catalog.ttl" in zh


def test_verify_ignores_case_and_spaces_and_says_what_was_certified(app, sysadmin, dataset):
    certificate = call_action("sdm_submission_create", context={"user": sysadmin["name"]}, id=dataset["id"], **PROJECT)
    typed = " " + certificate["number"].lower()[:6] + " " + certificate["number"].lower()[6:] + " "
    page = unescape(app.get("/en/submission/verify", query_string={"number": typed}).body)
    assert "Genuine" in page
    certified = re.search(r'<dl class="sdm-certified">(.*?)</dl>', page, re.S).group(1)
    for text in (
        "2024YFA0001",
        "国家重点研发计划",
        "四川大学",
        "张三",
        "V1",
        "Station data",
        "Bazhong Scientific Data Centre",
    ):
        assert text in certified, text
