"""CKAN's doors, each asking sdm_schema.disclosure for the public audience.

Sysadmins and members of the owning organisation see everything; everyone
else sees what the policy allows the public: classified datasets not at all,
withheld files and download URLs of deferred, conditional and not-open
datasets not at all, classification detail never.

Deny by default, in three layers:
  auth        package_show and resource_show refuse what the policy hides;
              package_search and resource_search admit outsiders only
              inside a redacting action, so a direct call of core's
              function (past the chained actions) is refused;
  index       the search index holds no file field (res_url, res_name, …)
              of a dataset whose files the public may not see, nor any
              classification detail, so no query can count or facet them;
  output      every action that hands out dataset, resource or activity
              dicts, ids or names is chained (ACTIONS below) and its answer
              passes through `scrub`, which redacts by the policy fields
              *in the database* — never by the answer itself, whose fields
              a caller can choose (`fl`) or forge (Solr aliases).
tests/plugin/test_leak_walk.py calls every registered action and every GET
route as outsiders and fails on any answer naming what they may not see.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterator, Mapping, Sequence

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy
import sqlalchemy.orm
from ckan.lib.plugins import DefaultPermissionLabels

from ckanext.sdm import access_requests, catalog
from ckanext.sdm.helpers import sdm_message
from sdm_schema import disclosure, fields_with

#: Package fields the policy reads, as stored in extras (`policy` in
#: sdm_dataset.yaml).
_POLICY_FIELDS = tuple(f.name for f in fields_with("policy"))
#: Dict and index keys that carry resource data or URLs.
_RESOURCE_KEYS = ("res_", "urls", "download_url")
#: Search-index fields holding file data (CKAN's own, and copied into `urls`).
FILE_INDEX_FIELDS = ("res_name", "res_description", "res_url", "res_type", "urls", "download_url")
#: A search-parameter word naming a file field or a classification detail
#: (res_format stays: formats are disclosed, and withheld files' formats
#: are not indexed either).
_REFUSED_FIELD = re.compile(
    r"(?<![\w.])(?:extras_)?(res_(?!format\b)\w*|urls|download_url|"
    + "|".join(disclosure.CLASSIFICATION_DETAIL)
    + r")\b"
)
#: What an `fl` entry may be: a stored field's name or a glob, never a
#: Solr alias (`a:b`), transformer (`[value …]`) or function.
_PLAIN_FIELD = re.compile(r"^[A-Za-z0-9_*]+$")
#: package_search parameters that reach Solr and can name a field.
#: (`fl` may name file fields: the answer is redacted by the stored policy.)
_FIELD_PARAMS = ("q", "fq", "fq_list", "sort", "qf", "df", "bf", "boost", "facet.field")


def current_user_name() -> str | None:
    """The signed-in user's name, or None (anonymous, or outside a request)."""
    try:
        return tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # outside a request
        return None


def _user_name(context: dict | None = None) -> str | None:
    if context and context.get("user"):
        return context["user"]
    return current_user_name()


def privileged(owner_org: str | None, context: dict | None = None) -> bool:
    """Sysadmin or a member of the dataset's organisation."""
    return Viewer.of(context or {}).privileged(owner_org)


@dataclass(frozen=True)
class Viewer:
    """Who an answer is for, taken from the context before the action runs
    (some core actions set ignore_auth on the context they are given).

    A viewer lives for one action call or page, and remembers what it has
    asked CKAN (sysadmin, member of a unit, grant of a dataset): a search
    or activity list judges each dataset, and without the memo every one
    cost half a dozen queries for the same few units."""

    user: str | None
    trusted: bool = False  # an internal call with ignore_auth
    _asked: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, context: dict) -> Viewer:
        return cls(_user_name(context), bool(context.get("ignore_auth")))

    def _remember(self, question: Hashable, answer: Callable[[], bool]) -> bool:
        if question not in self._asked:
            self._asked[question] = answer()
        return self._asked[question]

    def sysadmin(self) -> bool:
        return bool(self.user) and self._remember("sysadmin", lambda: authz.is_sysadmin(self.user))

    def privileged(self, owner_org: str | None) -> bool:
        if self.trusted or self.sysadmin():
            return True
        return bool(self.user and owner_org) and self._remember(
            ("member", owner_org), lambda: authz.has_user_permission_for_group_or_org(owner_org, self.user, "read")
        )

    def granted(self, package_id: str) -> bool:
        """An active grant of the dataset's files (access_requests)."""
        return bool(self.user) and self._remember(
            ("granted", package_id), lambda: access_requests.granted(package_id, self.user)
        )


