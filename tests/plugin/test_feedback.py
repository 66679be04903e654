"""Demands, quality reports and the register of authorised use (R13, R14),
in real CKAN with a requester, an editor of the responsible unit and a
sysadmin: every state change, the mail (a local SMTP server), the daily
limit, the blacklist, hostile text, and the pages in both languages."""

import csv
import datetime as dt
import io
import json

import pytest
from acting import apply_for, as_user
from ckan.tests import factories
from ckan.tests.helpers import call_action
from form_session import FormSession
from sample_units import USCC
from test_pages_access import CONDITIONAL, inbox  # noqa: F401 (the local SMTP server fixture)

from ckanext.sdm.access_requests import granted

CITY = {"zh-Hans": "城市数据平台", "en": "City data platform"}
UPSTREAM = {
    "source": "city-platform",
    "platform": "https://city.example.cn/api/3",
    "platform_unit": CITY,
    "record": "9",
    "page": "https://city.example.cn/dataset/9",
}

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
PASSWORD = "correct-horse-battery"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def editor(responsible_unit):
    user = factories.User(email="editor@example.cn")
    call_action("organization_member_create", id=responsible_unit["id"], username=user["name"], role="editor")
    return user


@pytest.fixture
def requester():
    return factories.User(email="requester@example.cn", password=PASSWORD)


@pytest.fixture
def dataset(create_dataset):
    return create_dataset(
        name="stations",
        title_translated={"zh-Hans": "站点数据", "en": "Station data"},
        harvest_source="city-platform",
        harvest_identifier="9",
        landing_page="https://city.example.cn/dataset/9",
        provenance=[
            {
                "catalogue": "https://other.example.cn/catalog.ttl",
                "record": "x-1",
                "unit": {"uscc": USCC, "title_translated": {"zh-Hans": "省平台"}},
            },
            {
                "catalogue": "https://city.example.cn/api/3",
                "record": "9",
                "unit": {"uscc": USCC, "title_translated": CITY},
            },
        ],
        resources=[{"url": "https://files.example.cn/stations.csv"}],
        **CONDITIONAL,
    )


def _demand(user, **extra):
    fields = {"subject": "长江流域逐日降水", "purpose": "洪水预报研究", "contact": "138 0000 0000"}
    return call_action("sdm_demand_create", context=as_user(user), **{**fields, **extra})


# -- demands --------------------------------------------------------------------
def test_a_demand_goes_from_open_to_fulfilled(requester, editor, responsible_unit, dataset, inbox):
    demand = _demand(requester, owner_org=responsible_unit["name"], discipline="170")
    assert demand["status"] == "open" and demand["owner_org"] == responsible_unit["id"]
    public = call_action("sdm_demand_show", context={"user": ""}, id=demand["id"])
    assert "user" not in public and "contact" not in public  # the requester is not named
    assert call_action("sdm_demand_show", context=as_user(editor), id=demand["id"])["contact"] == "138 0000 0000"

    accepted = call_action("sdm_demand_update", context=as_user(editor), id=demand["id"], status="accepted")
    assert accepted["status"] == "accepted"
    with pytest.raises(Exception) as missing:
        call_action("sdm_demand_update", context=as_user(editor), id=demand["id"], status="fulfilled")
    assert "dataset" in missing.value.error_dict
    done = call_action(
        "sdm_demand_update",
        context=as_user(editor),
        id=demand["id"],
        status="fulfilled",
        dataset="stations",
        answer="已发布",
    )
    assert done["status"] == "fulfilled" and done["fulfilled_by"] == "stations"
    with pytest.raises(Exception) as final:
        call_action("sdm_demand_update", context=as_user(editor), id=demand["id"], status="declined", answer="x")
    assert "status" in final.value.error_dict
    assert any("requester@example.cn" in to for to, _m in inbox.messages)


def test_only_the_units_editors_answer_and_a_decline_needs_a_reason(requester, editor, responsible_unit):
    demand = _demand(requester, owner_org=responsible_unit["id"])
    stranger = factories.User()
    from ckan.logic import NotAuthorized, ValidationError

    with pytest.raises(NotAuthorized):
        call_action("sdm_demand_update", context=as_user(stranger), id=demand["id"], status="declined", answer="no")
    with pytest.raises(ValidationError) as error:
        call_action("sdm_demand_update", context=as_user(editor), id=demand["id"], status="declined")
    assert "答复" in error.value.error_dict["answer"][0] and "Answer" in error.value.error_dict["answer"][0]
    declined = call_action(
        "sdm_demand_update", context=as_user(editor), id=demand["id"], status="declined", answer="不属于本单位职责"
    )
    assert declined["answer"] == "不属于本单位职责"


