"""Search synonyms: groups of terms that mean the same, in Chinese and
English, made once from the schema for the query rewriting of
ckanext.sdm.search_text and for Solr's synonyms.txt.

A group is every label and alias of one code of a searchable code list (a
facet's: 物理学 / Physics) or one line of search_glossary.yaml (遥感 /
remote sensing).  The glossary holds the free-text terms no code list
names; the code lists are not repeated in it.

The glossary's `narrower` terms widen a query one way only: 遥感 (and every
term of its group) also finds 卫星 and satellite, a query for satellite does
not find every remote-sensing dataset.
"""

from __future__ import annotations

import functools
from typing import Iterable

from sdm_schema.loader import _read_yaml, fields_with


def _codelist_groups() -> list:
    groups, seen = [], set()
    for field in fields_with("facet"):
        codes = field.codelist
        if codes is None or codes.name in seen:
            continue
        seen.add(codes.name)
        for code in codes:
            groups.append(_unique([*code.label.values(), *code.aliases]))
    return groups


def _unique(terms: Iterable) -> tuple:
    return tuple(dict.fromkeys(str(t).strip() for t in terms if str(t).strip()))


def glossary_groups() -> list:
    """The curated zh↔en scientific terms (search_glossary.yaml)."""
    data = _read_yaml("search_glossary.yaml")
    groups = [_unique(group) for group in data["groups"]]
    for group in groups:
        if len(group) < 2:
            raise ValueError(f"search_glossary.yaml: the group {list(group)} has one term; a synonym needs two")
    return groups


def _narrower_entries() -> dict:
    data = _read_yaml("search_glossary.yaml")
    entries = data.get("narrower") or {}
    for broader, terms in entries.items():
        if not isinstance(terms, list) or not terms:
            raise ValueError(f"search_glossary.yaml: narrower: {broader!r} needs a list of narrower terms")
    return {str(b).strip(): _unique(terms) for b, terms in entries.items()}


def _group_of(term: str, all_groups: Iterable[tuple]) -> tuple:
    return next((g for g in all_groups if term in g), (term,))


@functools.cache
def narrower() -> tuple:
    """(broader group, its narrower terms with their synonyms) pairs: a
    query for any term of the group also looks for those terms."""
    all_groups = groups()
    pairs = []
    for broader, terms in _narrower_entries().items():
        group = _group_of(broader, all_groups)
        if group == (broader,):
            raise ValueError(f"search_glossary.yaml: narrower: {broader!r} is in no synonym group")
        wider = _unique(t for term in terms for t in _group_of(term, all_groups))
        pairs.append((group, tuple(t for t in wider if t not in group)))
    return tuple(pairs)


@functools.cache
def groups() -> tuple:
    """Every synonym group: code-list labels and aliases, then the glossary."""
    return tuple(g for g in [*_codelist_groups(), *glossary_groups()] if len(g) > 1)


def _solr_terms(terms: Iterable[str]) -> str:
    return ", ".join(t.replace(",", "\\,") for t in terms)


def solr_synonyms() -> str:
    """groups() in Solr's synonyms.txt format (equivalent terms, one group a
    line), then the narrower terms as one-way rules (broader => broader,
    narrower)."""
    lines = [_solr_terms(group) for group in groups()]
    lines += [f"{_solr_terms(group)} => {_solr_terms(group + terms)}" for group, terms in narrower()]
    return "\n".join(lines)