def _policy_view(package: model.Package) -> dict:
    return {name: package.extras.get(name) for name in _POLICY_FIELDS}


def _decide(pkg_dict: Mapping) -> disclosure.Decision:
    return disclosure.decide(pkg_dict, disclosure.PUBLIC)


def _package_from(data_dict: dict | None, context: dict) -> model.Package | None:
    data_dict = data_dict or {}
    return context.get("package") or model.Package.get(data_dict.get("id") or data_dict.get("name_or_id"))


def _stored_package(package_id: object) -> model.Package | None:
    """The package with exactly this id (never by name: names are chosen)."""
    return model.Session.get(model.Package, package_id) if isinstance(package_id, str) and package_id else None


@dataclass(frozen=True)
class StoredPolicy:
    """What the policy reads of one stored dataset, as in the database."""

    id: str
    owner_org: str | None
    fields: dict

    @classmethod
    def of(cls, package: model.Package) -> StoredPolicy:
        return cls(package.id, package.owner_org, _policy_view(package))


def stored_policies(package_ids: Sequence[str]) -> dict[str, StoredPolicy]:
    """StoredPolicy of each stored dataset among `package_ids`, in two
    queries whatever their number: a search page judges every result, and
    loading each package and its extras cost two queries and ~35 ORM
    objects a result (most of a cold /catalog.ttl, benchmarks/README.md)."""
    ids = [i for i in dict.fromkeys(package_ids) if isinstance(i, str) and i]
    if not ids:
        return {}
    owners = model.Session.query(model.Package.id, model.Package.owner_org).filter(model.Package.id.in_(ids)).all()
    fields: dict = {package_id: dict.fromkeys(_POLICY_FIELDS) for package_id, _owner in owners}
    extras = model.Session.query(model.PackageExtra.package_id, model.PackageExtra.key, model.PackageExtra.value)
    for package_id, key, value in extras.filter(
        model.PackageExtra.package_id.in_(list(fields)), model.PackageExtra.key.in_(_POLICY_FIELDS)
    ):
        fields[package_id][key] = value
    return {package_id: StoredPolicy(package_id, owner, fields[package_id]) for package_id, owner in owners}


@dataclass(frozen=True)
class Entitlement:
    """What a viewer may see of one stored dataset."""

    visible: bool
    files: bool
    all_fields: bool


def entitlement(
    viewer: Viewer, package: model.Package | StoredPolicy | None, snapshot: dict | None = None
) -> Entitlement:
    """The policy asked with the fields in the database; a snapshot (an
    activity's dataset as it was) can only withhold more, never reveal."""
    if package is None:
        return Entitlement(False, False, False)
    stored = package if isinstance(package, StoredPolicy) else StoredPolicy.of(package)
    if viewer.privileged(stored.owner_org):
        return Entitlement(True, True, True)
    now = _decide(stored.fields)
    then = _decide(snapshot) if snapshot is not None else now
    visible = now.visible and then.visible
    files = visible and ((now.resources and then.resources) or viewer.granted(stored.id))
    return Entitlement(visible, files, False)


# -- auth -------------------------------------------------------------------
@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_show(next_auth: Callable, context: dict, data_dict: dict | None) -> dict:
    result = next_auth(context, data_dict)
    package = _package_from(data_dict, context)
    if result.get("success") and package and not entitlement(Viewer.of(context), package).visible:
        return {"success": False, "msg": tk._("Not authorised to see this dataset")}
    return result


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def resource_show(next_auth: Callable, context: dict, data_dict: dict | None) -> dict:
    result = next_auth(context, data_dict)
    resource = context.get("resource") or model.Resource.get((data_dict or {}).get("id"))
    package = resource.package if resource else None
    if result.get("success") and package and not entitlement(Viewer.of(context), package).files:
        return {"success": False, "msg": tk._("The files of this dataset are not disclosed")}
    return result


@tk.chained_auth_function
def follow_dataset(next_auth: Callable, context: dict, data_dict: dict | None) -> dict:
    """Following a dataset one may not see would list it in followee_list
    and tell that the id exists."""
    result = next_auth(context, data_dict)
    if result.get("success") and not visible_package(Viewer.of(context), (data_dict or {}).get("id")):
        return {"success": False, "msg": tk._("Not authorised to see this dataset")}
    return result


