"""URL names (slugs) for datasets and responsible units, made from their titles.

CKAN wants a lower-case ASCII name and, in its stock form, derives it in the
browser from an English title only: a Chinese title gave nothing, so every
editor had to invent one.  Here the name is spelled from the title in the
site's default language (then the others): Chinese words in pinyin
(pypinyin, which reads polyphones by phrase: 重庆 chongqing), words joined by
hyphens, other text folded to ASCII.  The same function answers the form's
live suggestion (action sdm_name_suggest) and fills an empty name when a
dataset or unit is created (validators.collect_form), each time unique.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Mapping

import ckan.plugins.toolkit as tk
from ckan import model

# the site's one Chinese segmentation (jieba, Traditional folded to Simplified)
from ckanext.sdm import search_text
from sdm_schema import lang
from sdm_schema.loader import LANGUAGES

#: CKAN's limits for package and group names (ckan.model PACKAGE_NAME_*).
MAX_LENGTH = 100
MIN_LENGTH = 2
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _ascii_word(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


def _pinyin(word: str) -> str:
    from pypinyin import Style, lazy_pinyin  # imported late: its phrase tables are large

    return _ascii_word("".join(lazy_pinyin(word, style=Style.NORMAL, errors="ignore")))


def _parts(text: str) -> list:
    """The words of a title spelled in ASCII; Chinese characters the
    dictionary knows no word for stay together (日值 → rizhi, not ri-zhi)."""
    parts, single = [], False
    for is_han, word in search_text.split_words(unicodedata.normalize("NFKC", text or "")):
        spelled = _pinyin(word) if is_han else _ascii_word(word)
        if is_han and len(word) == 1 and single:
            parts[-1] += spelled
        elif spelled:
            parts.append(spelled)
        single = is_han and len(word) == 1
    return parts


def slugify(text: str) -> str:
    """A title as a URL name: `国家气象信息中心` → `guojia-qixiang-xinxizhongxin`,
    `Daily surface climate` → `daily-surface-climate`; "" if nothing is left."""
    parts = _parts(text)
    slug = ""
    for part in filter(None, parts):
        longer = f"{slug}-{part}" if slug else part
        if len(longer) > MAX_LENGTH:
            break
        slug = longer
    return slug if len(slug) >= MIN_LENGTH else ""


def _titles_in_order(title: Mapping[str, str], default_lang: str) -> list:
    by_tag = {lang.normalise_tag(k) or k: v for k, v in (title or {}).items() if isinstance(v, str)}
    order = [default_lang, *LANGUAGES, *by_tag]
    return [by_tag[tag] for tag in dict.fromkeys(order) if by_tag.get(tag)]


def unique(slug: str, taken: Callable[[str], bool]) -> str:
    """`slug`, or `slug-2`, `slug-3`… the first one `taken` says is free."""
    candidate, number = slug, 1
    while taken(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = slug[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
    return candidate


def name_for(title: Mapping[str, str], default_lang: str, taken: Callable[[str], bool]) -> str | None:
    """A free URL name from a {tag: text} title, or None when no language of
    it gives one (punctuation only, or empty)."""
    for text in _titles_in_order(title, default_lang):
        slug = slugify(text)
        if slug:
            return unique(slug, taken)
    return None


# -- in CKAN -----------------------------------------------------------------


def _taken(entity: str) -> Callable[[str], bool]:
    """Whether a name is in use by a dataset, or (units) by any group or
    organisation, deleted ones included: CKAN keeps their names."""
    table = model.Package if entity == "dataset" else model.Group

    def taken(name: str) -> bool:
        return model.Session.query(table.id).filter(table.name == name).first() is not None

    return taken


def name_in_ckan(title: Mapping[str, str], entity: str) -> str | None:
    """A free URL name for a new dataset or unit (entity "dataset" or
    "organization") from its title."""
    from ckanext.sdm.validators import site_context

    return name_for(title, site_context().default_lang, _taken(entity))


def _title_of(data_dict: Mapping) -> dict:
    """The title a suggestion is asked for: title_translated as a dict, or one
    query parameter per language (title_translated-zh-Hans=…), as the form
    names its inputs."""
    from ckanext.sdm.validators import form_input_name

    title = data_dict.get("title_translated")
    if isinstance(title, dict):
        return title
    return {
        tag: data_dict[form_input_name("title_translated", tag)]
        for tag in LANGUAGES
        if data_dict.get(form_input_name("title_translated", tag))
    }


@tk.side_effect_free  # called by GET, as the form's script does
def name_suggest(context: dict, data_dict: dict) -> dict:
    """sdm_name_suggest: {"name": a free URL name or null} for a title, and
    `type` dataset (default) or organization; the forms prefill the name
    field with it as the title is typed."""
    entity = "organization" if data_dict.get("type") == "organization" else "dataset"
    tk.check_access("sdm_name_suggest", context, {"type": entity})
    return {"name": name_in_ckan(_title_of(data_dict), entity)}


def name_suggest_auth(context: dict, data_dict: dict | None) -> dict:
    """Whoever may create a dataset (or a unit) may ask for a name."""
    action = "organization_create" if (data_dict or {}).get("type") == "organization" else "package_create"
    try:
        tk.check_access(action, context, {})
    except tk.NotAuthorized:
        return {"success": False}
    return {"success": True}


ACTIONS = {"sdm_name_suggest": name_suggest}
AUTH_FUNCTIONS = {"sdm_name_suggest": name_suggest_auth}
