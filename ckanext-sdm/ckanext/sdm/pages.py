"""What the pages show beyond the schema's fields: bilingual values in the
reader's language with a marked fallback, why files are withheld, the
dataset's links (feeds, API, citation), its schema.org JSON-LD and share
links.  Template helpers only; views.py and admin.py serve the pages.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

import ckan.model as model
import ckan.plugins.toolkit as tk
from markupsafe import Markup

from ckanext.sdm import access_requests, search, site
from ckanext.sdm.access import current_user_name
from ckanext.sdm.helpers import local_time, sdm_message, ui_language
from sdm_schema import codelist, disclosure, lang, message
from sdm_schema.rdf import mapping, schemaorg
from sdm_schema.rdf.writers import JsonLdWriter
from sdm_schema.validation import decode_json

if TYPE_CHECKING:
    from datetime import datetime


# -- bilingual values -------------------------------------------------------------
def _tagged(value: object) -> dict:
    """A stored bilingual value as {normalised tag: value}; plain text is
    tagged by its script."""
    value = decode_json(value)
    if isinstance(value, dict):
        return {lang.normalise_tag(k): v for k, v in value.items() if lang.normalise_tag(k)}
    if isinstance(value, str) and value.strip():
        return {lang.detect(value): value}
    return {}


def unit_title(org: dict | None) -> dict:
    """A responsible unit's name per language.  package_show's `organization`
    lacks scheming's fields, so the group's own extras are read then."""
    if not org:
        return {}
    if org.get("title_translated"):
        return _tagged(org["title_translated"])
    group = model.Group.get(org.get("id") or org.get("name"))
    stored = _tagged(group.extras.get("title_translated")) if group is not None else {}
    return stored or _tagged(org.get("title") or org.get("name"))


def values_of(obj: object, field: str) -> dict:
    """The bilingual value of a dataset's or unit's field (title, notes…)."""
    if not isinstance(obj, dict):
        return _tagged(obj)
    if (
        field == "title"
        and (obj.get("is_organization") or obj.get("type") == "organization")
        and not obj.get("title_translated")
    ):
        return unit_title(obj)
    return _tagged(obj.get(f"{field}_translated")) or _tagged(obj.get(field))


def chosen(values: dict, prefer: str | None = None) -> tuple:
    """(text, tag) in the UI language, else the first language that has it."""
    prefer = prefer or ui_language()
    for tag in (prefer, *lang.STORED_TAGS):
        text = values.get(tag)
        if text not in (None, "", [], {}):
            return text, tag
    return "", prefer


def sdm_text(obj: object, field: str = "title") -> str:
    """Plain text in the UI language (for attributes and page titles)."""
    return chosen(values_of(obj, field))[0] or (obj.get("name", "") if isinstance(obj, dict) else "")


def _autonym(tag: str) -> str:
    return message("language_autonym")[lang.SIMPLIFIED if tag == lang.TRADITIONAL else tag]


def sdm_value(obj: object, field: str = "title") -> dict:
    """{text, tag, fallback, marker, title}: the value in the UI language or,
    marked as a fallback, in the first language that has it."""
    text, tag = chosen(values_of(obj, field))
    fallback = bool(text) and tag != ui_language()
    return {
        "text": text,
        "tag": tag,
        "fallback": fallback,
        "marker": _autonym(tag) if fallback else "",
        "title": sdm_message("fallback_title", language=_autonym(tag)) if fallback else "",
    }


def sdm_display(obj: object, field: str = "title", length: int | None = None) -> Markup:
    """The value in the UI language; in another language it carries that
    language's lang attribute and a marker naming it (中文, English)."""
    value = sdm_value(obj, field)
    text = value["text"] or (obj.get("name", "") if isinstance(obj, dict) else "")
    if length and len(text) > length:
        text = text[: length - 1] + "…"
    if not value["fallback"]:
        return Markup('<span lang="{}">{}</span>').format(value["tag"], text)
    return Markup(
        '<span lang="{}" class="sdm-fallback">{} <small class="sdm-fallback-marker" title="{}">{}</small></span>'
    ).format(value["tag"], text, value["title"], value["marker"])