#: The context key a chained reader sets while core runs: its answer is
#: redacted on the way out.
REDACTING = "sdm_redacting"


@contextlib.contextmanager
def redacting(context: dict) -> Iterator[dict]:
    """The context marked for the time of one redacting action."""
    before = context.get(REDACTING)
    context[REDACTING] = True
    try:
        yield context
    finally:
        if before is None:
            context.pop(REDACTING, None)


def _search_auth(name: str) -> Callable:
    """package_search / resource_search admit an outsider only inside a
    redacting action: core calls its own functions directly at times (its
    current_package_list_with_resources calls core package_search), past
    every chained action, and the auth function is the one step such a
    call still takes; refused there, it answers nothing unredacted."""

    @tk.chained_auth_function
    @tk.auth_allow_anonymous_access
    def auth(next_auth: Callable, context: dict, data_dict: dict | None) -> dict:
        result = next_auth(context, data_dict)
        viewer = Viewer.of(context)
        if result.get("success") and not (context.get(REDACTING) or viewer.trusted or viewer.sysadmin()):
            return {"success": False, "msg": tk._("Not authorized")}
        return result

    auth.__name__ = name
    return auth


AUTH_FUNCTIONS = {
    "package_show": package_show,
    "resource_show": resource_show,
    "follow_dataset": follow_dataset,
    **{name: _search_auth(name) for name in ("package_search", "resource_search")},
}


# -- redaction ----------------------------------------------------------------
_GONE = object()


def _hidden_key(key: str, files: bool) -> bool:
    bare = key[len("extras_") :] if key.startswith("extras_") else key
    return (
        bare in disclosure.CLASSIFICATION_DETAIL
        or bare in disclosure.UNIT_ONLY_FIELDS
        or (not files and key.startswith(_RESOURCE_KEYS))
    )


def redact_package(
    viewer: Viewer, pkg_dict: dict, snapshot: bool = False, stored: Mapping[str, StoredPolicy] | None = None
) -> dict | None:
    """A dataset dict (package_show, search result of any `fl`, activity
    snapshot) as the viewer may see it; None when not at all.  `stored`:
    stored_policies() of a page of results, looked up by the dict's id
    (a dataset missing from it is not stored, and not shown)."""
    package_id = pkg_dict.get("id")
    if stored is None:
        package: model.Package | StoredPolicy | None = _stored_package(package_id)
    else:
        package = stored.get(package_id) if isinstance(package_id, str) else None
    right = entitlement(viewer, package, pkg_dict if snapshot else None)
    if right.all_fields:
        return pkg_dict
    if not right.visible:
        return None
    out = {k: v for k, v in pkg_dict.items() if not _hidden_key(k, right.files)}
    if isinstance(out.get("extras"), list):
        out["extras"] = [e for e in out["extras"] if not _hidden_key(str(e.get("key")), right.files)]
    if not right.files:
        if "resources" in out:
            out["resources"] = []
        if "num_resources" in out:
            out["num_resources"] = 0
    for key in ("data_dict", "validated_data_dict"):  # stored JSON copies of the dataset
        if isinstance(out.get(key), str):
            copy = redact_package(viewer, json.loads(out[key]), snapshot, stored)
            out[key] = json.dumps(copy or {})
    return out


def redact_shown(context: dict, pkg_dict: dict) -> None:
    """package_show output, in place: withheld files go, URLs with them."""
    visible = redact_package(Viewer.of(context), pkg_dict)
    if visible is pkg_dict:
        return
    pkg_dict.clear()
    pkg_dict.update(visible or {})


def _kind(value: dict) -> str | None:
    if "activity_type" in value and "object_id" in value:
        return "activity"
    if "package_id" in value and ("url" in value or "resource_id" in value):
        return "resource"  # a resource, or one of its views
    if "id" in value and ("resources" in value or "owner_org" in value) and not value.get("is_organization"):
        return "package"
    return None


def _resource_visible(viewer: Viewer, value: dict) -> bool:
    return entitlement(viewer, _stored_package(value.get("package_id"))).files


def _activity_visible(viewer: Viewer, value: dict) -> bool:
    package = _stored_package(value.get("object_id"))
    return package is None or entitlement(viewer, package).visible


def _redacted_package(viewer: Viewer, value: dict, snapshot: bool) -> dict | None:
    if _stored_package(value.get("id")) is not None:
        return redact_package(viewer, value, snapshot)
    # a dataset no longer stored: only its own snapshot is left to judge by
    return disclosure.redact(value, disclosure.PUBLIC) if snapshot else value


