"""Template helpers: labels and choices from sdm_schema, in the UI language."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.sdm.validators import json_output
from sdm_schema import codelist, lang
from sdm_schema.loader import LANGUAGES


def ui_language() -> str:
    """The UI locale (zh_Hans_CN, en) as the BCP 47 tag labels are keyed by."""
    try:
        current = tk.h.lang()
    except TypeError:  # outside a request
        current = None
    return lang.normalise_tag(current) or lang.normalise_tag(tk.config.get("ckan.locale_default")) or LANGUAGES[0]


def _is_tagged(text) -> bool:
    return isinstance(text, dict) and any(lang.normalise_tag(k) for k in text)


def pick_language(text: dict, prefer=None):
    """The value for the UI language, falling back through the others."""
    prefer = lang.normalise_tag(prefer) or ui_language()
    order = [prefer, *LANGUAGES, lang.TRADITIONAL]
    by_tag = {lang.normalise_tag(k): v for k, v in text.items()}
    for tag in order:
        if by_tag.get(tag):
            return by_tag[tag]
    return next(iter(text.values()), "")


@tk.chained_helper
def scheming_language_text(next_helper, text, prefer_lang=None):
    """scheming's helper, taught that our labels are keyed zh-Hans / en."""
    if _is_tagged(text):
        return pick_language(text, prefer_lang)
    return next_helper(text, prefer_lang)


def sdm_codelist_choices(field) -> list:
    """scheming `choices_helper`: the field's code list as choices."""
    return [{"value": item.code, "label": dict(item.label)} for item in codelist(field["codelist"])]


def sdm_languages() -> list:
    """The languages a bilingual form field offers, labelled from the schema."""
    languages = codelist("language")
    return [{"tag": tag, "label": dict(languages[tag].label)} for tag in LANGUAGES]


def get_helpers() -> dict:
    return {
        "scheming_language_text": scheming_language_text,
        "sdm_codelist_choices": sdm_codelist_choices,
        "sdm_pick_language": pick_language,
        "sdm_languages": sdm_languages,
        "sdm_json_loads": json_output,
    }