@tk.chained_helper
def dataset_display_name(next_helper: Callable, package_or_package_dict: Any) -> str:
    if isinstance(package_or_package_dict, dict) and values_of(package_or_package_dict, "title"):
        return sdm_text(package_or_package_dict)
    return next_helper(package_or_package_dict)


@tk.chained_helper
def get_translated(next_helper: Callable, data_dict: Any, field: str) -> Any:
    """CKAN's helper reads `<field>_translated[zh_Hans_CN]`; ours are keyed zh-Hans."""
    if isinstance(data_dict, dict) and values_of(data_dict, field):
        return chosen(values_of(data_dict, field))[0]
    return next_helper(data_dict, field)


def sdm_facet_url(field_name: str, value: str) -> str | None:
    """The search filtered by a code, when its field is a search facet."""
    return tk.h.url_for("dataset.search", **{field_name: value}) if field_name in search.FACETS else None


# -- withheld files -----------------------------------------------------------------
def sdm_withheld(pkg: dict) -> dict | None:
    """Why the reader sees no files and when or how they will: None when the
    files are not withheld from them.  {reason, text, until, apply}."""
    if pkg.get("resources"):
        return None
    decision = disclosure.decide(pkg, disclosure.PUBLIC)
    if decision.resources or not decision.visible:
        return None
    until = pkg.get("embargo_until") if decision.reason == disclosure.DEFERRED else None
    key = f"withheld_{decision.reason}" + ("_until" if until else "")
    return {
        "reason": decision.reason,
        "until": until,
        "text": sdm_message(key, date=until or ""),
        "apply": access_requests.eligible(pkg),
    }


# -- links ------------------------------------------------------------------------------
def _site_url() -> str:
    return tk.config.get("ckan.site_url").rstrip("/")


def sdm_dataset_links(pkg: dict) -> list:
    """Machine-readable forms of the dataset: [{label, url, type}]."""
    base = f"{_site_url()}/dataset/{pkg['name']}"
    return [
        {"label": "Turtle", "url": f"{base}.ttl", "type": "text/turtle"},
        {"label": "RDF/XML", "url": f"{base}.rdf", "type": "application/rdf+xml"},
        {"label": "JSON-LD", "url": f"{base}.jsonld", "type": "application/ld+json"},
        {"label": "schema.org", "url": f"{base}.jsonld?profiles=sdm_schemaorg", "type": "application/ld+json"},
        {
            "label": "API",
            "url": f"{_site_url()}/api/3/action/package_show?id={pkg['name']}",
            "type": "application/json",
        },
    ]


def sdm_catalogue_links() -> list:
    """The catalogue's feeds, for the footer and the home page."""
    base = _site_url()
    return [
        {"label": label, "url": f"{base}/catalog.{ext}"}
        for label, ext in (("Turtle", "ttl"), ("RDF/XML", "rdf"), ("JSON-LD", "jsonld"))
    ]


def sdm_share_links(pkg: dict | None = None) -> list:
    """[{target, label, url or qr}] for the configured share targets: the
    dataset's page, or without one the current page."""
    page = f"{_site_url()}/dataset/{pkg['name']}" if pkg else tk.h.full_current_url()
    title = sdm_text(pkg) if pkg else sdm_site_text("title")
    out = []
    for target in site.share_targets():
        link = {"target": target, "label": sdm_message(f"share_{target}")}
        if target == "wechat":  # WeChat shares by scanning the page's QR code
            link["qr"] = _qr_svg(page)
        elif target == "weibo":
            link["url"] = f"https://service.weibo.com/share/share.php?url={quote(page, safe='')}&title={quote(title)}"
        elif target == "qq":
            link["url"] = (
                "https://sns.qzone.qq.com/cgi-bin/qzshare/cgi_qzshare_onekey"
                f"?url={quote(page, safe='')}&title={quote(title)}"
            )
        else:
            link["url"] = f"mailto:?subject={quote(title)}&body={quote(page, safe='')}"
        out.append(link)
    return out


def _qr_svg(url: str) -> Markup:
    import segno  # only pages with the WeChat target need it

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=3, xmldecl=False, svgns=True, title=url)
    return Markup(out.getvalue().decode("utf-8"))


