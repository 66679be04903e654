"""Text as the search index sees it: Chinese segmented and folded, once, for
CKAN's index and queries and for anything else that searches (harvester,
feeds).  Imports nothing from CKAN.

Solr receives Chinese already cut into words, separated by spaces, and
already folded from Traditional to Simplified, so its Chinese field type
only splits on whitespace and normalises width and case
(schemas/solr/schema.xml, `text_zh`).  The same cut, done here, is the only
Chinese segmentation anywhere: index and query can never disagree about it.

Index and query are cut differently, as Chinese search engines usually do:
the index gets every dictionary word jieba finds (`cut_for_search`: 青藏高原
and also 青藏, 高原), a query gets the one best cut (`cut`).  A query word the
document's text was cut differently around also matches when all of its
smaller dictionary pieces are in the document: 气象站 OR (气象 AND 站).
"""
from __future__ import annotations

import functools
import logging
import re

from sdm_schema.lang import to_simplified

_HAN_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
#: A Latin (or digit) word, inner punctuation kept: PM2.5, CO2-flux, don't.
_WORD = re.compile(r"[^\W_](?:[\w.'/+-]*[^\W_])?")
#: Lucene query syntax that marks a q as written for Solr, not for people.
_SOLR_SYNTAX = re.compile(r'[:()\[\]{}"~*?^\\]|&&|\|\||(?:^|\s)[+!-]|\b(?:AND|OR|NOT|TO)\b')
_LUCENE_SPECIAL = re.compile(r'([+\-!():^\[\]"{}~*?|&/\\])')


@functools.lru_cache(maxsize=None)
def _jieba():
    import jieba  # imported late: building its prefix dictionary takes a moment

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def fold(text: str) -> str:
    """Traditional → Simplified, so 氣象 and 气象 are one word to search."""
    return to_simplified(text)


def _runs(text: str):
    """(is_han, run) pieces of folded text, in order."""
    for i, run in enumerate(_HAN_RUN.split(fold(text))):
        if run:
            yield i % 2 == 1, run


def index_tokens(text: str) -> list:
    """Every word a Chinese or mixed text is found by (HMM off, so unknown
    words become single characters the same way in documents and queries)."""
    tokens = []
    for is_han, run in _runs(text):
        tokens.extend(_jieba().cut_for_search(run, HMM=False) if is_han else _WORD.findall(run))
    return tokens


def index_text(text: str) -> str:
    """index_tokens as Solr's whitespace tokenizer expects them."""
    return " ".join(index_tokens(text))


def _pieces(word: str) -> list:
    """The smaller dictionary words covering a long word, left to right,
    longest first, single characters where none fits: 气象站 → 气象, 站."""
    found = set(_jieba().cut_for_search(word, HMM=False)) - {word}
    pieces, i = [], 0
    while i < len(word):
        piece = max((p for p in found if word.startswith(p, i)), key=len, default=word[i])
        pieces.append(piece)
        i += len(piece)
    return pieces


def escape(term: str) -> str:
    """A term as a Lucene query term, every special character escaped."""
    return _LUCENE_SPECIAL.sub(r"\\\1", term)


def _han_clause(word: str) -> str:
    # Two-character words are left alone: their pieces would be single
    # characters, which match far too much.
    if len(word) < 3:
        return word
    pieces = _pieces(word)
    if pieces == [word]:
        return word
    return "({} OR ({}))".format(word, " ".join("+" + p for p in pieces))


def query_clauses(text: str) -> list:
    """A query typed by a person as Lucene clauses, one per word, each
    required, for edismax to spread over the per-language fields.

    Required explicitly rather than through `mm`: Solr applies mm to the
    inner clauses of a query that is one group, which would make both
    sides of 物理学 OR (物理 学) required."""
    words = []
    for is_han, run in _runs(text):
        if is_han:
            words.extend(_han_clause(w) for w in _jieba().cut(run, HMM=False))
        else:
            words.extend(escape(w) for w in _WORD.findall(run))
    return ["+" + w for w in words]


def is_solr_syntax(q: str) -> bool:
    """Whether a q uses Lucene syntax (fields, operators, phrases,
    wildcards…): such queries are the API user's and go to Solr untouched."""
    return bool(_SOLR_SYNTAX.search(q or ""))
