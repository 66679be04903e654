"""Tokenizer factories: Whitespace, Keyword, Standard (UAX#29), (Edge)NGram."""

import unicodedata

from . import cjk
from .analysis import TOKENIZERS, Token, int_attr, register

MAX_TOKEN_LENGTH = 255

# Java's Character.isWhitespace excludes the no-break spaces.
_NOT_JAVA_SPACE = {"\u00a0", "\u2007", "\u202f"}


def _is_java_space(ch):
    return ch.isspace() and ch not in _NOT_JAVA_SPACE


def _chunks(text, start, end, max_len):
    """Split an over-long token the way Lucene's tokenizers do."""
    while end - start > max_len:
        yield start, start + max_len
        start += max_len
    yield start, end


@register(TOKENIZERS, "WhitespaceTokenizerFactory")
def whitespace(attrs, loader):
    max_len = int_attr(attrs, "maxTokenLen", MAX_TOKEN_LENGTH)

    def tokenize(text):
        tokens = []
        i, n = 0, len(text)
        while i < n:
            if _is_java_space(text[i]):
                i += 1
                continue
            j = i
            while j < n and not _is_java_space(text[j]):
                j += 1
            for s, e in _chunks(text, i, j, max_len):
                tokens.append(Token(text[s:e], 1, s, e))
            i = j
        return tokens
    return tokenize


@register(TOKENIZERS, "KeywordTokenizerFactory")
def keyword(attrs, loader):
    def tokenize(text):
        return [Token(text, 1, 0, len(text))] if text else []
    return tokenize


# --- StandardTokenizer: a compact emulation of the UAX#29 word rules -----

_MID_LETTER = set(":\u00b7\u0387\u05f4\u2027\ufe13\ufe55\uff1a")
_MID_NUM_LET = set(".'\u2018\u2019\u2024\ufe52\uff07\uff0e")
_MID_NUM = set(",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14"
               "\ufe50\ufe54\uff0c\uff1b")


def _word_class(ch):
    """Word-break class: letter, digit, extend, extendnumlet, mid*, other."""
    if ch in _MID_LETTER:
        return "midletter"
    if ch in _MID_NUM_LET:
        return "midnumlet"
    if ch in _MID_NUM:
        return "midnum"
    category = unicodedata.category(ch)
    if category == "Nd":
        return "digit"
    if category[0] == "L":
        return "letter"
    if category[0] == "M":
        return "extend"
    if category == "Pc":
        return "extendnumlet"
    return "other"


def _joins(prev, mid, nxt):
    """May `mid` glue `prev` and `nxt` into one word (rules WB6/7, WB11/12)?"""
    if prev == nxt == "letter":
        return mid in ("midletter", "midnumlet")
    if prev == nxt == "digit":
        return mid in ("midnum", "midnumlet")
    return False


def _scan_word(text, i):
    """End index of the word starting at i (letters, digits, connectors)."""
    n = len(text)
    j = i
    last = None
    while j < n:
        ch = text[j]
        if cjk.script(ch) in ("han", "hiragana", "katakana"):
            break
        kind = _word_class(ch)
        if kind in ("letter", "digit", "extendnumlet"):
            last = kind
            j += 1
        elif kind == "extend":
            j += 1
        elif (kind.startswith("mid") and j + 1 < n and last is not None
              and not cjk.script(text[j + 1])
              and _joins(last, kind, _word_class(text[j + 1]))):
            j += 1
        else:
            break
    return j


def _scan_katakana(text, i):
    j = i
    while j < len(text) and (cjk.script(text[j]) == "katakana"
                             or _word_class(text[j]) in ("extend", "extendnumlet")):
        j += 1
    return j


def _word_type(word):
    if any(cjk.script(ch) == "hangul" for ch in word):
        return "<HANGUL>"
    if all(_word_class(ch) in ("digit", "midnum", "midnumlet") for ch in word):
        return "<NUM>"
    return "<ALPHANUM>"


def _skip_extend(text, j):
    while j < len(text) and _word_class(text[j]) == "extend":
        j += 1
    return j


def standard_tokens(text, max_len=MAX_TOKEN_LENGTH):
    """Split `text` the way Lucene's StandardTokenizer does, approximately.

    Latin (and other alphabetic) words and numbers stay whole, including
    inner apostrophes / dots ("don't", "3.14", "example.com"); every Han
    ideograph and every Hiragana character is its own token; Katakana and
    Hangul runs stay together; punctuation and symbols are dropped.
    """
    tokens = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        kind = cjk.script(ch)
        if kind in ("han", "hiragana"):
            j = _skip_extend(text, i + 1)
            token_type = cjk.TOKEN_TYPES[kind]
        elif kind == "katakana":
            j = _scan_katakana(text, i)
            token_type = "<KATAKANA>"
        elif _word_class(ch) in ("letter", "digit", "extendnumlet"):
            j = _scan_word(text, i)
            word = text[i:j]
            if not any(_word_class(c) in ("letter", "digit") for c in word):
                i = j
                continue
            token_type = _word_type(word)
        else:
            i += 1
            continue
        for s, e in _chunks(text, i, j, max_len):
            tokens.append(Token(text[s:e], 1, s, e, token_type))
        i = j
    return tokens


@register(TOKENIZERS, "StandardTokenizerFactory")
def standard(attrs, loader):
    max_len = int_attr(attrs, "maxTokenLength", MAX_TOKEN_LENGTH)
    return lambda text: standard_tokens(text, max_len)


# --- n-gram tokenizers ----------------------------------------------------

@register(TOKENIZERS, "NGramTokenizerFactory")
def ngram(attrs, loader):
    lo = int_attr(attrs, "minGramSize", 1)
    hi = int_attr(attrs, "maxGramSize", 2)

    def tokenize(text):
        # Lucene (>= 4.4) emits grams ordered by start offset, then length.
        return [Token(text[s:s + size], 1, s, s + size, "word")
                for s in range(len(text))
                for size in range(lo, hi + 1) if s + size <= len(text)]
    return tokenize


@register(TOKENIZERS, "EdgeNGramTokenizerFactory")
def edge_ngram(attrs, loader):
    lo = int_attr(attrs, "minGramSize", 1)
    hi = int_attr(attrs, "maxGramSize", 1)

    def tokenize(text):
        return [Token(text[:size], 1, 0, size, "word")
                for size in range(lo, min(hi, len(text)) + 1)]
    return tokenize
