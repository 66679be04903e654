"""Token filter factories (everything except word delimiting and CJK)."""

import functools
import re
import unicodedata

import snowballstemmer

from .analysis import FILTERS, bool_attr, int_attr, register
from .errors import SchemaError

# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, which StopFilterFactory
# uses when no words file is given.
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such "
    "that the their then there these they this to was will with".split())


def _mapper(fn):
    """A filter that rewrites each token's text independently."""
    def apply(tokens):
        out = []
        for tok in tokens:
            text = fn(tok.text)
            out.append(tok if text == tok.text else tok.derive(text))
        return out
    return apply


@register(FILTERS, "LowerCaseFilterFactory")
def lower_case(attrs, loader):
    return _mapper(str.lower)


@register(FILTERS, "TrimFilterFactory")
def trim(attrs, loader):
    return _mapper(str.strip)


@register(FILTERS, "FlattenGraphFilterFactory")
def flatten_graph(attrs, loader):
    # Token lists here are already flat: stacked tokens have increment 0.
    return lambda tokens: tokens


@register(FILTERS, "RemoveDuplicatesTokenFilterFactory")
def remove_duplicates(attrs, loader):
    def apply(tokens):
        out, seen = [], set()
        for tok in tokens:
            if tok.inc > 0:
                seen = set()
            if tok.text not in seen:
                seen.add(tok.text)
                out.append(tok)
        return out
    return apply


def _drop(tokens, keep):
    """Remove tokens for which keep() is false, preserving position gaps."""
    out, carried = [], 0
    for tok in tokens:
        if keep(tok):
            out.append(tok.derive(tok.text, inc=tok.inc + carried))
            carried = 0
        else:
            carried += tok.inc
    return out


def _word_list(attrs, loader):
    """Stop words from the `words` attribute's files (None if absent)."""
    if not attrs.get("words"):
        return None
    lines = loader.lines(attrs["words"])
    if lines is None:
        return None
    if attrs.get("format") == "snowball":
        words = []
        for line in lines:
            words.extend(line.split("|", 1)[0].split())
        return words
    return lines


@register(FILTERS, "StopFilterFactory")
def stop(attrs, loader):
    ignore_case = bool_attr(attrs, "ignoreCase", False)
    words = _word_list(attrs, loader)
    stopset = set(ENGLISH_STOP_WORDS if words is None else words)
    if ignore_case:
        stopset = {w.lower() for w in stopset}

    def keep(tok):
        text = tok.text.lower() if ignore_case else tok.text
        return text not in stopset
    return lambda tokens: _drop(tokens, keep)


# --- stemming ------------------------------------------------------------

def _stem_filter(algorithm, attrs, loader):
    stemmer = snowballstemmer.stemmer(algorithm)
    protected = set(loader.lines(attrs["protected"]) or []) \
        if attrs.get("protected") else set()

    # Stemming is pure and dominates indexing time: memoise it.
    @functools.lru_cache(maxsize=65536)
    def stem(text):
        return text if text in protected else stemmer.stemWord(text)
    return _mapper(stem)


_SNOWBALL_LANGUAGES = {"german2": "german", "kp": "dutch"}


@register(FILTERS, "SnowballPorterFilterFactory")
def snowball_porter(attrs, loader):
    language = attrs.get("language", "English").lower()
    language = _SNOWBALL_LANGUAGES.get(language, language)
    if language not in snowballstemmer.algorithms():
        raise SchemaError("Snowball language %r is not available" % language)
    return _stem_filter(language, attrs, loader)


@register(FILTERS, "PorterStemFilterFactory")
def porter_stem(attrs, loader):
    return _stem_filter("porter", attrs, loader)


@register(FILTERS, "KStemFilterFactory")
def kstem(attrs, loader):
    # Approximation: KStem is a lighter, dictionary-backed stemmer; the
    # double uses the Porter algorithm instead (documented in README).
    return _stem_filter("porter", attrs, loader)


_POSSESSIVE = re.compile("['\u2019\uff07][sS]$")


@register(FILTERS, "EnglishPossessiveFilterFactory")
def english_possessive(attrs, loader):
    return _mapper(lambda text: _POSSESSIVE.sub("", text))


# --- character folding -------------------------------------------------

# Letters that ASCIIFoldingFilter folds but Unicode does not decompose.
_FOLD_SPECIAL = {
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o",
    "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH",
    "ð": "d", "Ð": "D", "ı": "i", "ĸ": "q", "ŋ": "n", "Ŋ": "N", "ſ": "s",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-",
}


def _ascii_fold_char(ch):
    if ord(ch) < 128:
        return ch
    if ch in _FOLD_SPECIAL:
        return _FOLD_SPECIAL[ch]
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", ch)
                         if not unicodedata.combining(c))
    # Only fold when the result is plain ASCII: CJK, Hangul etc. stay.
    if decomposed and all(ord(c) < 128 for c in decomposed):
        return decomposed
    return ch


