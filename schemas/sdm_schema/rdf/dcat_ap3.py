"""The international profile: DCAT-AP 3.0.1, for international portals.

The DCAT rules with the international audience (no not-open or core-grade
data, no domestic fields), codes as EU authority IRIs where the code list
names one, and English always present.

The English rule: a record written only in Chinese (every text it has is
tagged zh-*) keeps its Chinese text and
gains an English title, description and keywords composed from the English
labels of its codes (discipline, form, update cycle, open attribute), which
are translations the project maintains.  The text is never machine-translated
and says that the record is in Chinese (docs/feeds.md).
"""

from __future__ import annotations

from typing import Mapping

from sdm_schema import disclosure, lang
from sdm_schema.loader import dataset_field, fields_with
from sdm_schema.rdf import dcat
from sdm_schema.rdf.catalog import dcat_catalog
from sdm_schema.rdf.mapping import Profile
from sdm_schema.rdf.namespaces import DCAT, DCAT_PREFIXES

EN = "en"
#: Fields whose English labels describe a Chinese-only record
#: (`english_fallback` in sdm_dataset.yaml).
DESCRIBING_FIELDS = tuple(f.name for f in fields_with("english_fallback"))


def _labels(record: Mapping, name: str) -> list:
    field = dataset_field(name)
    value = record.get(name)
    codes = value if isinstance(value, list) else [value] if value else []
    return [field.codelist.label_of(code, EN) for code in codes if code in field.codelist]


def english_title(record: Mapping) -> str:
    subject = ", ".join(_labels(record, "discipline")) or "Scientific"
    return f"{subject} dataset (title in Chinese only)"


def english_description(record: Mapping) -> str:
    facts = [
        f"{dataset_field(name).label[EN]}: {', '.join(labels)}."
        for name in DESCRIBING_FIELDS
        if (labels := _labels(record, name))
    ]
    return " ".join(["This record is written in Chinese only.", *facts])


def only_chinese(record: Mapping) -> bool:
    """Whether every text the record has is Chinese: the one case the
    fallback is for (a German-only record is no Chinese record)."""
    texts = [record.get(name) for name in ("title_translated", "notes_translated", "keywords_translated")]
    texts = [value for value in texts if value]
    return bool(texts) and all(lang.only_chinese(value) for value in texts)


def with_english(record: dict) -> dict:
    """The record with the English fallback where a Chinese-only record's
    text has no English."""
    if not only_chinese(record):
        return record
    out = dict(record)
    for name, make in (("title_translated", english_title), ("notes_translated", english_description)):
        value = dict(out.get(name) or {})
        if not value.get(EN):
            value[EN] = make(record)
            out[name] = value
    keywords = dict(out.get("keywords_translated") or {})
    if keywords and not keywords.get(EN) and _labels(record, "discipline"):
        keywords[EN] = _labels(record, "discipline")
        out["keywords_translated"] = keywords
    return out


PROFILE = Profile(
    name="sdm_dcat_ap3",
    audience=disclosure.INTERNATIONAL,
    rules=dcat.rules(),
    prefixes=DCAT_PREFIXES,
    eu_codes=True,
    prepare=with_english,
    dataset_class=DCAT + "Dataset",
    catalog=dcat_catalog,
    dataset_link=DCAT + "dataset",
)
