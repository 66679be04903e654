"""Recommended citation (R8): GB/T 7714 `[DS/OL]` style, in zh-Hans and en.

    责任单位. 名称[DS/OL]. 版本. 提供部门, 年[引用日期]. 链接. 标识符.
e.g.
    国家气象信息中心. 中国地面气候资料日值数据集（2024）[DS/OL]. V1.
    国家气象信息中心, 2024[2026-11-21]. https://doi.org/10.11922/sciencedb.06290.
    DOI:10.11922/sciencedb.06290; CSTR:31253.11.sciencedb.06290.

The link prefers the DOI, then the CSTR resolver, then the dataset's page.
`elements()` gathers what every citation format needs, once; the GB/T 7714
text is built here and BibTeX, RIS and DataCite XML in citation_formats.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from sdm_schema.lang import pick
from sdm_schema.loader import LANGUAGES

DOI_RESOLVER = "https://doi.org/"
CSTR_RESOLVER = "https://cstr.cn/"


def _in(value: object, tag: str) -> str:
    """A bilingual value in one language, falling back to the other."""
    if isinstance(value, Mapping):
        value = pick(value, tag)
    return str(value or "")


def links(dataset: Mapping) -> dict:
    """Resolvable links for the dataset's persistent identifiers."""
    out = {}
    if dataset.get("doi"):
        out["doi"] = DOI_RESOLVER + dataset["doi"]
    if dataset.get("cstr"):
        out["cstr"] = CSTR_RESOLVER + str(dataset["cstr"]).removeprefix("CSTR:")
    return out


@dataclass(frozen=True)
class Elements:
    """The citation elements of one dataset, each text per language."""

    author: Mapping[str, str]
    title: Mapping[str, str]
    publisher: Mapping[str, str]
    description: Mapping[str, str]
    keywords: Mapping[str, list]
    version: str
    year: str
    accessed: dt.date
    doi: str
    cstr: str
    page_url: str
    disciplines: tuple

    @property
    def link(self) -> str:
        """The one link a citation gives: DOI, else CSTR resolver, else the page."""
        resolvable = links({"doi": self.doi, "cstr": self.cstr})
        return resolvable.get("doi") or resolvable.get("cstr") or self.page_url


def elements(dataset: Mapping, unit: Mapping, page_url: str, accessed: dt.date | None = None) -> Elements:
    """`unit` is the responsible unit (organisation dict), the citation's author."""
    accessed = accessed or dt.date.today()

    def per_language(value: object) -> dict:
        return {lang: _in(value, lang) for lang in LANGUAGES}

    author = per_language(unit.get("title_translated") or unit.get("title"))
    publisher = per_language(dataset.get("provider_unit"))
    keywords = dataset.get("keywords_translated") or {}
    return Elements(
        author=author,
        title=per_language(dataset.get("title_translated") or dataset.get("title")),
        publisher={lang: publisher[lang] or author[lang] for lang in LANGUAGES},
        description=per_language(dataset.get("notes_translated") or dataset.get("notes")),
        keywords={lang: list(keywords.get(lang) or []) for lang in LANGUAGES},
        version=str(dataset.get("version") or ""),
        year=str(dataset.get("metadata_created") or accessed.isoformat())[:4],
        accessed=accessed,
        doi=str(dataset.get("doi") or ""),
        cstr=str(dataset.get("cstr") or ""),
        page_url=page_url,
        disciplines=tuple(dataset.get("discipline") or ()),
    )


def format_gbt7714(cited: Elements, lang: str) -> str:
    parts = [f"{cited.author[lang]}. {cited.title[lang]}[DS/OL]."]
    if cited.version:
        parts.append(f"{cited.version}.")
    parts.append(f"{cited.publisher[lang]}, {cited.year}[{cited.accessed.isoformat()}].")
    parts.append(f"{cited.link}.")
    identifiers = [f"DOI:{cited.doi}"] if cited.doi else []
    if cited.cstr:
        identifiers.append(cited.cstr)
    if identifiers:
        parts.append("; ".join(identifiers) + ".")
    return " ".join(parts)


def gbt7714(dataset: Mapping, unit: Mapping, lang: str, page_url: str, accessed: dt.date | None = None) -> str:
    """One citation; `unit` is the responsible unit (organisation dict)."""
    return format_gbt7714(elements(dataset, unit, page_url, accessed), lang)


def recommended(dataset: Mapping, unit: Mapping, page_url: str, accessed: dt.date | None = None) -> dict:
    cited = elements(dataset, unit, page_url, accessed)
    return {lang: format_gbt7714(cited, lang) for lang in LANGUAGES}
