"""The evaluation in real CKAN: a unit with known defects (a missing English
title, an overdue update, a broken link served by a local server that
returns 404, a changed submission, an unanswered access request), each
indicator and band checked exactly; what anonymous users see through the
disclosure policy; the link check as a job on CKAN's queue; the pages in
both languages; one snapshot per unit per day."""

import base64
import datetime as dt

import pytest
from acting import apply_for, signed_in
from ckan import model
from ckan.lib import jobs
from ckan.logic import NotAuthorized
from ckan.logic import NotFound as ObjectNotFound
from ckan.tests import factories
from ckan.tests.helpers import call_action
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from local_server import file_server

from ckanext.sdm import evaluation as site_evaluation
from ckanext.sdm.cli import sdm
from ckanext.sdm.model import AccessRequest
from sdm_schema import evaluation
from sdm_schema.evaluation.scoring import combine

_KEY = Ed25519PrivateKey.generate()
KEY_B64 = base64.b64encode(
    _KEY.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
).decode()
LATER = dt.date.today() + dt.timedelta(days=3)  # the daily dataset is overdue, the monthly ones are not
DUE_PAST, DUE_LATER = (str(dt.date.today() + dt.timedelta(days=d)) for d in (-10, 30))

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.sdm.submission.signing_key", KEY_B64),
]

COMPLETE = {
    "notes_translated": {"zh-Hans": "逐日观测数据。", "en": "Daily observations."},
    "keywords_translated": {"zh-Hans": ["气象"], "en": ["meteorology"]},
    "discipline": ["170"],
    "resource_code": "11000/A00034VG345",
    "update_cycle": "monthly",
    "license_id": "cc-by",
    "provider_unit": {"zh-Hans": "气象台", "en": "Observatory"},
    "contact_name": "王敏",
    "contact_email": "data@example.cn",
}
CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "签署数据使用协议",
    "open_audience": ["researchers"],
    "review_procedure": "十个工作日内审核",
}


@pytest.fixture(scope="module")
def files():
    server = file_server()
    yield server.url
    server.close()


def _dataset(create, name, url, **fields):
    values = {
        **COMPLETE,
        "title_translated": {"zh-Hans": f"数据{name}", "en": f"Data {name}"},
        "resources": [{"url": url, "format": "CSV", "name": f"{name}.csv"}],
        **fields,
    }
    return create(name=name, **values)


@pytest.fixture
def unit(files, create_dataset, sysadmin, responsible_unit):
    good, gone = f"{files}/good.csv", f"{files}/gone.csv"
    made = {
        name: _dataset(create_dataset, name, **{"url": good, **fields})
        for name, fields in {
            "good": {},
            "no-english": {"title_translated": {"zh-Hans": "只有中文标题"}},
            "broken": {"url": gone},
            # funded, due ten days ago, no certificate: missing and overdue
            "daily": {"update_cycle": "daily", "funding_project": "2023YFC0002", "submission_due": DUE_PAST},
            # funded, certified (today) before its due date
            "changed": {"version": "V1", "funding_project": "2024YFA0001", "submission_due": DUE_LATER},
            "conditional": CONDITIONAL,
            "private": {"private": True, "title_translated": {"zh-Hans": "内部数据"}},
            "deferred": {
                "url": gone,
                "disclosure": "deferred",
                "deferral_reason": "paper",
                "embargo_until": (dt.date.today() + dt.timedelta(days=365)).isoformat(),
            },
        }.items()
    }
    call_action(
        "sdm_submission_create",
        context={"user": sysadmin["name"]},
        id=made["changed"]["id"],
        project_number="2024YFA0001",
        programme="国家重点研发计划",
        lead_unit="四川大学",
        submitter="张三",
    )
    call_action(
        "package_patch",
        context={"user": sysadmin["name"]},
        id="changed",
        notes_translated={"zh-Hans": "改过的摘要", "en": "Changed description"},
    )
    applicant = factories.User()
    request = apply_for(applicant, made["conditional"]["id"])
    row = model.Session.get(AccessRequest, request["id"])
    row.created = row.created - dt.timedelta(days=20)  # waiting past its 15 days
    model.Session.commit()
    return responsible_unit, made