def test_support_counts_once_per_user(requester):
    demand = _demand(requester)
    other = factories.User()
    assert call_action("sdm_demand_support", context=as_user(other), id=demand["id"])["supporters"] == 1
    from ckan.logic import ValidationError

    with pytest.raises(ValidationError):
        call_action("sdm_demand_support", context=as_user(other), id=demand["id"])
    assert call_action("sdm_demand_show", context={"user": ""}, id=demand["id"])["supporters"] == 1


def test_demands_are_refused_to_the_anonymous_the_blacklisted_and_past_the_daily_limit(
    requester, sysadmin, ckan_config, monkeypatch
):
    from ckan.logic import NotAuthorized, ValidationError

    with pytest.raises(NotAuthorized):
        call_action("sdm_demand_create", context={"user": "", "ignore_auth": False}, subject="s", purpose="p")
    monkeypatch.setitem(ckan_config, "ckanext.sdm.feedback.daily_limit", 2)
    _demand(requester)
    _demand(requester)
    with pytest.raises(ValidationError) as limited:
        _demand(requester)
    assert "24" in limited.value.error_dict["user"][0]
    blocked = factories.User()
    call_action("sdm_blacklist_add", context={"user": sysadmin["name"]}, user=blocked["name"], reason="滥用")
    with pytest.raises(NotAuthorized):
        _demand(blocked)
    trail = call_action("sdm_audit_list", context={"user": sysadmin["name"]})
    assert {row["outcome"] for row in trail if row["action"] == "demand"} == {"open", "blacklisted"}


def test_lengths_and_codes_are_checked(requester):
    from ckan.logic import ValidationError

    with pytest.raises(ValidationError) as error:
        _demand(requester, subject="长" * 201, discipline="999999", owner_org="no-such-unit")
    assert set(error.value.error_dict) == {"subject", "discipline", "owner_org"}


# -- quality reports ------------------------------------------------------------
def test_a_quality_report_reaches_the_editors_and_its_answer_the_reporter(requester, editor, dataset, inbox):
    report = call_action(
        "sdm_quality_report_create",
        context=as_user(requester),
        id=dataset["id"],
        problem="broken_link",
        field="landing_page",
        description="链接 404",
    )
    assert report["upstream"] == UPSTREAM  # a harvested dataset: the platform to fix it at
    [mail] = [m for to, m in inbox.messages if "editor@example.cn" in to]
    body = mail.get_payload(decode=True).decode("utf-8")
    assert "请在来源平台修正：https://city.example.cn/dataset/9" in body
    assert "harvested from https://city.example.cn/api/3 (harvest source city-platform)" in body
    assert [r["id"] for r in call_action("sdm_quality_report_list", context=as_user(editor))] == [report["id"]]
    assert call_action("sdm_quality_report_list", context=as_user(factories.User())) == []
    from ckanext.sdm.feedback import open_report_count

    assert open_report_count(dataset["id"]) == 1
    answered = call_action(
        "sdm_quality_report_update",
        context=as_user(editor),
        id=report["id"],
        status="answered",
        answer="已通知来源平台修正",
    )
    assert answered["status"] == "answered"
    assert any("requester@example.cn" in to for to, _m in inbox.messages)
    call_action("sdm_quality_report_update", context=as_user(editor), id=report["id"], status="closed", answer="已修正")
    assert open_report_count(dataset["id"]) == 0


def test_a_report_names_a_known_problem_and_field(requester, dataset):
    from ckan.logic import ValidationError

    with pytest.raises(ValidationError) as error:
        call_action(
            "sdm_quality_report_create",
            context=as_user(requester),
            id=dataset["id"],
            problem="ugly",
            field="colour",
            description="",
        )
    assert set(error.value.error_dict) == {"problem", "field", "description"}
    assert "wrong_value" in error.value.error_dict["problem"][0]


