"""Conditional GET for ckanext-dcat's RDF pages, /catalog.<format> and
/dataset/<id>.<format>: a weak ETag and Last-Modified on every answer, 304
when the client's copy is current, and the serialised page kept in Redis
under its ETag, so an unchanged page is neither searched, mapped nor
serialised again.

The validators are computed before ckanext-dcat's view runs, from what
decides the page, as cheaply as that allows:
  catalogue, for the public
             the request (path, query, format, profiles), the release and
             the settings pages are written with, the day, and the
             catalogue's version (catalogue_version.py: a Redis counter the
             plugin bumps after every commit that writes what a page shows
             or who may see it).  One Redis read, no search, no database.
             The day sees embargoes that end without a save (disclosure
             rule 4).  Last-Modified is when the version last moved.
  catalogue, for a signed-in reader
             the same, and the (id, metadata_modified) of the page's
             datasets and what the reader may see now of each
             (access.entitlement): a grant expires, and the blacklist is
             judged by address, without any write.  One Solr query of ids
             and dates, two database queries.
  dataset    the request, who asks, the dataset's last change
             (metadata_modified, or the day its embargo ended by itself) and
             the reader's entitlement.

Where they are answered:
  answer_early   a url_value_preprocessor of the dcat blueprint, which Flask
             runs before every before_request function — CKAN's own
             (ckan_before_request: a system_info query, identifying the
             reader, CSRF, controller names for templates) included.  A
             catalogue request that carries no credential at all (no cookie,
             no API token, no REMOTE_USER, no IAuthenticator plugin on the
             site) is the public's for certain, so its 304 or cached page is
             answered there, aborting with the response; the after_request
             hooks (CORS, Cache-Control) still run.
  answer_unchanged   the blueprint's before_request, after CKAN has
             identified the reader: everyone else, and dataset pages.
A miss runs the view, whose search runs once; remember_page stores the page
under the validators computed before it.  The hooks are attached to
ckanext-dcat's blueprint only (`_attach`): no other page of the site runs
them.

If-Modified-Since is answered on dataset pages only.  CKAN keeps a deleted
dataset's metadata_modified, so a catalogue page can change with no newer
date on it; its ETag sees that, a date cannot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckanext.dcat import logic as dcat_logic
from flask import Blueprint, Response, abort, current_app, g, request
from redis.exceptions import RedisError

from ckanext.sdm import access, catalog, catalogue_version
from ckanext.sdm.access import current_user_name
from sdm_schema import disclosure

if TYPE_CHECKING:
    from flask.blueprints import BlueprintSetupState

log = logging.getLogger(__name__)

_DCAT_BLUEPRINT = "dcat"
_CATALOG, _DATASET = f"{_DCAT_BLUEPRINT}.read_catalog", f"{_DCAT_BLUEPRINT}.read_dataset"
#: Cached pages live this long; a new ETag makes a new key anyway.
_CACHE_SECONDS = 24 * 3600
#: A new release may map differently: its pages get other ETags.
_VERSION = importlib.metadata.version("ckanext-sdm")

blueprint = Blueprint("sdm_conditional_get", __name__)


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: dt.datetime | None
    #: Whether Last-Modified sees every change (If-Modified-Since honoured).
    dated: bool


def _user() -> str:
    return current_user_name() or ""


_SETTINGS = ("ckanext.dcat.", "ckanext.sdm.", "ckan.auth.", "ckan.site_url", "ckan.site_title", "ckan.root_path")


def _settings() -> str:
    """The configuration a page is written with, so a restart with other
    settings serves none of the pages cached before it; once per app (a
    setting changed at run time, on the admin page, is a database write,
    which the catalogue version sees)."""
    found = current_app.extensions.get("sdm_feed_settings")
    if found is None:
        settings = sorted((key, str(value)) for key, value in tk.config.items() if key.startswith(_SETTINGS))
        found = current_app.extensions["sdm_feed_settings"] = hashlib.sha256(json.dumps(settings).encode()).hexdigest()
    return found


def _today() -> dt.date:
    """The day, which ends embargoes by itself (disclosure rule 4)."""
    return dt.date.today()


def _etag(user: str, *parts: object) -> str:
    text = json.dumps([_VERSION, request.full_path, user, *parts], default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _entitlements(package_ids: Iterable[str]) -> list:
    """What the viewer may see of each dataset now (files, every field): a
    grant that expires or is revoked, a membership that ends, change the
    ETag and so the cache key, and the cached page is never served again."""
    viewer = access.Viewer(_user() or None)
    package_ids = list(package_ids)
    stored = access.stored_policies(package_ids)
    rights = []
    for package_id in package_ids:
        right = access.entitlement(viewer, stored.get(package_id))
        rights.append((right.visible, right.files, right.all_fields))
    return rights


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.rstrip("Z"))


def _catalogue_ids() -> dict | None:
    """The view's own catalogue search, asking Solr for ids and dates only;
    None for parameters the view refuses (409)."""
    profiles = request.args.get("profiles")
    context = catalog.mark({catalog.FIELDS_KEY: "id,metadata_modified"}, profiles.split(",") if profiles else None)
    data_dict = {key: request.args.get(key) for key in ("page", "modified_since", "q", "fq")}
    try:
        return dcat_logic._search_ckan_datasets(context, data_dict)
    except tk.ValidationError:
        return None


def _version() -> catalogue_version.Version | None:
    try:
        return catalogue_version.current()
    except RedisError:
        log.warning("catalogue version unavailable: no validators", exc_info=True)
        return None


def public_catalog_validators() -> Validators | None:
    """The public's: one Redis read, no search (catalogue_version.py)."""
    version = _version()
    if version is None:
        return None
    return Validators(_etag("", _today(), version.counter, _settings()), version.changed, dated=False)


