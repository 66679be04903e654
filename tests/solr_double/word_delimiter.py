"""WordDelimiterFilter / WordDelimiterGraphFilter emulation.

Follows Lucene's WordDelimiterIterator rules: subwords break at
delimiters (anything that is not a letter or digit), at lower->upper case
changes (splitOnCaseChange), and at letter<->digit changes
(splitOnNumerics); an UPPER->lower change does not break ("XMLParser" is
one subword). A trailing "'s" is dropped (stemEnglishPossessive).
Catenations are stacked on the position of the run's first part, which is
what FlattenGraphFilter leaves behind at index time.
"""

import unicodedata

from .analysis import FILTERS, bool_attr, register
from .errors import SchemaError

LOWER, UPPER, DIGIT, DELIM = 1, 2, 4, 8
ALPHA = LOWER | UPPER


def _char_type(ch):
    category = unicodedata.category(ch)
    if category == "Lu":
        return UPPER
    if category == "Ll":
        return LOWER
    if category[0] == "L" or category[0] == "M":
        return ALPHA  # letters without case (CJK ...) and combining marks
    if category == "Nd":
        return DIGIT
    return DELIM


class _Options:
    def __init__(self, attrs):
        flag = lambda name, default: bool_attr(attrs, name, default)
        self.word_parts = flag("generateWordParts", True)
        self.number_parts = flag("generateNumberParts", True)
        self.cat_words = flag("catenateWords", False)
        self.cat_numbers = flag("catenateNumbers", False)
        self.cat_all = flag("catenateAll", False)
        self.preserve = flag("preserveOriginal", False)
        self.case_change = flag("splitOnCaseChange", True)
        self.numerics = flag("splitOnNumerics", True)
        self.possessive = flag("stemEnglishPossessive", True)
        self.protected = set()


def _is_break(opts, last, cur):
    if cur & last:
        return False
    if not opts.case_change and last & ALPHA and cur & ALPHA:
        return False
    if last & UPPER and cur & ALPHA:
        return False
    if not opts.numerics and ((last & ALPHA and cur & DIGIT)
                              or (last & DIGIT and cur & ALPHA)):
        return False
    return True


def subwords(text, opts):
    """[(start, end, is_digit)] subword spans of `text`."""
    end = len(text)
    if (opts.possessive and end >= 3 and text[-2] == "'"
            and text[-1] in "sS" and _char_type(text[-3]) & ALPHA):
        end -= 2
    spans = []
    i = 0
    while i < end:
        kind = _char_type(text[i])
        if kind == DELIM:
            i += 1
            continue
        j = i + 1
        last = kind
        while j < end:
            cur = _char_type(text[j])
            if cur == DELIM or _is_break(opts, last, cur):
                break
            last = cur
            j += 1
        spans.append((i, j, kind == DIGIT))
        i = j
    return spans


def _catenations(parts, opts):
    """Catenated tokens: runs of word parts, runs of number parts, all."""
    out = []
    if opts.cat_all and len(parts) > 1:
        out.append((0, "".join(text for text, _ in parts)))
    for want_digit, enabled in ((False, opts.cat_words), (True, opts.cat_numbers)):
        if not enabled:
            continue
        i = 0
        while i < len(parts):
            if parts[i][1] != want_digit:
                i += 1
                continue
            j = i
            while j < len(parts) and parts[j][1] == want_digit:
                j += 1
            if j - i > 1 and not (opts.cat_all and j - i == len(parts)):
                out.append((i, "".join(text for text, _ in parts[i:j])))
            i = j
    return out


def split_token(tok, opts):
    """Tokens for one input token, with Lucene's position increments."""
    spans = subwords(tok.text, opts)
    if len(spans) == 1 and spans[0][:2] == (0, len(tok.text)):
        return [tok]  # nothing to split: the token passes unchanged
    parts = [(tok.text[s:e], digit) for s, e, digit in spans]
    stacked = {}  # part index -> catenations stacked at that position
    for index, text in _catenations(parts, opts):
        stacked.setdefault(index, []).append(text)
    out = [tok] if opts.preserve else []
    for index, (text, digit) in enumerate(parts):
        emit = opts.number_parts if digit else opts.word_parts
        group = ([text] if emit else []) + stacked.get(index, [])
        for k, value in enumerate(group):
            out.append(tok.derive(value, inc=0 if k else 1))
    if out:
        out[0] = out[0].derive(out[0].text, inc=tok.inc)
    if opts.preserve and len(out) > 1:
        out[1] = out[1].derive(out[1].text, inc=0)  # parts stack on the original
    return out


def _factory(attrs, loader):
    opts = _Options(attrs)
    if attrs.get("protected"):
        opts.protected = set(loader.lines(attrs["protected"]) or [])
    if attrs.get("types"):
        raise SchemaError("WordDelimiter 'types' attribute is not emulated "
                          "by the Solr double")

    def apply(tokens):
        out = []
        for tok in tokens:
            if tok.text in opts.protected:
                out.append(tok)
            else:
                out.extend(split_token(tok, opts))
        return out
    return apply


register(FILTERS, "WordDelimiterGraphFilterFactory",
         "WordDelimiterFilterFactory")(_factory)