def test_only_editors_answer_reports(requester, dataset):
    report = call_action(
        "sdm_quality_report_create", context=as_user(requester), id=dataset["id"], problem="other", description="…"
    )
    from ckan.logic import NotAuthorized

    with pytest.raises(NotAuthorized):
        call_action(
            "sdm_quality_report_update", context=as_user(requester), id=report["id"], status="closed", answer="done"
        )


# -- the register of authorised use ---------------------------------------------
def _grant(requester, editor, dataset):
    request = apply_for(requester, dataset["id"], purpose="流域模型", intended_use="模型训练")
    call_action(
        "sdm_access_request_decide",
        context=as_user(editor),
        id=request["id"],
        decision="approve",
        reason="符合条件",
        days=30,
    )
    return request


def test_an_approved_request_becomes_a_public_entry_naming_the_unit_only(app, requester, editor, dataset):
    request = _grant(requester, editor, dataset)
    entry = call_action(
        "sdm_authorisation_create",
        context=as_user(editor),
        access_request_id=request["id"],
        legal_basis="授权协议 SC-2026-001",
    )
    assert entry["unit"] == "四川大学" and entry["status"] == "active" and entry["dataset"] == "stations"
    listed = call_action("sdm_authorisation_list", context={"user": ""})
    assert [e["id"] for e in listed] == [entry["id"]]
    assert requester["name"] not in json.dumps(listed, ensure_ascii=False)
    text = app.get("/authorisations.csv").body
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["unit"] == "四川大学" and rows[0]["legal_basis"] == "授权协议 SC-2026-001"
    document = json.loads(app.get("/authorisations.jsonld").body)
    assert document["@graph"][0]["odrl:assignee"]["foaf:name"] == "四川大学"
    # revoking the entry ends the grant it came from
    assert granted(dataset["id"], requester["name"])
    call_action("sdm_authorisation_revoke", context=as_user(editor), id=entry["id"])
    assert not granted(dataset["id"], requester["name"])
    assert call_action("sdm_authorisation_list", context={"user": ""})[0]["status"] == "revoked"


@pytest.mark.parametrize(("internal", "named"), [("true", True), ("false", False)])
def test_only_an_internal_catalogue_may_name_the_applicant(
    app, requester, editor, dataset, monkeypatch, ckan_config, internal, named
):
    monkeypatch.setitem(ckan_config, "ckanext.sdm.authorisations.name_individuals", "true")
    monkeypatch.setitem(ckan_config, "ckanext.sdm.allow_classified", internal)
    request = _grant(requester, editor, dataset)
    call_action(
        "sdm_authorisation_create", context=as_user(editor), access_request_id=request["id"], legal_basis="协议"
    )
    person = requester["fullname"] or requester["name"]
    listed = call_action("sdm_authorisation_list", context={"user": ""})
    assert (listed[0].get("person") == person) is named and ("person" in listed[0]) is named
    rows = list(csv.DictReader(io.StringIO(app.get("/authorisations.csv").body.lstrip("\ufeff"))))
    assert (rows[0].get("person") == person) is named
    assignee = json.loads(app.get("/authorisations.jsonld").body)["@graph"][0]["odrl:assignee"]
    assert (assignee.get("foaf:member", {}).get("foaf:name") == person) is named
    assert (person in app.get("/en/authorisations").body) is named


def test_a_direct_entry_expires(sysadmin, dataset):
    entry = call_action(
        "sdm_authorisation_create",
        context={"user": sysadmin["name"]},
        id=dataset["id"],
        unit="成都数据集团",
        scope="站点数据全量",
        purpose="公共数据授权运营",
        legal_basis="川数授〔2025〕1号",
        starts="2025-01-01",
        ends="2025-12-31",
    )
    assert entry["status"] == "expired"
    from ckan.logic import ValidationError

    with pytest.raises(ValidationError) as error:
        call_action(
            "sdm_authorisation_create",
            context={"user": sysadmin["name"]},
            id=dataset["id"],
            unit="u",
            scope="s",
            purpose="p",
            legal_basis="b",
            starts="2026-02-01",
            ends="2026-01-01",
        )
    assert "ends" in error.value.error_dict


def test_a_pending_request_is_not_an_authorisation(requester, editor, dataset):
    request = apply_for(requester, dataset["id"])
    from ckan.logic import ValidationError

    with pytest.raises(ValidationError):
        call_action(
            "sdm_authorisation_create", context=as_user(editor), access_request_id=request["id"], legal_basis="b"
        )


