"""Search synonyms: groups of terms that mean the same, in Chinese and
English, made once from the schema for the query rewriting of
ckanext.sdm.search_text and for Solr's synonyms.txt.

A group is every label and alias of one code of a searchable code list (a
facet's: 物理学 / Physics) or one line of search_glossary.yaml (遥感 /
remote sensing).  The glossary holds the free-text terms no code list
names; the code lists are not repeated in it.
"""

from __future__ import annotations

import functools

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


def _unique(terms) -> tuple:
    return tuple(dict.fromkeys(str(t).strip() for t in terms if str(t).strip()))


def glossary_groups() -> list:
    """The curated zh↔en scientific terms (search_glossary.yaml)."""
    data = _read_yaml("search_glossary.yaml")
    groups = [_unique(group) for group in data["groups"]]
    for group in groups:
        if len(group) < 2:
            raise ValueError(f"search_glossary.yaml: the group {list(group)} has one term; a synonym needs two")
    return groups


@functools.cache
def groups() -> tuple:
    """Every synonym group: code-list labels and aliases, then the glossary."""
    return tuple(g for g in [*_codelist_groups(), *glossary_groups()] if len(g) > 1)


def solr_synonyms() -> str:
    """groups() in Solr's synonyms.txt format (equivalent terms, one group a line)."""
    return "\n".join(", ".join(t.replace(",", "\\,") for t in group) for group in groups())