def _scrub(viewer: Viewer, value: Any, snapshot: bool = False):
    if isinstance(value, (list, tuple)):
        kept = [v for v in (_scrub(viewer, item, snapshot) for item in value) if v is not _GONE]
        return type(value)(kept) if isinstance(value, tuple) else kept
    if not isinstance(value, dict):
        return value
    kind = _kind(value)
    if kind == "activity":
        if not _activity_visible(viewer, value):
            return _GONE
        snapshot = True
    elif kind == "resource" and not _resource_visible(viewer, value):
        return _GONE
    elif kind == "package":
        value = _redacted_package(viewer, value, snapshot)
        if value is None:
            return _GONE
    out = {}
    for key, item in value.items():
        item = _scrub(viewer, item, snapshot)
        if item is _GONE:
            return _GONE  # a dict holding something withheld goes whole
        out[key] = item
    return out


def scrub(viewer: Viewer, value: Any) -> Any:
    """Any action's answer with every dataset, resource and activity in it
    redacted for the viewer; what may not be seen at all is left out."""
    if viewer.trusted or viewer.sysadmin():
        return value
    scrubbed = _scrub(viewer, value)
    return {} if scrubbed is _GONE else scrubbed


def visible_package(viewer: Viewer, ref: object) -> bool:
    """Whether the viewer may know a dataset, named by id or name, exists."""
    package = model.Package.get(ref) if isinstance(ref, str) else None
    return package is None or entitlement(viewer, package).visible


# -- package_search -----------------------------------------------------------
def _words(value: object) -> list:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("["):
        try:
            return [str(v) for v in json.loads(value)]
        except ValueError:
            pass
    return [str(value)] if value is not None else []


def _fl_entries(value: object) -> list:
    return [entry for text in _words(value) for entry in re.split(r"[\s,]+", text) if entry]


def search_parameters(viewer: Viewer, data_dict: dict) -> dict:
    """package_search's parameters as a non-sysadmin may send them: no file
    field or classification detail in q/fq/sort/…, facets from the
    allow-list only, `fl` plain field names with the id always included
    (the policy is looked up by it, and an alias could forge it).
    Refusals are ValidationErrors."""
    if viewer.trusted or viewer.sysadmin():
        return data_dict
    errors = {}
    for param in _FIELD_PARAMS:
        found = {m.group(0) for text in _words(data_dict.get(param)) for m in _REFUSED_FIELD.finditer(text)}
        if found:
            errors[param] = [sdm_message("search_field_refused", fields=", ".join(sorted(found)))]
    facets = _words(data_dict.get("facet.field"))
    refused = [name for name in facets if name not in facet_allow_list()]
    if refused:
        errors["facet.field"] = [sdm_message("search_facet_refused", fields=", ".join(refused))]
    if "fl" in data_dict and data_dict["fl"]:
        fields = _fl_entries(data_dict["fl"])
        bad = [f for f in fields if not _PLAIN_FIELD.match(f)]
        if bad:
            errors["fl"] = [sdm_message("search_fl_refused", fields=", ".join(bad))]
        elif "id" not in fields and "*" not in fields:
            data_dict = dict(data_dict, fl=fields + ["id"], sdm_drop_id=True)
        else:
            data_dict = dict(data_dict, fl=fields)
    if errors:
        raise tk.ValidationError(errors)
    return data_dict


def facet_allow_list() -> frozenset:
    """Facets anyone may ask for: CKAN's own, the SDM facets and the code
    fields of the schema; never a file field or a classification detail."""
    from ckanext.sdm import search
    from sdm_schema import dataset_fields

    codes = {f.name for f in dataset_fields() if f.kind in ("code", "codes")}
    configured = tk.config.get("search.facets") or []
    configured = configured.split() if isinstance(configured, str) else list(configured)
    allowed = {"organization", "groups", "tags", "res_format", "license_id", *configured, *search.FACETS, *codes}
    return frozenset(name for name in allowed if not _REFUSED_FIELD.match(name))


