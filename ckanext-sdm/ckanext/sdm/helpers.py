"""Template helpers: labels and choices from sdm_schema, in the UI language."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import ckan.plugins.toolkit as tk

from ckanext.sdm import citation
from ckanext.sdm.validators import form_input_name
from sdm_schema import codelist, dataset_field, dataset_fields, errors, fields_with, lang, message, sections
from sdm_schema.loader import LANGUAGES, Field
from sdm_schema.validation import decode_json, is_empty


def display_timezone() -> dt.tzinfo:
    """CKAN's display time zone (ckan.display_timezone, default UTC)."""
    return tk.h.get_display_timezone()


def local_time(value: dt.datetime | str) -> dt.datetime:
    """A stored time (naive UTC, datetime or ISO text) in the display time zone."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(display_timezone())


def ui_language() -> str:
    """The UI locale (zh_Hans_CN, en) as the BCP 47 tag labels are keyed by."""
    try:
        current = tk.h.lang()
    except (TypeError, RuntimeError):  # outside a request
        current = None
    return lang.normalise_tag(current) or lang.normalise_tag(tk.config.get("ckan.locale_default")) or LANGUAGES[0]


def _is_tagged(text: object) -> bool:
    return isinstance(text, dict) and any(lang.normalise_tag(k) for k in text)


def pick_language(text: dict, prefer: str | None = None) -> Any:
    """The value for the UI language, falling back through the others."""
    by_tag = {lang.normalise_tag(k): v for k, v in text.items()}
    chosen = lang.pick(by_tag, lang.normalise_tag(prefer) or ui_language())
    return chosen if chosen is not None else next(iter(text.values()), "")


@tk.chained_helper
def scheming_language_text(next_helper: Callable, text: Any, prefer_lang: str | None = None) -> Any:
    """scheming's helper, taught that our labels are keyed zh-Hans / en."""
    if _is_tagged(text):
        return pick_language(text, prefer_lang)
    return next_helper(text, prefer_lang)


def sdm_codelist_choices(field: dict) -> list:
    """scheming `choices_helper`: the field's code list as choices."""
    return [{"value": item.code, "label": dict(item.label)} for item in codelist(field["codelist"])]


def sdm_languages() -> list:
    """The languages a bilingual form field offers, labelled from the schema."""
    languages = codelist("language")
    return [{"tag": tag, "label": dict(languages[tag].label)} for tag in LANGUAGES]


def sdm_message(key: str, **params: object) -> str:
    """A message from schemas/sdm_schema/messages.yaml in the UI language."""
    return message(key, **params)[ui_language()]


def bilingual_message(key: str, **params: object) -> str:
    """A message in both languages, "中文 / English", as errors are given;
    a parameter given per language ({tag: text}) is used in its language."""
    per_language = {}
    for tag in LANGUAGES:
        resolved = {k: (v[tag] if isinstance(v, dict) else v) for k, v in params.items()}
        per_language[tag] = message(key, **resolved)[tag]
    return errors.bilingual(per_language)


#: The code fields shown as badges on the dataset page, in order (`badge`
#: in sdm_dataset.yaml).
_BADGES = tuple(f.name for f in fields_with("badge"))


def sdm_badges(pkg: dict) -> list:
    """Classification and openness badges: {field, code, label} in the UI language."""
    tag = ui_language()
    badges = []
    for name in _BADGES:
        code = pkg.get(name)
        if code:
            field = dataset_field(name)
            badges.append(
                {"field": name, "code": code, "title": field.label[tag], "label": field.codelist.label_of(code, tag)}
            )
    return badges


def sdm_untranslated_notice(pkg: dict) -> str:
    """For editors: which fields an open dataset lacks in English, or ""."""
    if pkg.get("open_attribute") != "unconditional":
        return ""
    tag = ui_language()
    missing = [field.label[tag] for field in lang.untranslated_fields(pkg, dataset_fields())]
    return sdm_message("untranslated", fields=lang.join(missing, tag)) if missing else ""


def citation_elements(pkg: dict) -> citation.Elements:
    """What every citation format of the dataset cites; its responsible unit is the author."""
    unit = pkg.get("organization") or {}
    if unit.get("id"):
        unit = tk.get_action("organization_show")({"ignore_auth": True}, {"id": unit["id"]})
    # the site's address, not url_for's: a citation must not carry the UI locale (/en/)
    page = f"{tk.config.get('ckan.site_url').rstrip('/')}/dataset/{pkg['name']}"
    return citation.elements(pkg, unit, page)


def sdm_citation(pkg: dict) -> dict:
    cited = citation_elements(pkg)
    return {"links": citation.links(pkg), **{tag: citation.format_gbt7714(cited, tag) for tag in LANGUAGES}}


def sdm_code_label(field: dict, code: str | None) -> str:
    """A code's label in the UI language (scheming's select display skips
    the chained language helper)."""
    codes = codelist(field["codelist"])
    return codes.label_of(code, ui_language()) if code in codes else (code or "")


def sdm_field_shown(field: dict, pkg: dict) -> bool:
    """Whether the dataset page lists a field: it has a value and applies."""
    return not is_empty(pkg.get(field["field_name"])) and Field.from_definition(field, {}).applies(pkg)


def sdm_form_layout() -> dict:
    """Sections and show-if rules of the dataset form, for sdm-form.js."""
    tag = ui_language()
    return {
        "sections": [{"name": s["name"], "label": s["label"][tag]} for s in sections()],
        "fields": {f.name: {"section": f.section, "show_if": dict(f.show_if)} for f in dataset_fields()},
    }


def sdm_field_label(name: str) -> str:
    """A dataset field's label in the UI language; the name itself when the
    schema has none (a harvester's note may name a key of the source)."""
    try:
        return pick_language(dataset_field(name).label)
    except KeyError:
        return name


def get_helpers() -> dict:
    return {
        "scheming_language_text": scheming_language_text,
        "sdm_codelist_choices": sdm_codelist_choices,
        "sdm_pick_language": pick_language,
        "sdm_languages": sdm_languages,
        "sdm_json_loads": decode_json,
        "sdm_form_input_name": form_input_name,
        "sdm_message": sdm_message,
        "sdm_badges": sdm_badges,
        "sdm_untranslated_notice": sdm_untranslated_notice,
        "sdm_citation": sdm_citation,
        "sdm_form_layout": sdm_form_layout,
        "sdm_code_label": sdm_code_label,
        "sdm_field_shown": sdm_field_shown,
        "sdm_field_label": sdm_field_label,
    }