def catalog_validators() -> Validators | None:
    user = _user()
    if not user:
        return public_catalog_validators()
    version = _version()
    found = _catalogue_ids() if version is not None else None
    if version is None or found is None:
        return None
    page = [(r["id"], r["metadata_modified"]) for r in found["results"]]
    last = max((_parse(m) for _id, m in page), default=None)
    rights = _entitlements(package_id for package_id, _modified in page)
    parts = (_today(), version.counter, _settings(), found["count"], page, rights)
    return Validators(_etag(user, *parts), max(filter(None, (last, version.changed))), dated=False)


def _last_change(package: model.Package) -> dt.datetime:
    """metadata_modified, or the start of the day a running embargo ended."""
    changed = package.metadata_modified
    extras = {key: package.extras.get(key) for key in ("disclosure", "embargo_until")}
    end = disclosure.embargo_end(extras)
    if end is not None and not disclosure.embargo_active(extras):
        changed = max(changed, dt.datetime.combine(end, dt.time()))
    return changed


def dataset_validators(id_: str) -> Validators | None:
    try:
        tk.check_access("package_show", {"user": _user()}, {"id": id_})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None  # the view refuses; nothing may be said about it
    package = model.Package.get(id_)
    if package is None:
        return None
    changed = _last_change(package)
    return Validators(_etag(_user(), changed, _entitlements([package.id])), changed, dated=True)


def _validators() -> Validators | None:
    view_args = request.view_args or {}
    if request.method != "GET" or not view_args.get("_format"):
        return None  # content negotiation by Accept: left to ckanext-dcat
    if request.endpoint == _CATALOG:
        return catalog_validators()
    if request.endpoint == _DATASET:
        return dataset_validators(view_args["_id"])
    return None


def _not_modified(validators: Validators) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(validators.etag)
    since = request.if_modified_since
    return bool(
        validators.dated
        and since
        and validators.last_modified
        and validators.last_modified.replace(microsecond=0, tzinfo=dt.UTC) <= since
    )


def _cache_key(etag: str) -> str:
    return f"{tk.config.get('ckan.site_id')}:sdm:rdf:{etag}"