def ascii_fold(text):
    return "".join(_ascii_fold_char(ch) for ch in text)


@register(FILTERS, "ASCIIFoldingFilterFactory")
def ascii_folding(attrs, loader):
    preserve = bool_attr(attrs, "preserveOriginal", False)

    def apply(tokens):
        out = []
        for tok in tokens:
            folded = ascii_fold(tok.text)
            if preserve and folded != tok.text:
                out.append(tok)
                out.append(tok.derive(folded, inc=0))
            else:
                out.append(tok.derive(folded))
        return out
    return apply


def icu_fold(text):
    """Approximation of ICU folding: NFKC, case folding, Latin accents off."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not 0x300 <= ord(c) <= 0x36F)
    return unicodedata.normalize("NFKC", stripped.casefold())


@register(FILTERS, "ICUFoldingFilterFactory")
def icu_folding(attrs, loader):
    return _mapper(icu_fold)


# --- pattern replace ---------------------------------------------------

def _java_replacement(replacement):
    """Java's "$1" group references -> Python's "\\g<1>"."""
    return re.sub(r"\$(\d+)", r"\\g<\1>", replacement.replace("\\", "\\\\"))


@register(FILTERS, "PatternReplaceFilterFactory")
def pattern_replace(attrs, loader):
    pattern = re.compile(attrs["pattern"])
    replacement = _java_replacement(attrs.get("replacement", ""))
    count = 1 if attrs.get("replace", "all") == "first" else 0
    return _mapper(lambda text: pattern.sub(replacement, text, count=count))


# --- synonyms ----------------------------------------------------------

def _parse_synonyms(lines, expand, ignore_case):
    """Solr synonym file -> {word: [replacement words]} (single words only)."""
    norm = str.lower if ignore_case else (lambda s: s)
    mapping = {}
    for line in lines:
        if "=>" in line:
            left, right = line.split("=>", 1)
            sources = _synonym_words(left)
            targets = _synonym_words(right)
        else:
            sources = _synonym_words(line)
            targets = sources if expand else sources[:1]
        for source in sources:
            mapping.setdefault(norm(source), [])
            for target in targets:
                if target not in mapping[norm(source)]:
                    mapping[norm(source)].append(target)
    return mapping


def _synonym_words(part):
    words = [w.strip() for w in part.split(",") if w.strip()]
    if any(len(w.split()) > 1 for w in words):
        raise SchemaError("multi-word synonyms are not emulated by the Solr "
                          "double: %r" % part)
    return words


@register(FILTERS, "SynonymGraphFilterFactory", "SynonymFilterFactory")
def synonyms(attrs, loader):
    if attrs.get("format") not in (None, "solr"):
        raise SchemaError("synonym format %r is not emulated" % attrs["format"])
    ignore_case = bool_attr(attrs, "ignoreCase", False)
    lines = loader.lines(attrs.get("synonyms", "")) or []
    mapping = _parse_synonyms(lines, bool_attr(attrs, "expand", True),
                              ignore_case)

    def apply(tokens):
        out = []
        for tok in tokens:
            key = tok.text.lower() if ignore_case else tok.text
            if key not in mapping:
                out.append(tok)
                continue
            for k, word in enumerate(mapping[key]):
                out.append(tok.derive(word, inc=tok.inc if k == 0 else 0,
                                      type="SYNONYM"))
        return out
    return apply


# --- n-gram filters ----------------------------------------------------

def _gram_filter(attrs, edge):
    lo = int_attr(attrs, "minGramSize", 1)
    hi = int_attr(attrs, "maxGramSize", 1 if edge else 2)
    preserve = bool_attr(attrs, "preserveOriginal", False)

    def grams(text):
        starts = [0] if edge else range(len(text))
        return [text[s:s + n] for s in starts
                for n in range(lo, hi + 1) if s + n <= len(text)]

    def apply(tokens):
        out, carried = [], 0
        for tok in tokens:
            texts = grams(tok.text)
            if preserve and tok.text not in texts:
                texts.append(tok.text)
            if not texts:  # too short: dropped, its position gap kept
                carried += tok.inc
                continue
            # All grams of a token share its position, as in Lucene >= 4.4.
            for k, text in enumerate(texts):
                out.append(tok.derive(text, inc=tok.inc + carried if k == 0 else 0))
            carried = 0
        return out
    return apply


@register(FILTERS, "NGramFilterFactory")
def ngram_filter(attrs, loader):
    return _gram_filter(attrs, edge=False)


@register(FILTERS, "EdgeNGramFilterFactory")
def edge_ngram_filter(attrs, loader):
    return _gram_filter(attrs, edge=True)
