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

A query is also expanded by the schema's synonyms (sdm_schema.synonyms: the
code-list labels and the search glossary), so remote sensing finds a
dataset described only as 遥感 and 雨量 one described as 降水: the words of
a synonym become one clause, `+((+remote +sensing) OR 遥感)`.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Callable, Iterable

from sdm_schema import synonyms
from sdm_schema.lang import to_simplified

_HAN_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
#: A Latin (or digit) word, inner punctuation kept: PM2.5, CO2-flux, don't.
_WORD = re.compile(r"[^\W_](?:[\w.'/+-]*[^\W_])?")
#: Lucene query syntax that marks a q as written for Solr, not for people.
_SOLR_SYNTAX = re.compile(r'[:()\[\]{}"~*?^\\]|&&|\|\||(?:^|\s)[+!-]|\b(?:AND|OR|NOT|TO)\b')
#: How far apart a long word's pieces may be in the index: cut_for_search
#: puts a word's own smaller words before it (细 悬浮 微粒 悬浮微粒).
PIECE_SLOP = 1
_LUCENE_SPECIAL = re.compile(r'([+\-!():^\[\]"{}~*?|&/\\])')


@functools.cache
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
    # The pieces as a phrase: side by side in one field, as the word is
    # written, not 地球 in a discipline label and 化学 in the notes.
    return '({} OR "{}"~{})'.format(word, " ".join(pieces), PIECE_SLOP)


def _latin_clause(word: str) -> str:
    """A Latin word; one with inner punctuation (X-ray, PM2.5, CO2-flux)
    as a phrase, which Solr's English analysis cuts into several tokens
    that must stay together (X-ray is not any `ray`).  _WORD lets no quote
    or backslash into a word, so the phrase needs no escaping."""
    return escape(word) if re.fullmatch(r"\w+", word) else f'"{word}"'


def split_words(text: str, cut: Callable[[str], Iterable[str]] | None = None) -> list:
    """(is_han, word) in reading order, Chinese by jieba's best cut (or
    `cut`): how a query is read, and how slugs.py spells a title."""
    cut = cut or (lambda run: _jieba().cut(run, HMM=False))
    words = []
    for is_han, run in _runs(text):
        words.extend((is_han, w) for w in (cut(run) if is_han else _WORD.findall(run)))
    return words


def _key_word(word: str) -> str:
    """How a word is compared with the synonym terms: case and a plural -s
    ignored (earthquakes, Earthquake)."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _key(words: Iterable[tuple[bool, str]]) -> tuple:
    return tuple(_key_word(w) for _, w in words)


@functools.cache
def _synonym_table() -> dict:
    """{key of a term: the other terms of every group holding it, then the
    narrower terms of those groups}."""
    table: dict = {}
    expansions = [(group, group) for group in synonyms.groups()] + [(g, g + terms) for g, terms in synonyms.narrower()]
    for group, wider in expansions:
        for term in group:
            key = _key(split_words(term))
            if key:
                table.setdefault(key, {}).update({t: None for t in wider if _key(split_words(t)) != key})
    return {key: tuple(terms) for key, terms in table.items()}


def _clause(is_han: bool, word: str) -> str:
    return _han_clause(word) if is_han else _latin_clause(word)


def _all_of(words: list[tuple[bool, str]]) -> str:
    """One clause requiring every word: a synonym term.  Latin words as a
    phrase (plant specimen, not plants and specimens anywhere in the
    record); Chinese words each required, since the index's extra pieces
    (cut_for_search) stand between them."""
    if len(words) > 1 and not any(is_han for is_han, _ in words):
        return _latin_clause(" ".join(w for _, w in words))
    if len(words) > 1 and all(is_han for is_han, _ in words):
        return _han_clause("".join(w for _, w in words))
    clauses = [_clause(*w) for w in words]
    return clauses[0] if len(clauses) == 1 else "({})".format(" ".join("+" + c for c in clauses))


def _longest_synonym(words: list, start: int):
    """(length, other terms) of the longest synonym term at words[start]."""
    table = _synonym_table()
    for end in range(len(words), start, -1):
        others = table.get(_key(words[start:end]))
        if others:
            return end - start, others
    return None


def query_clauses(text: str, expand: bool = True, cut: Callable[[str], Iterable[str]] | None = None) -> list:
    """A query typed by a person as Lucene clauses, one per word (or per
    synonym term, its alternatives ORed in), each required, for edismax to
    spread over the per-language fields.  `cut` replaces jieba's cut of a
    Chinese run (benchmarks/search/analysis.py sends runs whole to Solr's
    own Chinese analysers this way).

    Required explicitly rather than through `mm`: Solr applies mm to the
    inner clauses of a query that is one group, which would make both
    sides of 物理学 OR (物理 学) required."""
    words = split_words(text, cut)
    clauses, i = [], 0
    while i < len(words):
        match = _longest_synonym(words, i) if expand else None
        if match is None:
            clauses.append("+" + _clause(*words[i]))
            i += 1
            continue
        length, others = match
        alternatives = [_all_of(words[i : i + length])] + [_all_of(split_words(t, cut)) for t in others]
        clauses.append("+({})".format(" OR ".join(alternatives)))
        i += length
    return clauses


def is_solr_syntax(q: str) -> bool:
    """Whether a q uses Lucene syntax (fields, operators, phrases,
    wildcards…): such queries are the API user's and go to Solr untouched."""
    return bool(_SOLR_SYNTAX.search(q or ""))