def _cached(etag: str) -> Response | None:
    try:
        hit = connect_to_redis().hgetall(_cache_key(etag))
    except RedisError:
        log.warning("RDF page cache unavailable", exc_info=True)
        return None
    if not hit:
        return None
    return Response(hit[b"body"], content_type=hit[b"type"].decode())


def _store(etag: str, response: Response) -> None:
    key = _cache_key(etag)
    try:
        with connect_to_redis().pipeline() as pipe:
            pipe.hset(key, mapping={"body": response.get_data(), "type": response.content_type})
            pipe.expire(key, _CACHE_SECONDS)
            pipe.execute()
    except RedisError:
        log.warning("RDF page cache unavailable", exc_info=True)


def _with_validators(response: Response, validators: Validators) -> Response:
    response.set_etag(validators.etag, weak=True)
    if validators.last_modified:
        response.last_modified = validators.last_modified.replace(tzinfo=dt.UTC)
    return response


def _answer(validators: Validators) -> Response | None:
    """304 for a current copy; the cached page for a known ETag."""
    g.sdm_rdf_validators = validators
    if _not_modified(validators):
        return _with_validators(Response(status=304), validators)
    cached = _cached(validators.etag)
    if cached is not None:
        g.sdm_rdf_cached = True
        return _with_validators(cached, validators)
    return None


def answer_unchanged() -> Response | None:
    """The blueprint's before_request: after CKAN has identified the
    reader, for whoever asks (the early answer below left it to us)."""
    if g.get("sdm_rdf_missed"):
        return None  # answer_early asked already: the view must write the page
    validators = _validators()
    return None if validators is None else _answer(validators)


def _without_credentials() -> bool:
    """Whether the request is the public's for certain, before CKAN has
    identified anyone: no cookie (no session, no remember-me), no API token,
    no REMOTE_USER, and no IAuthenticator plugin that could name a reader
    some other way."""
    headers = request.headers
    token_header = tk.config.get("apitoken_header_name") or "Authorization"
    return not (
        request.cookies
        or headers.get("Authorization")
        or headers.get(token_header)
        or headers.get("X-CKAN-API-Key")
        or request.environ.get("REMOTE_USER")
        or any(True for _plugin in p.PluginImplementations(p.IAuthenticator))
    )


def answer_early(endpoint: str | None, view_args: dict | None) -> None:
    """The public's cache hit or 304 for a catalogue page, before any of
    CKAN's own per-request work (the app's before_request: a system_info
    query for the settings, identifying the reader, CSRF, the controller
    names for templates), which an anonymous copy of a page needs none of.

    A url_value_preprocessor of the dcat blueprint, so no other route runs
    it: Flask calls those before every before_request function.  It cannot
    return a response, so it aborts with one (werkzeug's abort(Response)),
    which Flask hands back as the answer, through the after_request hooks
    (CORS, Cache-Control) like any other."""
    if endpoint != _CATALOG or request.method != "GET" or not (view_args or {}).get("_format"):
        return
    if not _without_credentials():
        return
    validators = public_catalog_validators()
    if validators is None:
        return
    answer = _answer(validators)
    if answer is None:
        g.sdm_rdf_missed = True
        return
    # ckan_after_request logs the time since ckan_before_request set this
    setattr(g, "__timer", time.time())
    abort(answer)


def remember_page(response: Response) -> Response:
    validators = g.get("sdm_rdf_validators")
    if validators is None or response.status_code != 200:
        return response
    if not g.get("sdm_rdf_cached"):
        _store(validators.etag, response)
    return _with_validators(response, validators)


@blueprint.record_once
def _attach(state: BlueprintSetupState) -> None:
    """Run the hooks for ckanext-dcat's blueprint alone (its RDF routes),
    not as app-wide hooks every request of the site would pass through."""
    state.app.url_value_preprocessors.setdefault(_DCAT_BLUEPRINT, []).append(answer_early)
    state.app.before_request_funcs.setdefault(_DCAT_BLUEPRINT, []).append(answer_unchanged)
    state.app.after_request_funcs.setdefault(_DCAT_BLUEPRINT, []).append(remember_page)