# package_search is chained rather than hooked through after_dataset_search,
# because only the action knows who is asking.
@tk.chained_action
@tk.side_effect_free
def package_search(next_action: Callable, context: dict, data_dict: dict | None) -> dict:
    viewer = Viewer.of(context)
    data_dict = search_parameters(viewer, dict(data_dict or {}))
    drop_id = data_dict.pop("sdm_drop_id", False)
    # a DCAT catalogue search lists only what its profile's audience may see
    with redacting(context):
        found = next_action(context, catalog.catalogue_search(context, data_dict))
    results = []
    found_results = found.get("results") or []
    stored = None if viewer.trusted else stored_policies([r.get("id") for r in found_results])
    for result in found_results:
        shown = result if stored is None else redact_package(viewer, result, stored=stored)
        if shown is not None:
            results.append({k: v for k, v in shown.items() if k != "id"} if drop_id else shown)
    found["results"] = results
    return found


# -- other readers --------------------------------------------------------------
def _scrubbing(name: str) -> Callable:
    """A chained reader whose whole answer goes through scrub()."""

    @tk.chained_action
    def action(next_action: Callable, context: dict, data_dict: dict | None) -> Any:
        viewer = Viewer.of(context)
        with redacting(context):
            return scrub(viewer, next_action(context, data_dict))

    action.__name__ = name
    return tk.side_effect_free(action)


#: Readers whose answers hold dataset, resource or activity dicts.
_SCRUBBED = (
    "current_package_list_with_resources",
    "dataset_followee_list",
    "followee_list",
    "activity_show",
    "activity_data_show",
    "activity_diff",
    "package_activity_list",
    "organization_activity_list",
    "group_activity_list",
    "user_activity_list",
    "dashboard_activity_list",
    "recently_changed_packages_activity_list",
    "package_relationships_list",
    "resource_view_list",
    "resource_view_show",
    "group_package_show",
    "package_collaborator_list_for_user",
)


@tk.chained_action
@tk.side_effect_free
def resource_search(next_action: Callable, context: dict, data_dict: dict | None) -> dict:
    """Every match is judged, then counted and paged, so neither the list
    nor the count tells of a withheld file."""
    viewer = Viewer.of(context)
    data_dict = dict(data_dict or {})
    offset, limit = data_dict.pop("offset", None), data_dict.pop("limit", None)
    with redacting(context):
        found = next_action(context, data_dict)
    results = scrub(viewer, _disclosed_objects(viewer, found.get("results") or []))
    start = int(offset or 0)
    page = results[start : start + int(limit)] if limit not in (None, "") else results[start:]
    return dict(found, count=len(results), results=page)


def _disclosed_objects(viewer: Viewer, results: list) -> list:
    """resource_search with `search_query` in the context answers Resource
    objects, not dicts: those of withheld files go too."""
    return [r for r in results if not isinstance(r, model.Resource) or entitlement(viewer, r.package).files]


def _filtered_names(name: str, keep: Callable[[Viewer, Any], bool]) -> Callable:
    @tk.chained_action
    def action(next_action: Callable, context: dict, data_dict: dict | None) -> Any:
        viewer = Viewer.of(context)
        answer = next_action(context, data_dict)
        return [item for item in answer if keep(viewer, item)]

    action.__name__ = name
    return tk.side_effect_free(action)


def _member_visible(viewer: Viewer, member: Sequence) -> bool:
    member_id, member_type = member[0], member[1]
    return member_type != "package" or visible_package(viewer, member_id)


def _autocomplete_visible(viewer: Viewer, item: dict) -> bool:
    return visible_package(viewer, item.get("name"))


def _as_if_missing(name: str) -> Callable:
    """An action about one dataset that core answers for any stored id
    (dataset_follower_count, am_following_dataset: a count, a yes or no)
    refuses a dataset the viewer may not know of with the very error it
    gives for one that does not exist, so the answer cannot tell that a
    guessed name is taken."""

    @tk.chained_action
    def action(next_action: Callable, context: dict, data_dict: dict | None) -> Any:
        if not visible_package(Viewer.of(context), (data_dict or {}).get("id")):
            raise tk.ValidationError({"id": [f"{tk._('Not found')}: {tk._('Dataset')}"]})
        return next_action(context, data_dict)

    action.__name__ = name
    return tk.side_effect_free(action)


def _created_count(context: dict, user_id: str) -> int:
    """The datasets a user created that the viewer may find: counted by
    the (chained) search, whose permission labels leave hidden ones out."""
    query = {"fq": f'+creator_user_id:"{user_id}"', "rows": 0}
    return tk.get_action("package_search")({"user": context.get("user")}, query)["count"]


