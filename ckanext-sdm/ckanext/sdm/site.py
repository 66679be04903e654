"""The site's identity in both languages: title, logo, introduction, about
text and share targets, from the ini (config_declaration.yml declares them).

CKAN's own `ckan.site_title` is one string; a bilingual catalogue needs the
name in each language — on every page, on the home page and as the receiving
centre printed on submission certificates.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from sdm_schema.loader import LANGUAGES

#: The ini suffix of each language tag (ckanext.sdm.site.title_zh …).
_SUFFIX = {"zh-Hans": "zh", "en": "en"}
#: The share targets the pages know how to link.
SHARE_TARGETS = ("weibo", "wechat", "qq", "email")


def text(key: str) -> dict:
    """A bilingual site text ({tag: text}, empty languages left out):
    key is title, intro or about."""
    out = {}
    for tag in LANGUAGES:
        value = (tk.config.get(f"ckanext.sdm.site.{key}_{_SUFFIX[tag]}") or "").strip()
        if value:
            out[tag] = value
    return out


def title() -> dict:
    """The site's name per language; ckan.site_title when none is configured."""
    return text("title") or {"zh-Hans": tk.config.get("ckan.site_title") or "CKAN"}


def receiving_centre() -> str | dict:
    """The centre certificates name: ckanext.sdm.submission.receiving_centre
    when set (one string), else the site's name per language ({tag: text})."""
    explicit = (tk.config.get("ckanext.sdm.submission.receiving_centre") or "").strip()
    return explicit or title()


def logo() -> str | None:
    return tk.config.get("ckanext.sdm.site.logo") or tk.config.get("ckan.site_logo") or None


def share_targets() -> list:
    """Configured share targets, in order; unknown names are left out (the
    config declaration documents the known ones)."""
    return [t for t in tk.config.get("ckanext.sdm.share_targets") or [] if t in SHARE_TARGETS]
