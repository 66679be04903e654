"""Deny by default, proven generically (issue 10, deliverable 2).

Every action in CKAN's registry (`ckan.logic._actions`, filled from core and
every loaded plugin at run time) and every GET route of the Flask app is
called as an anonymous visitor, a signed-in user of no unit and a member of
another unit, over one catalogue holding every
disclosure state of test_disclosure.CASES, each dataset with a submission
certificate.  The classified dataset and the files of the withheld ones
carry marker strings (title, notes, keyword, condition, id, name, file URL,
file name and description, resource id); no answer — body, error message
or redirect — may hold one the caller did not send itself.

Nothing here lists channels by hand: an action or route that CKAN or a
plugin adds later is walked too, and fails until it is chained in
ckanext/sdm/access.py.  Parameters come from the action's own docstring
(`:param x:` and `` `x` ``) or the route's placeholders, filled from a
table of known keys (id, name, q, query, url, …) with the dataset, file,
activity, unit or user the name of the action or route points at.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import inspect
import json
import re
from dataclasses import dataclass

import ckan.logic as logic
import ckan.model as model
import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
import flask_login
import pytest
import sqlalchemy
from acting import signed_in
from ckan.lib import search
from ckan.tests import factories
from ckan.tests import helpers as test_helpers
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_disclosure import CASES

#: The walked catalogue's markers all start with this word, so a search
#: or autocomplete for it reaches every one of them.
PREFIX = "zqmark"
CLASSIFIED = "classified-data"
DEFERRED = "deferred-data"
#: Datasets whose files the public may not see.
WITHHELD = tuple(name for name, (_, _, files) in CASES.items() if not files)

#: Actions whose answer may hold a marker for an outsider, with the reason.
#: Empty: none may.  An entry naming no registered action fails the walk.
ALLOWED: dict = {}


def marker(slug: str, what: str) -> str:
    return f"{PREFIX}-{slug.replace('-data', '')}-{what}"


def _resource(name: str) -> dict:
    return {
        "url": f"https://files.example.cn/{marker(name, 'url')}.csv",
        "name": marker(name, "file"),
        "description": marker(name, "description"),
        "format": "CSV",
    }


def _fields(name: str) -> dict:
    fields, visible, _ = CASES[name]
    title = marker(name, "title") if not visible else f"Dataset {name}"
    fields = dict(
        fields, name=name, version="V1", title_translated={"zh-Hans": title, "en": title}, resources=[_resource(name)]
    )
    if not visible:  # all of a classified record is secret, its detail too
        fields.pop("secrecy_period_years", None)  # the term is given as a condition instead
        fields.update(
            notes_translated={"zh-Hans": marker(name, "notes"), "en": marker(name, "notes")},
            keywords_translated={"zh-Hans": [marker(name, "keyword")]},
            sharing_condition=marker(name, "condition"),
            declassify_condition=marker(name, "declassify"),
        )
    return fields


@dataclass
class Catalogue:
    """What the walk is run over, and the strings that must not come out."""

    datasets: dict
    activities: dict
    unit: dict
    other_unit: dict
    group: dict
    insider: dict
    viewers: dict
    tokens: dict
    markers: tuple
    app: object
    certificates: dict

    def dataset(self, name):
        return self.datasets[name]

    def resource_id(self, name):
        return self.datasets[name]["resources"][0]["id"]


def _markers(datasets: dict) -> tuple:
    found = []
    for name in WITHHELD:
        resource = datasets[name]["resources"][0]
        found += [resource["url"], resource["name"], resource["description"], resource["id"]]
    classified = datasets[CLASSIFIED]
    found += [
        classified["id"],
        CLASSIFIED,
        *(marker(CLASSIFIED, w) for w in ("title", "notes", "keyword", "condition", "declassify")),
    ]
    return tuple(found)


#: A classified dataset may be saved; submission certificates can be issued.
_CONFIG = {
    "ckanext.sdm.allow_classified": "true",
    "ckanext.sdm.submission.signing_key": base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    ).decode(),
}


@pytest.fixture(scope="module")
def catalogue(reset_db, reset_index, migrate_db_for):
    """One catalogue for the whole walk (built once: the walk only reads,
    and what outsiders may write does not touch it)."""
    plugins.load_all()
    app = test_helpers._get_test_app()  # one app: making one reloads the plugins
    saved = {key: tk.config.get(key) for key in _CONFIG}
    tk.config.update(_CONFIG)
    reset_db()  # as tests/conftest.py's clean_db, once for the module
    migrate_db_for("activity")
    migrate_db_for("sdm")
    reset_index()
    before, engine = _pooled_engine()
    sysadmin = factories.Sysadmin()
    unit = factories.Organization(
        name="responsible-unit", title_translated={"zh-Hans": "责任单位"}, uscc="91110000600037341L"
    )
    other_unit = factories.Organization(
        name="other-unit", title_translated={"zh-Hans": "另一单位"}, uscc="91110000600037341L"
    )
    group = factories.Group(name="walked-group", user=sysadmin)
    insider, outsider, other_member = factories.User(), factories.User(), factories.User()
    admin = {"user": sysadmin["name"], "ignore_auth": False}
    act = tk.get_action
    act("organization_member_create")(dict(admin), {"id": unit["id"], "username": insider["name"], "role": "editor"})
    act("organization_member_create")(
        dict(admin), {"id": other_unit["id"], "username": other_member["name"], "role": "editor"}
    )
    with _one_index_commit():
        datasets, activities, certificates = _datasets(admin, insider, unit, group)
    viewers = {"anonymous": None, "outsider": outsider["name"], "other unit": other_member["name"]}
    tokens = {who: signed_in({"name": name}) if name else {} for who, name in viewers.items()}
    yield Catalogue(
        datasets, activities, unit, other_unit, group, insider, viewers, tokens, _markers(datasets), app, certificates
    )
    tk.config.update(saved)
    model.init_model(before)
    engine.dispose()
    plugins.unload_non_system_plugins()


def _datasets(admin: dict, insider: dict, unit: dict, group: dict) -> tuple:
    """Each case of CASES as a dataset of the unit: in the group, followed
    by the insider, with a submission certificate."""
    act = tk.get_action
    datasets, activities, certificates = {}, {}, {}
    for name in CASES:
        created = act("package_create")({"user": insider["name"]}, dict(_fields(name), owner_org=unit["id"]))
        act("member_create")(
            dict(admin), {"id": group["id"], "object": created["id"], "object_type": "package", "capacity": "public"}
        )
        act("follow_dataset")({"user": insider["name"]}, {"id": created["id"]})
        datasets[name] = act("package_show")(dict(admin), {"id": created["id"]})
        activities[name] = act("package_activity_list")(dict(admin), {"id": created["id"]})[0]["id"]
        certificates[name] = act("sdm_submission_create")(
            {"user": insider["name"]},
            dict(
                id=created["id"],
                project_number="2024YFA0001",
                programme="国家重点研发计划",
                lead_unit="四川大学",
                submitter="张三",
            ),
        )["number"]
    return datasets, activities, certificates


@contextlib.contextmanager
def _one_index_commit():
    """Building the catalogue indexes each dataset several times; Solr
    commits once at the end instead of after each (the walk itself runs
    with CKAN's commit after every write)."""
    saved = tk.config.get("ckan.search.solr_commit")
    tk.config["ckan.search.solr_commit"] = False
    try:
        yield
    finally:
        tk.config["ckan.search.solr_commit"] = saved
        search.commit()


def _pooled_engine():
    """The model bound to a pooled engine for the walk, and the engine it
    had: CKAN's migrations (reset_db) leave the model on their own engine
    without a pool, so every transaction of the walk's thousands of calls
    would open a new PostgreSQL connection."""
    before = model.meta.engine
    engine = sqlalchemy.engine_from_config(tk.config, prefix="sqlalchemy.")
    model.init_model(engine)
    return before, engine


# -- what a name points at ---------------------------------------------------------
#: Words of an action or route naming what its `id` is; the first one wins.
_NOUNS = {
    "package": "dataset",
    "dataset": "dataset",
    "resource": "resource",
    "view": "view",
    "activity": "activity",
    "changes": "activity",
    "organization": "organization",
    "member": "organization",
    "group": "group",
    "user": "user",
    "tag": "tag",
    "history": "dataset",
}


def noun(words) -> str:
    words = list(words)
    if "followee" in words or "for_user" in "_".join(words):
        return "user"  # lists of what a user follows or belongs to
    if "resource" in words and "view" in words:
        return "view"
    return next((_NOUNS[w] for w in words if w in _NOUNS), "dataset")


def identifier(cat: Catalogue, kind: str, target: str) -> str | None:
    """The id a call about `target` (a dataset of CASES) passes for `kind`."""
    return {
        "dataset": cat.dataset(target)["id"],
        "resource": cat.resource_id(target),
        "view": cat.resource_id(target),
        "activity": cat.activities[target],
        "organization": cat.unit["id"],
        "group": cat.group["id"],
        "user": cat.insider["name"],
        "tag": marker(CLASSIFIED, "keyword"),
    }[kind]


def known_value(cat: Catalogue, key: str, kind: str, target: str):
    """A value for a parameter the walk knows; None for one it does not."""
    if key in ("id", "name_or_id"):
        return identifier(cat, kind, target)
    if re.match(r"include_|all_fields$", key):
        return True
    return {
        "name": target,
        "q": PREFIX,
        "query": f"url:{PREFIX}" if target == CLASSIFIED else f"name:{PREFIX}",
        "url": PREFIX,
        "package_id": cat.dataset(target)["id"],
        "dataset_id": cat.dataset(target)["id"],
        "resource_id": cat.resource_id(target),
        "object": cat.dataset(target)["id"],
        "subject": cat.dataset(target)["id"],
        "object_id": cat.dataset(target)["id"],
        "object_type": "package",
        "user": cat.insider["name"],
        "user_id": cat.insider["id"],
        "username": cat.insider["name"],
        "organization": cat.unit["id"],
        "group": cat.group["id"],
        "limit": 100,
        "rows": 100,
        "fl": "*",
        "number": cat.certificates[target],
        "facet.field": json.dumps(["organization", "groups", "tags", "res_format"]),
    }.get(key)


KNOWN_KEYS = (
    "id",
    "name_or_id",
    "name",
    "q",
    "query",
    "url",
    "number",
    "package_id",
    "dataset_id",
    "resource_id",
    "object",
    "subject",
    "object_id",
    "object_type",
    "user",
    "user_id",
    "username",
    "organization",
    "group",
    "limit",
    "rows",
    "fl",
    "facet.field",
    "include_datasets",
    "include_data",
    "include_private",
    "all_fields",
)


# -- actions -----------------------------------------------------------------------
def registered_actions() -> dict:
    """Every action CKAN would run now: core and every loaded plugin."""
    tk.get_action("package_show")  # fills the registry
    return dict(logic._actions)


@functools.cache
def _documentation(name: str) -> str:
    """The docstrings behind an action: core's and every plugin's, chained
    ones included (the registry's entry only wraps them)."""
    import ckan.logic.action as core

    docs = []
    for module in ("get", "create", "update", "delete", "patch"):
        function = getattr(__import__(f"{core.__name__}.{module}", fromlist=[module]), name, None)
        docs.append(inspect.getdoc(function) or "")
    for plugin in plugins.PluginImplementations(plugins.IActions):
        docs.append(inspect.getdoc(plugin.get_actions().get(name)) or "")
    return "\n".join(docs)


def documented_keys(name: str) -> tuple:
    """The known keys an action documents; every known key if it documents
    none (a plugin action without a docstring is walked all the same)."""
    text = _documentation(name)
    named = set(re.findall(r":param ([\w.]+):", text)) | set(re.findall(r"`([\w.]+)`", text))
    return tuple(k for k in KNOWN_KEYS if k in named) or KNOWN_KEYS


def parameter_sets(cat: Catalogue, name: str) -> list:
    """One data dict about the classified dataset, one about the deferred
    one's withheld file."""
    kind, keys = noun(name.split("_")), documented_keys(name)
    sets = []
    for target in (CLASSIFIED, DEFERRED):
        values = {k: known_value(cat, k, kind, target) for k in keys}
        values = {k: v for k, v in values.items() if v is not None}
        if values not in sets:  # the same call twice tells nothing new
            sets.append(values)
    return sets


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def leaked(cat: Catalogue, answer: str, request: str) -> list:
    """Markers in an answer that the request did not name itself."""
    return [m for m in cat.markers if m in answer and m not in request]


def call(name: str, user: str | None, data_dict: dict) -> str:
    """An action's answer or error, as text."""
    try:
        return _text(tk.get_action(name)({"user": user or "", "ignore_auth": False}, dict(data_dict)))
    except (logic.ValidationError, logic.NotAuthorized, logic.NotFound) as error:
        return _text(getattr(error, "error_dict", None)) + str(error)
    except Exception as error:  # a crash is not a leak; its message could be
        model.Session.rollback()
        return f"{type(error).__name__}: {error}"


def walk_actions(cat: Catalogue, user: str | None, names) -> dict:
    """{action: [(data dict, markers)]} for each call that leaked.  Inside
    a request, as the API runs them (ckanext-dcat's actions need one)."""
    found = {}
    with cat.app.flask_app.test_request_context():
        if user:  # signed in, as the API's request is: CKAN's auth asks current_user
            flask_login.login_user(model.User.get(user))
        for name in names:
            for data_dict in parameter_sets(cat, name):
                markers = leaked(cat, call(name, user, data_dict), _text(data_dict))
                if markers:
                    found.setdefault(name, []).append((data_dict, markers))
    return found


def _ordered(actions: dict) -> list:
    """Readers first, so what an outsider may write cannot change what the
    readers are asked about."""
    return sorted(actions, key=lambda n: (not getattr(actions[n], "side_effect_free", False), n))


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other unit"])
def test_no_action_answers_anything_withheld(catalogue, who):
    actions = registered_actions()
    assert set(ALLOWED) <= set(actions), "allow-listed actions that are no longer registered"
    found = walk_actions(catalogue, catalogue.viewers[who], [n for n in _ordered(actions) if n not in ALLOWED])
    assert found == {}, f"{who} got markers from: " + "; ".join(
        f"{name} {calls[0][0]} -> {calls[0][1]}" for name, calls in found.items()
    )


def test_the_walk_reaches_the_data(catalogue):
    """For a sysadmin the same calls find the markers: the parameters reach
    the data, so an empty finding above means withheld, not missed."""
    actions = registered_actions()
    readers = [n for n in _ordered(actions) if getattr(actions[n], "side_effect_free", False)]
    sysadmin = factories.Sysadmin()["name"]
    found = walk_actions(catalogue, sysadmin, readers)
    assert {
        "package_show",
        "resource_show",
        "package_search",
        "resource_search",
        "package_list",
        "current_package_list_with_resources",
        "activity_show",
        "package_activity_list",
        "dataset_followee_list",
        "member_list",
        "package_autocomplete",
        "group_package_show",
    } <= set(found)


def test_a_new_unchained_reader_fails_the_walk(catalogue):
    """An action registered later that hands out datasets unredacted (as a
    plugin or a new CKAN version might) is found by the walk."""

    def probe_dataset_dump(context, data_dict):
        """:param id: a dataset"""
        return tk.get_action("package_show")({"ignore_auth": True}, {"id": data_dict["id"]})

    registered_actions()
    logic._actions["probe_dataset_dump"] = tk.side_effect_free(probe_dataset_dump)
    try:
        found = walk_actions(catalogue, None, [n for n in _ordered(registered_actions()) if n.startswith("probe")])
    finally:
        logic._actions.pop("probe_dataset_dump", None)
    assert set(found) == {"probe_dataset_dump"}


# -- GET routes ----------------------------------------------------------------------
#: Placeholder values that do not depend on the target.
_ROUTE_VALUES = {
    "_format": "ttl",
    "extension": "bib",
    "logic_function": "package_list",
    "ver": 3,
    "lang": "zh_Hans_CN",
    "prefix": "zh",
    "script": "Hans",
    "region": "CN",
    "snippet_path": "package_item.html",
    "path": "dataset",
    "filename": "file.csv",
}


def _route_noun(rule) -> str:
    words = [w for w in re.split(r"[/_.]", re.sub(r"<[^>]+>", "", rule.rule)) if w]
    return noun(words)


def route_paths(cat: Catalogue, rule) -> list:
    """The paths a GET rule is walked at: one about each target when it
    has placeholders, else its one path."""
    kind = _route_noun(rule)
    paths = []
    for target in (CLASSIFIED, DEFERRED):
        values = {}
        for arg in rule.arguments:
            if arg in ("id", "_id"):
                values[arg] = target if kind == "dataset" else identifier(cat, kind, target)
            elif arg == "resource_id":
                values[arg] = cat.resource_id(target)
            elif arg == "activity_id":
                values[arg] = cat.activities[target]
            elif arg == "number":
                values[arg] = cat.certificates[target]
            elif hasattr(rule._converters.get(arg), "items"):  # <any(a, b):x>: one it accepts
                values[arg] = sorted(rule._converters[arg].items)[0]
            else:
                values[arg] = _ROUTE_VALUES.get(arg, cat.dataset(target)["id"])
        paths.append(rule.build(values, append_unknown=False)[1])
        if not rule.arguments:
            break
    return paths


def get_rules(app) -> list:
    """Every GET rule but static files, one per endpoint and set of
    placeholders (the API is registered with and without its version).
    By endpoint, not view function: a unit's pages share their functions
    with a group's, yet list other datasets."""
    rules = {}
    for rule in sorted(app.flask_app.url_map.iter_rules(), key=lambda r: (len(r.arguments), r.rule)):
        if "GET" in rule.methods and rule.endpoint not in ("static", "webassets.index"):
            rules.setdefault((rule.endpoint, frozenset(rule.arguments) - {"ver"}), rule)
    return list(rules.values())


def walk_pages(cat: Catalogue, headers: dict, rules) -> dict:
    """{path: markers} for each page that leaked."""
    found = {}
    for path in sorted({path for rule in rules for path in route_paths(cat, rule)}):
        markers = leaked(cat, fetch(cat.app, path, headers), path)
        if markers:
            found[path] = markers
    return found


def fetch(app, path: str, headers: dict) -> str:
    try:
        response = app.get(path, headers=headers, query_string={"q": PREFIX}, follow_redirects=False)
    except Exception as error:  # a crash is not a leak; its message could be
        model.Session.rollback()
        return f"{type(error).__name__}: {error}"
    return response.headers.get("Location", "") + response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other unit"])
def test_no_page_shows_anything_withheld(catalogue, who):
    found = walk_pages(catalogue, catalogue.tokens[who], get_rules(catalogue.app))
    assert found == {}, f"{who} got markers from pages: {found}"


def test_the_page_walk_reaches_the_data(catalogue):
    """A sysadmin finds the markers through the same paths: the dataset,
    resource and activity pages of the walk are the right ones."""
    token = signed_in(factories.Sysadmin())
    rules = [
        r
        for r in get_rules(catalogue.app)
        if r.endpoint in ("dataset.read", "resource.read", "dataset_resource.read", "activity.package_activity")
    ]
    found = walk_pages(catalogue, token, rules)
    assert {
        f"/dataset/{CLASSIFIED}",
        f"/dataset/{DEFERRED}",
        f"/dataset/{DEFERRED}/resource/{catalogue.resource_id(DEFERRED)}",
    } <= set(found)


def test_an_unredacted_page_fails_the_walk(catalogue):
    """A page whose view hands out the dataset unredacted (as a plugin
    replacing a view might) is found by the page walk: the dataset page's
    view swapped for one that reads past the policy."""

    def probe_dataset_page(id, **_):
        return _text(tk.get_action("package_show")({"ignore_auth": True}, {"id": id}))

    views = catalogue.app.flask_app.view_functions
    original = views["dataset.read"]
    views["dataset.read"] = probe_dataset_page
    try:
        found = walk_pages(catalogue, {}, [r for r in get_rules(catalogue.app) if r.endpoint == "dataset.read"])
    finally:
        views["dataset.read"] = original
    assert {f"/dataset/{CLASSIFIED}", f"/dataset/{DEFERRED}"} <= set(found)