def _counted_by_search(context: dict, user: dict) -> dict:
    if "number_created_packages" in user and user.get("id"):
        user = dict(user, number_created_packages=_created_count(context, user["id"]))
    return user


def _recounting(name: str) -> Callable:
    """user_show / user_list: core counts a user's datasets in the database
    (number_created_packages), classified ones included; for anyone but a
    sysadmin or the user themself the count is the search's instead, so
    it tells of no dataset the viewer cannot find."""

    @tk.chained_action
    def action(next_action: Callable, context: dict, data_dict: dict | None) -> Any:
        viewer = Viewer.of(context)
        answer = next_action(context, data_dict)
        if viewer.trusted or viewer.sysadmin():
            return answer
        if isinstance(answer, dict):
            own = answer.get("name") == viewer.user or answer.get("id") == viewer.user
            return answer if own else _counted_by_search(context, answer)
        return [
            _counted_by_search(context, u) if isinstance(u, dict) and u.get("name") != viewer.user else u
            for u in answer
        ]

    action.__name__ = name
    return tk.side_effect_free(action)


def _saving_declassified(name: str) -> Callable:
    """package_create / package_update (and so package_patch and the form):
    a dataset saved as unclassified loses its classification detail."""

    @tk.chained_action
    def action(next_action: Callable, context: dict, data_dict: dict | None) -> Any:
        return next_action(context, disclosure.declassified(data_dict or {}))

    action.__name__ = name
    return action


ACTIONS = {
    "package_search": package_search,
    "package_create": _saving_declassified("package_create"),
    "package_update": _saving_declassified("package_update"),
    "resource_search": resource_search,
    "package_list": _filtered_names("package_list", visible_package),
    "member_list": _filtered_names("member_list", _member_visible),
    "package_autocomplete": _filtered_names("package_autocomplete", _autocomplete_visible),
    **{name: _scrubbing(name) for name in _SCRUBBED},
    **{name: _recounting(name) for name in ("user_show", "user_list")},
    **{name: _as_if_missing(name) for name in ("dataset_follower_count", "am_following_dataset")},
}


# -- the search index -------------------------------------------------------------
def index_fields(pkg_dict: dict) -> dict:
    """before_dataset_index: no classification detail in the index, and no
    file field of a dataset whose files the public may not see, so no
    query, facet or sort can reach them (members lose searching by those
    file names too; the stored dataset dict keeps them for display)."""
    for key in list(pkg_dict):
        if _hidden_key(key, files=True):
            del pkg_dict[key]
    if not _decide(pkg_dict).resources:
        for key in list(pkg_dict):
            if key.startswith(_RESOURCE_KEYS) or key in FILE_INDEX_FIELDS:
                del pkg_dict[key]
    return pkg_dict


#: Where a request keeps the users' labels it has asked for (flask.g).
_LABELS = "sdm_user_labels"


def _remembered_labels() -> dict | None:
    """The request's memo of user labels; None outside a request."""
    try:
        return tk.g.setdefault(_LABELS, {})
    except (AttributeError, RuntimeError, TypeError):  # no app context
        return None


@sqlalchemy.event.listens_for(sqlalchemy.orm.Session, "after_flush")
@sqlalchemy.event.listens_for(sqlalchemy.orm.Session, "after_soft_rollback")
def _forget_labels(*_args: object) -> None:
    """Any write may change a membership: the labels are asked again."""
    with contextlib.suppress(AttributeError, RuntimeError, TypeError):
        tk.g.pop(_LABELS, None)


class PermissionLabels(DefaultPermissionLabels):
    """Datasets the public may not see carry only their organisation's label,
    so search results and facet counts leave them out for everyone else.

    A signed-in page asks for the user's labels several times (each search,
    the dashboard count in the header), each time half a dozen queries; a
    request remembers them until its session writes anything."""

    def get_user_dataset_labels(self, user_obj: model.User | None) -> list[str]:
        memo, key = _remembered_labels(), getattr(user_obj, "id", None)
        if memo is None or not key:
            return super().get_user_dataset_labels(user_obj)
        if key not in memo:
            memo[key] = super().get_user_dataset_labels(user_obj)
        return list(memo[key])

    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        labels = super().get_dataset_labels(dataset_obj)
        if "public" in labels and not _decide(_policy_view(dataset_obj)).visible:
            labels = (
                [f"member-{dataset_obj.owner_org}"]
                if dataset_obj.owner_org
                else [f"creator-{dataset_obj.creator_user_id}"]
            )
        return labels