# -- schema.org ---------------------------------------------------------------------------
def sdm_jsonld(pkg: dict) -> Markup:
    """The dataset as schema.org JSON-LD for a <script> element, from the one
    mapping (sdm_schema.rdf.schemaorg), which shows only what the public may
    see whoever reads the page; empty when the public may not see it."""
    record = dict(pkg)
    if record.get("owner_org"):
        record["organization"] = {
            **(record.get("organization") or {}),
            "title_translated": unit_title(record.get("organization") or {"id": record["owner_org"]}),
        }
    subject, triples = mapping.dataset_triples(record, schemaorg.PROFILE, _site_url())
    if subject is None:
        return Markup("")
    out = io.StringIO()
    writer = JsonLdWriter(out, schemaorg.PROFILE.prefixes)
    writer.begin()
    writer.write(triples)
    writer.end()
    text = json.dumps(json.loads(out.getvalue()), ensure_ascii=False)
    # "</" would end the script element early
    return Markup(text.replace("</", "<\\/"))


# -- home page ------------------------------------------------------------------------------
def sdm_recent_datasets(limit: int = 6) -> list:
    """The latest datasets the reader may see (package_search applies the policy)."""
    found = tk.get_action("package_search")(
        {"user": current_user_name()}, {"rows": limit, "sort": "metadata_modified desc"}
    )
    return found["results"]


def sdm_units(limit: int = 10, by_size: bool = True) -> list:
    """The responsible units, each with its bilingual name: the `limit` with
    most datasets (CKAN's count leaves out units without any), or with
    `by_size` false every unit by name, for a choice of unit."""
    context = {"user": current_user_name()}
    if by_size:
        units = tk.get_action("organization_list")(
            context, {"all_fields": True, "sort": "package_count", "limit": limit}
        )
        return [dict(unit, title_translated=unit_title(unit)) for unit in units]
    names = tk.get_action("organization_list")(context, {"sort": "name asc", "limit": limit})
    groups = (model.Group.get(name) for name in names)
    return [{"id": g.id, "name": g.name, "title_translated": unit_title({"id": g.id})} for g in groups if g]


# -- access requests ----------------------------------------------------------------------
def sdm_access_request_queue_count() -> int | None:
    """Applications awaiting the signed-in user's decision; None for a user
    who decides none (the menu then shows no queue)."""
    user = current_user_name()
    if not user or access_requests.decidable_package_ids(user) == set():
        return None
    return len(tk.get_action("sdm_access_request_queue")({"user": user}, {}))


def sdm_free_use_label(code: str | None) -> str:
    """A free-use purpose's label in the UI language ("" for none)."""
    purposes = codelist("free_use_purpose")
    return purposes.label_of(code, ui_language()) if code in purposes else ""


# -- dates ------------------------------------------------------------------------------------
def sdm_datetime(value: datetime | str | None) -> str:
    """A stored UTC time in the display time zone, with its offset:
    2026-12-02 18:30 +08:00."""
    if not value:
        return ""
    local = local_time(value)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def sdm_site_text(key: str) -> str:
    """The site's title, intro or about text in the UI language ("" if unset)."""
    return chosen(site.title() if key == "title" else site.text(key))[0]


def get_helpers() -> dict:
    return {
        "dataset_display_name": dataset_display_name,
        "get_translated": get_translated,
        "sdm_text": sdm_text,
        "sdm_display": sdm_display,
        "sdm_value": sdm_value,
        "sdm_facet_url": sdm_facet_url,
        "sdm_unit_title": unit_title,
        "sdm_withheld": sdm_withheld,
        "sdm_dataset_links": sdm_dataset_links,
        "sdm_catalogue_links": sdm_catalogue_links,
        "sdm_share_links": sdm_share_links,
        "sdm_jsonld": sdm_jsonld,
        "sdm_datetime": sdm_datetime,
        "sdm_access_request_queue_count": sdm_access_request_queue_count,
        "sdm_recent_datasets": sdm_recent_datasets,
        "sdm_units": sdm_units,
        "sdm_free_use_label": sdm_free_use_label,
        "sdm_site_text": sdm_site_text,
        "sdm_site_logo": site.logo,
    }
