"""Bilingual search: per-language index fields, query rewriting, SDM facets.

Stock CKAN sends each fluent value to Solr as one JSON string analysed as
English, so Chinese cannot be searched and list values show up in facets as
JSON (ckanext-scheming #195).  Here every bilingual field is indexed once per
language (`title_zh`, `text_zh`, `keywords_zh`, `labels_zh` and the same
with `_en`; field types in schemas/solr/schema.xml); Chinese is segmented
and folded by ckanext.sdm.search_text at index and query time alike.

A q typed by a person becomes per-word clauses spread by edismax over those
fields, the UI language boosted (as opendata.swiss does); a q written in
Solr syntax, or sent with its own defType/qf, goes to Solr untouched.
`ckanext.sdm.search.enabled = false` turns both hooks off (stock CKAN
search, for comparison); facets and their labels stay.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Callable, Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.sdm import search_text
from ckanext.sdm.helpers import pick_language, ui_language
from sdm_schema import dataset_field, dataset_fields, fields_with, lang
from sdm_schema.validation import decode_json

if TYPE_CHECKING:
    from sdm_schema.loader import Field

ZH, EN = "zh", "en"
#: The index-field suffix of each stored language tag.
_SUFFIX = {lang.SIMPLIFIED: ZH, lang.TRADITIONAL: ZH, lang.ENGLISH: EN}
#: Where each kind of bilingual field goes; text_<lang> also receives
#: title_<lang> and keywords_<lang> by copyField.
_TARGET = {"translated_text": "text", "translated_tags": "keywords"}

#: The schema field a facet is labelled from: `organization` is CKAN's
#: facet on the responsible unit (owner_org); the others are code fields.
_FACET_FIELD = {"organization": "owner_org"}
_FACET_OF = {field: facet for facet, field in _FACET_FIELD.items()}
#: The facets of the dataset search, in order (`facet` in sdm_dataset.yaml).
FACETS = tuple(_FACET_OF.get(f.name, f.name) for f in fields_with("facet"))
#: Code fields whose labels are searchable text: what one can filter by,
#: one can also type (physics / 物理学 find discipline 140).
_LABELLED_CODES = tuple(name for name in FACETS if name not in _FACET_FIELD)

#: Query fields: the UI language's fields weigh most (opendata.swiss:
#: title_<cur>^8 text_<cur>^4), the other language's still count.
_CURRENT_WEIGHTS = (("title", 8), ("keywords", 6), ("text", 4), ("labels", 2))
_OTHER_WEIGHTS = (("title", 2), ("keywords", 1.5), ("text", 1), ("labels", 0.5))


def enabled() -> bool:
    return tk.config.get("ckanext.sdm.search.enabled")


# -- index --------------------------------------------------------------------
def _texts(value: object) -> list:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


class _Document:
    """The per-language fields of one dataset, collected before they are
    put into the Solr document.  Chinese is segmented and folded here by
    `chinese` (search_text.index_text); English is left to Solr."""

    def __init__(self, chinese: Callable[[str], str] = search_text.index_text) -> None:
        self.fields: dict[str, list] = {}
        self.chinese = chinese

    def add(self, name: str, suffix: str, texts: Iterable[str]) -> None:
        values = self.fields.setdefault(f"{name}_{suffix}", [])
        for text in [self.chinese(t) for t in texts] if suffix == ZH else list(texts):
            if text and text not in values:
                values.append(text)

    def add_untagged(self, name: str, texts: object) -> None:
        """Text of no declared language (resource names): by its script."""
        for text in _texts(texts):
            self.add(name, _SUFFIX[lang.detect(text)], [text])

    def add_translated(self, name: str, value: object) -> None:
        if not isinstance(value, dict):
            self.add_untagged(name, value)
            return
        for tag, texts in value.items():
            suffix = _SUFFIX.get(lang.normalise_tag(tag))
            if suffix:
                self.add(name, suffix, _texts(texts))


def language_fields(pkg_dict: dict, chinese: Callable[[str], str] = search_text.index_text) -> dict:
    """The per-language search fields of a dataset ({"title_zh": [...],
    "labels_en": [...], ...}); `chinese` is how Chinese text reaches Solr
    (benchmarks/search/analysis.py tries Solr's own Chinese analysers)."""
    doc = _Document(chinese)
    for field in dataset_fields():
        value = decode_json(pkg_dict.get(field.name))
        if value in (None, "", [], {}):
            continue
        if field.kind_type.translated:
            doc.add_translated("title" if field.name == "title_translated" else _TARGET[field.kind], value)
        if field.name in _LABELLED_CODES:
            _add_labels(doc, field, value)
    doc.add_untagged("text", pkg_dict.get("name"))  # slugs are words too, as in stock CKAN
    doc.add_untagged("text", pkg_dict.get("res_name"))
    doc.add_untagged("text", pkg_dict.get("res_description"))
    return doc.fields


def index_fields(pkg_dict: dict) -> dict:
    """before_dataset_index: per-language fields added, structured values
    made Solr values (lists stay lists, never JSON strings)."""
    if not enabled():
        return pkg_dict
    fields = language_fields(pkg_dict)
    for field in dataset_fields():
        if field.name not in pkg_dict:
            continue
        if field.kind_type.translated:
            # the JSON blob would reach facets and the English analyser
            value = decode_json(pkg_dict.pop(field.name))
            if field.kind == "translated_tags":
                _add_tags(pkg_dict, value)
            continue
        # lists stay lists; what the kind does not index is kept whole in
        # validated_data_dict
        indexed = field.kind_type.index(pkg_dict[field.name])
        if indexed is None:
            del pkg_dict[field.name]
        else:
            pkg_dict[field.name] = indexed
    pkg_dict.update(fields)
    return pkg_dict


def _add_tags(pkg_dict: dict, value: object) -> None:
    """Keywords of every language are the dataset's tags too, so CKAN's tag
    facet and the keyword links (?tags=…) find them."""
    tags = pkg_dict.setdefault("tags", [])
    words = value.values() if isinstance(value, dict) else [value]
    for word in (w for texts in words for w in _texts(texts)):
        if word not in tags:
            tags.append(word)


def _add_labels(doc: _Document, field: Field, value: object) -> None:
    codes = field.codelist
    for code in _texts(value):
        if code in codes:
            doc.add_translated("labels", dict(codes[code].label))


# -- query ----------------------------------------------------------------------
def query_fields(current: str) -> str:
    """edismax qf with the UI language's fields boosted."""
    other = EN if current == ZH else ZH
    weighted = [(f"{name}_{current}", w) for name, w in _CURRENT_WEIGHTS]
    weighted += [(f"{name}_{other}", w) for name, w in _OTHER_WEIGHTS]
    return " ".join(f"{name}^{weight:g}" for name, weight in weighted + [("name", 4)])


def rewrite_query(search_params: dict) -> dict:
    """before_dataset_search: a person's q as per-language clauses; fq,
    facets, sort and paging are not touched."""
    q = search_params.get("q") or ""
    if not enabled() or search_text.is_solr_syntax(q) or "defType" in search_params or "qf" in search_params:
        return search_params
    clauses = search_text.query_clauses(q)
    if clauses:
        # Every clause is required by its own "+", so mm has nothing to
        # count; 0 keeps CKAN's default mm off a query that is one group.
        search_params.update(q=" ".join(clauses), defType="edismax", mm="0", qf=query_fields(_SUFFIX[ui_language()]))
    return search_params


# -- facets ---------------------------------------------------------------------
def facet_label(name: str) -> str:
    """A facet's title in the UI language, from the schema field's label."""
    return dataset_field(_FACET_FIELD.get(name, name)).label[ui_language()]


def add_facets(facets_dict: OrderedDict) -> OrderedDict:
    """IFacets: the SDM facets after CKAN's own, labelled in the UI language."""
    for name in FACETS:
        facets_dict.pop(name, None)
        facets_dict[name] = facet_label(name)
    return facets_dict


def _unit_title(owner_org: str | None) -> dict | str | None:
    """The responsible unit's bilingual name ({tag: text}), or its title."""
    group = model.Group.get(owner_org) if owner_org else None
    if group is None:
        return None
    return decode_json(group.extras.get("title_translated")) or group.title


def _item_label(facet: str, value: str, tag: str) -> str:
    if facet == "organization":
        group = model.Group.by_name(value)
        title = _unit_title(group.id) if group else None
        return pick_language(title, tag) if isinstance(title, dict) else (title or value)
    codes = dataset_field(facet).codelist
    return codes.label_of(value, tag) if value in codes else value


def label_facets(search_results: dict) -> dict:
    """after_dataset_search: SDM facet titles and item names in the UI
    language, for the pages and the API alike."""
    tag = ui_language()
    for name, facet in search_results.get("search_facets", {}).items():
        if name not in FACETS:
            continue
        facet["title"] = facet_label(name)
        for item in facet["items"]:
            item["display_name"] = _item_label(name, item["name"], tag)
    return search_results


def get_helpers() -> dict:
    return {"sdm_facet_label": facet_label}