# -- pages ------------------------------------------------------------------------
@pytest.mark.parametrize("locale,title", [("", "数据需求"), ("en", "Data demands")])
def test_the_demand_form_saves_and_hostile_text_stays_text(app, requester, locale, title):
    session = FormSession(app, locale).login(requester["name"], PASSWORD)
    response = session.submit("/demands/new", {"subject": HOSTILE, "purpose": "研究 " + HOSTILE}, follow=True)
    assert response.status_code == 200
    body = response.body
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert" in body
    listing = session.client.get(session.url("/demands")).body
    assert title in listing and "&lt;script&gt;" in listing and "<script>alert" not in listing


@pytest.mark.parametrize(
    "locale,words",
    [
        ("", ("报告数据问题", "质量反馈", "授权运营公开")),
        ("en", ("Report a problem", "Quality reports", "Register of authorised use")),
    ],
)
def test_report_inbox_and_register_pages_render_in_both_languages(app, requester, dataset, locale, words):
    session = FormSession(app, locale).login(requester["name"], PASSWORD)
    saved = session.submit(
        f"/dataset/{dataset['name']}/report", {"problem": "missing_english", "description": HOSTILE}, follow=True
    )
    assert saved.status_code == 200
    form = session.client.get(session.url(f"/dataset/{dataset['name']}/report")).body
    inbox_page = session.client.get(session.url("/dashboard/quality-reports")).body
    register = session.client.get(session.url("/authorisations")).body
    assert words[0] in form and words[1] in inbox_page and words[2] in register
    assert "&lt;script&gt;" in inbox_page and "<script>alert" not in inbox_page
    # the harvested dataset's platform, on the form and in the inbox, in the page's language
    city = CITY["en" if locale else "zh-Hans"]
    for page in (form, inbox_page):
        upstream = page.split('<span class="sdm-report-upstream">', 1)[1].split("</span>", 1)[0]
        assert city in upstream and 'href="https://city.example.cn/api/3"' in upstream
        assert "city-platform" in upstream and 'href="https://city.example.cn/dataset/9"' in upstream


def test_the_dataset_page_offers_a_report_and_counts_open_ones(app, requester, dataset):
    assert "/dataset/stations/report" in app.get("/dataset/stations").body
    call_action(
        "sdm_quality_report_create",
        context=as_user(requester),
        id=dataset["id"],
        problem="outdated",
        description="2023 年后未更新",
    )
    assert "1 条质量反馈待处理" in app.get("/dataset/stations").body
    assert "1 open quality reports" in app.get("/en/dataset/stations").body


# -- counted by the evaluation ------------------------------------------------------
def _aged(row_class, made: dict, now, created_days: int, answered_days=None):
    """Back-date a demand or report: created and first answered so many days ago."""
    from ckan import model

    row = model.Session.get(row_class, made["id"])
    row.created = now - dt.timedelta(days=created_days)
    row.answered = None if answered_days is None else now - dt.timedelta(days=answered_days)
    model.Session.commit()


FIGURES = ("open_demands", "unanswered_reports", "demand_answer_days", "report_answer_days")


def _figures(unit: dict) -> dict:
    """The feedback's figures among a unit's counts (the evaluation counts more)."""
    return {key: unit["counts"][key] for key in FIGURES}


