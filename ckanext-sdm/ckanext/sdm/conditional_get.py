"""Conditional GET for ckanext-dcat's RDF pages, /catalog.<format> and
/dataset/<id>.<format>: a weak ETag and Last-Modified on every answer, 304
when the client's copy is current, and the serialised page kept in Redis
under its ETag, so an unchanged page is neither mapped nor serialised again.

The validators are computed before ckanext-dcat's view runs, from what
decides the page, as cheaply as that allows (a cache hit and a 304 cost one
Solr query of one row and one Redis read, benchmarks/README.md):
  catalogue  the request (path, query, format, profiles), who asks, the
             day, and for the public the count and the newest
             metadata_modified of the whole query (the same search the view
             runs: ckanext-dcat's _search_ckan_datasets with catalog.py's
             audience filters, asking Solr for one row of two fields).  Any
             save, new dataset or deletion changes one of the two, and the
             day sees embargoes that end without a save (disclosure rule 4);
             the public's entitlement to a dataset is the policy's answer on
             its stored fields, which these cover.  For a signed-in reader
             it is the (id, metadata_modified) of the page's datasets and
             what they may see now of each (access.entitlement), because a
             grant expires and a membership ends without any dataset
             changing;
  dataset    the request, who asks, the dataset's last change
             (metadata_modified, or the day its embargo ended by itself) and
             the reader's entitlement.
A change to a dataset's responsible unit alone (its name, its USCC) does not
change the validators until the dataset is saved or the day turns.

The hooks are attached to ckanext-dcat's blueprint only (`_attach`): no other
page of the site runs them.

If-Modified-Since is answered on dataset pages only.  CKAN keeps a deleted
dataset's metadata_modified, so a catalogue page can change with no newer
date on it; its ETag (the count) sees that, a date cannot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckanext.dcat import logic as dcat_logic
from flask import Blueprint, Response, g, request
from redis.exceptions import RedisError

from ckanext.sdm import access, catalog
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


def _etag(*parts: object) -> str:
    text = json.dumps([_VERSION, request.full_path, _user(), *parts], default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _entitlements(package_ids: Iterable[str]) -> list:
    """What the viewer may see of each dataset now (files, every field): a
    grant that expires or is revoked, a membership that ends, change the
    ETag and so the cache key, and the cached page is never served again."""
    viewer = access.Viewer(_user() or None)
    rights = []
    for package_id in package_ids:
        right = access.entitlement(viewer, model.Session.get(model.Package, package_id))
        rights.append((right.visible, right.files, right.all_fields))
    return rights


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.rstrip("Z"))


def _catalogue_search(fields: str, probe: bool):
    """The view's own catalogue search, asking Solr for `fields` only (and for
    one row when `probe`); None for parameters the view refuses (409)."""
    profiles = request.args.get("profiles")
    context = catalog.mark(
        {catalog.FIELDS_KEY: fields, catalog.PROBE_KEY: probe}, profiles.split(",") if profiles else None
    )
    data_dict = {key: request.args.get(key) for key in ("page", "modified_since", "q", "fq")}
    try:
        return dcat_logic._search_ckan_datasets(context, data_dict)
    except tk.ValidationError:
        return None


def catalog_validators() -> Validators | None:
    if not _user():
        # the id too: access.package_search redacts each result by its id
        found = _catalogue_search("id,metadata_modified", probe=True)
        if found is None:
            return None
        newest = [r["metadata_modified"] for r in found["results"]]
        last = _parse(newest[0]) if newest else None
        return Validators(_etag(dt.date.today(), found["count"], newest), last, dated=False)
    found = _catalogue_search("id,metadata_modified", probe=False)
    if found is None:
        return None
    page = [(r["id"], r["metadata_modified"]) for r in found["results"]]
    last = max((_parse(m) for _id, m in page), default=None)
    rights = _entitlements(package_id for package_id, _modified in page)
    return Validators(_etag(dt.date.today(), found["count"], page, rights), last, dated=False)


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
    return Validators(_etag(changed, _entitlements([package.id])), changed, dated=True)


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


def answer_unchanged() -> Response | None:
    """304 for a current copy; the cached page for a known ETag."""
    validators = _validators()
    if validators is None:
        return None
    g.sdm_rdf_validators = validators
    if _not_modified(validators):
        return _with_validators(Response(status=304), validators)
    cached = _cached(validators.etag)
    if cached is not None:
        g.sdm_rdf_cached = True
        return _with_validators(cached, validators)
    return None


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
    state.app.before_request_funcs.setdefault(_DCAT_BLUEPRINT, []).append(answer_unchanged)
    state.app.after_request_funcs.setdefault(_DCAT_BLUEPRINT, []).append(remember_page)
