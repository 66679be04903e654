"""Script classification and the CJK filters (CJKWidth, CJKBigram)."""

import unicodedata

from .analysis import FILTERS, Token, bool_attr, register

_HAN_RANGES = (
    (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF),
)
_HIRAGANA_RANGES = ((0x3041, 0x309F),)
_KATAKANA_RANGES = (
    (0x30A0, 0x30FF), (0x31F0, 0x31FF), (0x32D0, 0x32FE), (0x3300, 0x3357),
    (0xFF66, 0xFF9F),
)
_HANGUL_RANGES = (
    (0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF),
    (0xD7B0, 0xD7FF), (0xFFA0, 0xFFDC),
)


def _in(ranges, code):
    return any(lo <= code <= hi for lo, hi in ranges)


def script(ch):
    """'han', 'hiragana', 'katakana', 'hangul' or None."""
    code = ord(ch)
    if code < 0x1100:
        return None
    if _in(_HAN_RANGES, code):
        return "han"
    if _in(_HIRAGANA_RANGES, code):
        return "hiragana"
    if _in(_KATAKANA_RANGES, code):
        return "katakana"
    if _in(_HANGUL_RANGES, code):
        return "hangul"
    return None


# StandardTokenizer token types for CJK, as Lucene names them.
TOKEN_TYPES = {
    "han": "<IDEOGRAPHIC>", "hiragana": "<HIRAGANA>",
    "katakana": "<KATAKANA>", "hangul": "<HANGUL>",
}


def _width_fold(ch):
    code = ord(ch)
    # Full-width ASCII variants and half-width Katakana fold, as
    # CJKWidthFilter does; NFKC gives exactly those mappings here.
    if 0xFF01 <= code <= 0xFF5E or 0xFF65 <= code <= 0xFF9F:
        return unicodedata.normalize("NFKC", ch)
    return ch


@register(FILTERS, "CJKWidthFilterFactory")
def cjk_width(attrs, loader):
    def apply(tokens):
        out = []
        for tok in tokens:
            text = "".join(_width_fold(ch) for ch in tok.text)
            # A half-width voiced mark composes with the previous kana.
            text = unicodedata.normalize("NFC", text)
            out.append(tok.derive(text))
        return out
    return apply


@register(FILTERS, "CJKBigramFilterFactory")
def cjk_bigram(attrs, loader):
    enabled = {s for s in ("han", "hiragana", "katakana", "hangul")
               if bool_attr(attrs, s, True)}
    unigrams = bool_attr(attrs, "outputUnigrams", False)

    cjk_types = {TOKEN_TYPES[s] for s in enabled}

    def is_cjk(tok):
        return tok.type in cjk_types

    def apply(tokens):
        out = []
        run = []  # (char, start, end, inc) of adjacent CJK characters
        last_end = None
        for tok in tokens:
            if not is_cjk(tok):
                out.extend(_flush(run, unigrams))
                run = []
                out.append(tok)
                last_end = None
                continue
            # Characters only pair when nothing separates them in the text.
            if last_end is not None and tok.start != last_end:
                out.extend(_flush(run, unigrams))
                run = []
            offset = tok.start
            for i, ch in enumerate(tok.text):
                run.append((ch, offset, offset + 1, tok.inc if i == 0 else 1))
                offset += 1
            last_end = tok.end
        out.extend(_flush(run, unigrams))
        return out
    return apply


def _flush(run, unigrams):
    """Bigrams of a run of CJK characters; a lone character stays a unigram."""
    if len(run) == 1:
        ch, start, end, inc = run[0]
        return [_token(ch, start, end, inc, "<SINGLE>")]
    out = []
    for i in range(len(run) - 1):
        (a, start, _, inc), (b, _, end, _) = run[i], run[i + 1]
        if unigrams:
            out.append(_token(a, start, start + 1, inc, "<SINGLE>"))
            out.append(_token(a + b, start, end, 0, "<DOUBLE>"))
        else:
            out.append(_token(a + b, start, end, inc, "<DOUBLE>"))
    if unigrams and run:
        ch, start, end, _ = run[-1]
        out.append(_token(ch, start, end, 1, "<SINGLE>"))
    return out


def _token(text, start, end, inc, kind):
    return Token(text=text, inc=inc, start=start, end=end, type=kind)