def test_open_demands_unanswered_reports_and_answer_times_are_counted(app, cli, requester, editor, dataset):
    from ckanext.sdm.cli import sdm
    from ckanext.sdm.model import Demand, QualityReport, utcnow
    from sdm_schema.evaluation.scoring import combine

    now = utcnow()
    unit = dataset["owner_org"]
    demands = [_demand(requester, owner_org=unit, subject=f"需求{i}") for i in range(4)]
    for made, ages in zip(demands, [(20, 3), (10, 8), (30, None), (0, None)], strict=True):
        _aged(Demand, made, now, *ages)  # 17 days (late), 2 days, open past 15 days (late), open within them
    reports = [
        call_action(
            "sdm_quality_report_create", context=as_user(requester), id=dataset["id"], problem="other", description=d
        )
        for d in ("旧", "已答复", "新")
    ]
    call_action(
        "sdm_quality_report_update", context=as_user(editor), id=reports[1]["id"], status="answered", answer="好"
    )
    for made, ages in zip(reports, [(16, None), (5, 4), (1, None)], strict=True):
        _aged(QualityReport, made, now, *ages)
    # closing later leaves the first answer's time, which is what is measured
    call_action("sdm_quality_report_update", context=as_user(editor), id=reports[1]["id"], status="closed", answer="改")
    result = cli.invoke(sdm, ["evaluate"])
    assert result.exit_code == 0, result.output

    shown = call_action("sdm_evaluation_show", id="stations")
    assert shown["indicators"]["reports_answered"] == 50.0 and shown["indicators"]["demands_answered"] is None
    assert "1 of 2 quality reports were not answered within 15 days." in [
        p["messages"]["en"] for p in shown["problems"]
    ]
    card = call_action("sdm_evaluation_show", id=unit)
    assert card["indicators"]["demands_answered"] == 33.3  # 1 of 3 due in time; the fresh one is not due
    assert card["indicators"]["reports_answered"] == 50.0
    figures = {"open_demands": 2, "unanswered_reports": 2, "demand_answer_days": 9.5, "report_answer_days": 1.0}
    assert _figures(card) == figures
    assert [p["messages"]["en"] for p in card["problems"]] == ["2 of 3 data demands were not answered within 15 days."]
    assert card["dimensions"]["service"] == 41.7  # (1/2 + 1/3) / 2: no access request is due
    unrounded = {k: None if v is None else v / 100 for k, v in card["indicators"].items()}
    assert card["score"] == pytest.approx(combine({**unrounded, "demands_answered": 1 / 3})[1], abs=0.05)
    [listed] = call_action("sdm_evaluation_list", context={"user": ""})
    assert _figures(listed) == figures and listed["indicators"]["demands_answered"] == 33.3

    [row] = list(csv.DictReader(io.StringIO(app.get("/evaluation.csv").body.lstrip("\ufeff"))))
    assert (row["demands_answered"], row["reports_answered"]) == ("33.3", "50.0")
    assert [row[k] for k in figures] == ["2", "2", "9.5", "1.0"]
    assert _figures(json.loads(app.get(f"/organization/{card['name']}/evaluation.json").body)["units"][0]) == figures
    for prefix, words in (
        ("", ("未答复的数据需求", "数据需求按期答复", "2 条数据需求未在 15 天内答复")),
        ("/en", ("Demands not yet answered", "Data demands answered in time", "2 of 3 data demands")),
    ):
        page = app.get(f"{prefix}/organization/{card['name']}/evaluation").body
        assert all(word in page for word in words), prefix
        assert '<tr data-figure="demand_answer_days"><th scope="row">' in page and "<td>9.5</td>" in page
        assert words[0] in app.get(f"{prefix}/evaluation").body


def _register_links(app, profile: str) -> tuple:
    """(foaf:page, rdfs:seeAlso) of the catalogue in CKAN's /catalog.ttl for a profile."""
    import rdflib

    graph = rdflib.Graph().parse(data=app.get(f"/catalog.ttl?profiles={profile}").body, format="turtle")
    [catalog] = graph.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Catalog"))
    pages = {str(p) for p in graph.objects(catalog, rdflib.URIRef("http://xmlns.com/foaf/0.1/page"))}
    return pages, {str(d) for d in graph.objects(catalog, rdflib.RDFS.seeAlso)}


def test_the_national_catalogue_links_the_register_and_its_files(app, ckan_config, monkeypatch, dataset, sysadmin):
    site = ckan_config["ckan.site_url"].rstrip("/")
    register = f"{site}/authorisations"
    assert _register_links(app, "sdm_national") == ({register}, {register + ".csv", register + ".jsonld"})
    assert app.get("/authorisations.csv").status_code == 200 and app.get("/authorisations.jsonld").status_code == 200
    assert _register_links(app, "sdm_dcat_ap3") == (set(), set())  # the international feed carries none
    monkeypatch.setitem(ckan_config, "ckanext.sdm.authorisations.register_url", "https://open.example.cn/register")
    call_action(
        "package_patch", context={"user": sysadmin["name"]}, id=dataset["id"], version="2"
    )  # a new catalogue page, not the one cached
    assert _register_links(app, "sdm_national")[0] == {"https://open.example.cn/register"}