def evaluate(cli, *extra):
    result = cli.invoke(sdm, ["evaluate", "--today", LATER.isoformat(), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _anonymous():
    return {"user": None, "ignore_auth": False}


def _refuse_blacklisted(sysadmin, made) -> None:
    """Two access requests of a blacklisted user, refused and audited."""
    shady = factories.User()
    call_action("sdm_blacklist_add", context={"user": sysadmin["name"]}, user=shady["name"], reason="滥用")
    for name in ("conditional", "deferred"):
        with pytest.raises(NotAuthorized):
            call_action(
                "sdm_access_request_create",
                context={"user": shady["name"], "ignore_auth": False},
                id=made[name]["id"],
                purpose="研究",
                intended_use="论文",
                applicant_unit="某单位",
            )


def test_each_indicator_and_band_exactly(cli, unit, sysadmin):
    org, made = unit
    _refuse_blacklisted(sysadmin, made)
    output = evaluate(cli, "--check-links", "--allow-network", "127.0.0.1/32", "--link-interval", "0")
    assert f"{org['id']}:" in output and "8 datasets, 1 overdue" in output
    admin = {"user": sysadmin["name"]}
    show = {name: call_action("sdm_evaluation_show", context=admin, id=name) for name in made}
    assert show["good"]["problems"] == [] and show["good"]["score"] == 100.0
    assert show["good"]["band"] == {"code": "excellent", "label": {"zh-Hans": "优秀", "en": "Excellent"}}
    assert show["no-english"]["indicators"]["bilingual"] == 75.0
    assert [p["messages"]["en"] for p in show["no-english"]["problems"]] == ["Title: no English text."]
    assert show["broken"]["indicators"]["links_reachable"] == 0.0
    assert show["broken"]["problems"][0]["messages"]["en"].startswith("URL: link 1 cannot be reached (HTTP 404")
    assert show["daily"]["indicators"]["updated_on_time"] == 0.0
    assert show["changed"]["indicators"]["submission_intact"] == 0.0
    assert show["good"]["indicators"]["submission_intact"] is None
    # submission: funded without certificate and overdue; certified in time; not funded
    assert (show["daily"]["indicators"]["funded_submitted"], show["daily"]["indicators"]["submitted_on_time"]) == (0, 0)
    assert [p["messages"]["en"] for p in show["daily"]["problems"] if p["indicator"].startswith("submi")] == [
        f"Submission due date: due for submission by {DUE_PAST}, not submitted yet."
    ]
    assert [p["field"] for p in show["daily"]["problems"] if p["indicator"] == "funded_submitted"] == [
        "funding_project"
    ]
    assert (show["changed"]["indicators"]["funded_submitted"], show["changed"]["indicators"]["submitted_on_time"]) == (
        100.0,
        100.0,
    )
    assert show["good"]["indicators"]["funded_submitted"] is None
    assert show["good"]["indicators"]["submitted_on_time"] is None
    assert show["conditional"]["indicators"]["requests_answered"] == 0.0
    assert show["conditional"]["indicators"]["open_by_default"] == 50.0
    assert show["conditional"]["problems"][-1]["messages"]["en"] == (
        "1 of 1 access requests were not answered within 15 days."
    )
    # every dataset score from its own indicators, the band from the score
    for name, result in show.items():
        values = {k: None if v is None else v / 100 for k, v in result["indicators"].items()}
        assert result["score"] == combine(values)[1], name
        assert result["band"]["code"] == evaluation.band(result["score"]).code
    card = call_action("sdm_evaluation_show", context=admin, id=org["name"])
    assert card["datasets"] == 8
    assert card["indicators"]["links_reachable"] == 75.0  # 6 of 8 links answer
    assert card["indicators"]["updated_on_time"] == 87.5  # 7 of 8 on time
    assert card["indicators"]["submission_intact"] == 0.0
    assert card["indicators"]["funded_submitted"] == card["indicators"]["submitted_on_time"] == 50.0
    assert card["counts"]["blacklist_hits"] == 2  # the two refused requests, audited
    assert card["openness"] == {"unconditional": 7, "conditional": 1, "not_open": 0}
    assert card["overdue"] == ["daily"]
    assert card["score"] == combine({k: None if v is None else v / 100 for k, v in card["indicators"].items()})[1]
    assert card["band"]["code"] == evaluation.band(card["score"]).code
    assert {d["name"] for d in card["worst"]} == {
        "no-english",
        "broken",
        "daily",
        "changed",
        "conditional",
        "private",
        "deferred",
    }
    ranked = call_action("sdm_evaluation_list", context=_anonymous())
    assert [(u["name"], u["score"], u["overdue"]) for u in ranked] == [(org["name"], card["score"], 1)]


def test_anonymous_users_see_only_what_the_policy_shows(cli, unit):
    org, made = unit
    evaluate(cli, "--check-links", "--allow-network", "127.0.0.1/32", "--link-interval", "0")
    with pytest.raises(ObjectNotFound):
        call_action("sdm_evaluation_show", context=_anonymous(), id="private")
    deferred = call_action("sdm_evaluation_show", context=_anonymous(), id="deferred")
    assert deferred["indicators"]["links_reachable"] is None and deferred["indicators"]["known_formats"] is None
    assert not [p for p in deferred["problems"] if p["indicator"] in ("links_reachable", "known_formats")]
    card = call_action("sdm_evaluation_show", context=_anonymous(), id=org["id"])
    # the deferred dataset's only problem is its withheld file's link: not listed for the public
    assert {d["name"] for d in card["worst"]} == {"no-english", "broken", "daily", "changed", "conditional"}
    assert "private" not in str(card) and "内部数据" not in str(card)


def test_link_check_runs_as_a_job_on_ckans_queue(cli, unit, files):
    evaluate(cli)  # no check yet: no link value
    assert call_action("sdm_evaluation_show", id="broken")["indicators"]["links_reachable"] is None
    queue = jobs.get_queue(site_evaluation.LINK_QUEUE)
    queue.empty()  # Redis outlives the database between tests
    job = site_evaluation.enqueue_link_check({"allow_networks": ["127.0.0.1/32"], "interval": 0, "timeout": 5})
    [queued] = queue.jobs
    assert queued.id == job.id
    assert queued.perform() == 3  # HEAD for each URL, and GET after the 404
    checked = {row.url: row.status for row in model.Session.query(site_evaluation.LinkCheck)}
    assert checked == {f"{files}/good.csv": "HTTP 200", f"{files}/gone.csv": "HTTP 404"}
    evaluate(cli)
    assert call_action("sdm_evaluation_show", id="broken")["indicators"]["links_reachable"] == 0.0


def test_one_snapshot_per_unit_per_day(cli, unit):
    org, _made = unit
    evaluate(cli)
    evaluate(cli)
    other_day = cli.invoke(sdm, ["evaluate", "--today", (LATER + dt.timedelta(days=1)).isoformat()])
    assert other_day.exit_code == 0, other_day.output
    trend = call_action("sdm_evaluation_show", id=org["id"])["trend"]
    assert [p["day"] for p in trend] == [LATER.isoformat(), (LATER + dt.timedelta(days=1)).isoformat()]


@pytest.mark.parametrize(
    "prefix, words",
    [
        ("", ("各责任单位评估", "良好", "得分变化", "开放情况", "有条件开放")),
        ("/en", ("Evaluation of the responsible units", "Score over time", "Openness", "Open on conditions")),
    ],
)
def test_pages_in_both_languages(app, cli, unit, prefix, words):
    org, _made = unit
    evaluate(cli, "--check-links", "--allow-network", "127.0.0.1/32", "--link-interval", "0")
    ranking = app.get(f"{prefix}/evaluation").body
    assert words[0] in ranking and f"/organization/{org['name']}/evaluation" in ranking
    page = app.get(f"{prefix}/organization/{org['name']}/evaluation").body
    for word in words[1:]:
        assert word in page
    charts = [part.split("</svg>", 1)[0] for part in page.split("<svg")[1:]]
    assert len(charts) == 2 and not [c for c in charts if "<script" in c]
    assert "内部数据" not in page  # the private dataset, to an anonymous reader
    assert 'data-dataset="broken"' in page
    csv_text = app.get(f"{prefix}/evaluation.csv").body
    assert csv_text.startswith("\ufeffunit,datasets,score,band") and org["id"] in csv_text


def test_band_badge_on_the_dataset_page_for_editors_only(app, cli, unit, sysadmin):
    evaluate(cli)
    anonymous = app.get("/dataset/broken").body
    assert "sdm-eval-badge" not in anonymous
    editor = app.get("/dataset/broken", headers=signed_in(sysadmin)).body
    shown = call_action("sdm_evaluation_show", context={"user": sysadmin["name"]}, id="broken")
    badge = editor.split('class="sdm-eval-badge"', 1)[1].split("</p>", 1)[0]
    assert str(shown["score"]) in badge and shown["band"]["label"]["zh-Hans"] in badge
