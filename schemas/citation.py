"""Recommended citation (R8): GB/T 7714 `[DS/OL]` style, in zh-Hans and en.

    责任单位. 名称[DS/OL]. 版本. 提供部门, 年[引用日期]. 链接. 标识符.
e.g.
    国家气象信息中心. 中国地面气候资料日值数据集（2024）[DS/OL]. V1.
    国家气象信息中心, 2024[2026-11-21]. https://doi.org/10.11922/sciencedb.06290.
    DOI:10.11922/sciencedb.06290; CSTR:31253.11.sciencedb.06290.

The link prefers the DOI, then the CSTR resolver, then the dataset's page.
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping, Optional

from sdm_schema.loader import LANGUAGES

DOI_RESOLVER = "https://doi.org/"
CSTR_RESOLVER = "https://cstr.cn/"


def _in(value, lang: str) -> str:
    """A bilingual value in one language, falling back to the other."""
    if isinstance(value, Mapping):
        for tag in (lang, *LANGUAGES, "zh-Hant"):
            if value.get(tag):
                return str(value[tag])
        return ""
    return str(value or "")


def links(dataset: Mapping) -> dict:
    """Resolvable links for the dataset's persistent identifiers."""
    out = {}
    if dataset.get("doi"):
        out["doi"] = DOI_RESOLVER + dataset["doi"]
    if dataset.get("cstr"):
        out["cstr"] = CSTR_RESOLVER + str(dataset["cstr"]).removeprefix("CSTR:")
    return out


def gbt7714(dataset: Mapping, unit: Mapping, lang: str, page_url: str,
            accessed: Optional[dt.date] = None) -> str:
    """One citation; `unit` is the responsible unit (organisation dict)."""
    accessed = accessed or dt.date.today()
    year = str(dataset.get("metadata_created") or accessed.isoformat())[:4]
    author = _in(unit.get("title_translated") or unit.get("title"), lang)
    publisher = _in(dataset.get("provider_unit"), lang) or author
    title = _in(dataset.get("title_translated") or dataset.get("title"), lang)
    parts = [f"{author}. {title}[DS/OL]."]
    if dataset.get("version"):
        parts.append(f"{dataset['version']}.")
    parts.append(f"{publisher}, {year}[{accessed.isoformat()}].")
    resolvable = links(dataset)
    parts.append(f"{resolvable.get('doi') or resolvable.get('cstr') or page_url}.")
    identifiers = [f"DOI:{dataset['doi']}"] if dataset.get("doi") else []
    if dataset.get("cstr"):
        identifiers.append(dataset["cstr"])
    if identifiers:
        parts.append("; ".join(identifiers) + ".")
    return " ".join(parts)


def recommended(dataset: Mapping, unit: Mapping, page_url: str, accessed: Optional[dt.date] = None) -> dict:
    return {lang: gbt7714(dataset, unit, lang, page_url, accessed) for lang in LANGUAGES}
