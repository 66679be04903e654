"""Language tags and scripts for multilingual values (BCP 47).

The catalogue's own languages are zh-Hans and en (plus zh-Hant, folded into
zh-Hans): they drive the UI and the English fallback.  Input arrives tagged
`zh`, `zh-CN`, `cn`, `chi`, `de-CH`, `es`… or not at all.  `canonical_tag`
maps aliases of the project's languages onto them and keeps every other
well-formed BCP 47 tag as it came (case normalised), so a German or Spanish
text stays German or Spanish.  Untagged text is tagged by `guess`: Chinese by
its script, other text by a small offline language identifier (py3langid),
and `und` (undetermined) when the text is too short to tell — a Latin-script
text is never called English unless it reads as English.
Traditional Chinese is kept under `zh-Hant` and also folded into `zh-Hans`
when no Simplified text was given, so every Chinese value can be searched and
shown in Simplified (docs/bilingual.md explains the rule).
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, Mapping

from sdm_schema.loader import LANGUAGES

SIMPLIFIED, TRADITIONAL, ENGLISH = "zh-Hans", "zh-Hant", "en"
#: BCP 47's tag for text whose language could not be determined.
UNDETERMINED = "und"
#: Every tag a stored bilingual value may carry.
STORED_TAGS = LANGUAGES + (TRADITIONAL,)

_ALIASES = {
    SIMPLIFIED: {
        "zh",
        "zh-cn",
        "zh-hans",
        "zh-hans-cn",
        "zh-sg",
        "zh-hans-sg",
        "cn",
        "chi",
        "zho",
        "chinese",
        "zh_cn",
        "zh_hans_cn",
        "zh_hans",
    },
    TRADITIONAL: {"zh-tw", "zh-hk", "zh-mo", "zh-hant", "zh-hant-tw", "zh-hant-hk", "zh_tw", "zh_hant_tw", "zh_hant"},
    ENGLISH: {"en", "en-us", "en-gb", "en-au", "en-ca", "eng", "english", "en_us", "en_gb"},
}
_TAG_OF = {alias: tag for tag, aliases in _ALIASES.items() for alias in aliases}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalise_tag(tag: object) -> str | None:
    """`zh-CN` → `zh-Hans`, `EN` → `en`; None for a tag that is none of the
    catalogue's own languages (see canonical_tag for every other one)."""
    if tag is None:
        return None
    return _TAG_OF.get(str(tag).strip().lower())


# language[-script][-region][-variant…]; private use and extensions too
_BCP47 = re.compile(
    r"^[a-z]{2,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?(?:-[a-z0-9]{5,8}|-\d[a-z0-9]{3})*"
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?$"
)


def canonical_tag(tag: object) -> str | None:
    """Any language tag as the catalogue keeps it: the project's own tag for
    one of its languages (`zh-CN` → `zh-Hans`), every other well-formed
    BCP 47 tag with the case BCP 47 recommends (`DE-ch` → `de-CH`,
    `sr-latn` → `sr-Latn`); None when the tag is not BCP 47 at all."""
    if tag is None:
        return None
    own = normalise_tag(tag)
    if own:
        return own
    text = str(tag).strip().replace("_", "-").lower()
    if not _BCP47.match(text):
        return None
    parts = text.split("-")
    out = [parts[0]]
    for part in parts[1:]:
        if out[-1] == "x" or "x" in out:
            out.append(part)
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part)
    return "-".join(out)


def is_own(tag: str) -> bool:
    """Whether a tag is one of the catalogue's own languages."""
    return tag in STORED_TAGS


def is_chinese(tag: str) -> bool:
    return tag == "zh" or str(tag).startswith(("zh-", "yue", "lzh", "wuu"))


@functools.cache
def _converter(config: str):
    import opencc  # imported late: loading its dictionaries takes a moment

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Fold Traditional characters to Simplified (opencc t2s)."""
    return _converter("t2s").convert(text)


def has_han(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def is_traditional(text: str) -> bool:
    """Whether Chinese text is written in Traditional characters.

    Text whose characters are the same in both scripts counts as Simplified.
    """
    if not has_han(text):
        return False
    changed_by_t2s = sum(a != b for a, b in zip(text, to_simplified(text), strict=False))
    changed_by_s2t = sum(a != b for a, b in zip(text, _converter("s2t").convert(text), strict=False))
    return changed_by_t2s > changed_by_s2t


def detect(text: str) -> str:
    """The catalogue language closest to untagged text, by its script alone
    (Chinese, else English): for choosing a search analyser or a UI
    language, never for labelling data (use `guess`)."""
    if has_han(text):
        return TRADITIONAL if is_traditional(text) else SIMPLIFIED
    return ENGLISH


#: Below this many letters an identifier's answer is a guess about noise.
_GUESS_MIN_LETTERS = 12
#: How sure the identifier must be before a text is labelled with a language.
_GUESS_MIN_PROBABILITY = 0.75
#: The languages a guess chooses from: those open-data catalogues are
#: written in.  Among all 97 of the model, short titles scatter over
#: languages nobody catalogues in and no answer is ever sure.
GUESS_LANGUAGES = (
    "en",
    "de",
    "fr",
    "es",
    "it",
    "nl",
    "pt",
    "da",
    "sv",
    "no",
    "fi",
    "pl",
    "cs",
    "ca",
    "ru",
    "ja",
    "ko",
    "el",
    "hu",
    "ro",
    "tr",
    "et",
    "lv",
    "lt",
    "sk",
    "sl",
    "hr",
    "bg",
)


@functools.lru_cache(maxsize=1)
def _identifier():
    # imported late: the model (a few MB, shipped in the package) loads once
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(GUESS_LANGUAGES))
    return identifier


@functools.lru_cache(maxsize=4096)
def guess(text: str) -> str:
    """The language tag of untagged text.

    Chinese by its script; other text by py3langid when the text is long
    enough and the identifier sure enough, else `und`.  So "Luftqualität in
    Hamburg" is `de`, "Air quality in Hamburg" is `en` and "CO2" is `und`.
    """
    if has_han(text):
        return TRADITIONAL if is_traditional(text) else SIMPLIFIED
    letters = sum(c.isalpha() for c in text or "")
    if letters < _GUESS_MIN_LETTERS:
        return UNDETERMINED
    found, probability = _identifier().classify(text)
    if probability < _GUESS_MIN_PROBABILITY:
        return UNDETERMINED
    return canonical_tag(found) or UNDETERMINED


def settle_chinese(values: Mapping[str, object], fold: Callable[[object], object]) -> dict:
    """Apply the Traditional-Chinese rule to a {tag: value} dict.

    Traditional text given as Simplified moves to `zh-Hant`; when there is no
    Simplified value, one is folded from the Traditional.  `fold` turns a
    value (text or list of texts) into its Simplified form.
    """
    out = dict(values)
    hans = out.get(SIMPLIFIED)
    if hans is not None and is_traditional(_as_text(hans)):
        out.setdefault(TRADITIONAL, hans)
        out[SIMPLIFIED] = fold(hans)
    if TRADITIONAL in out and SIMPLIFIED not in out:
        out[SIMPLIFIED] = fold(out[TRADITIONAL])
    # the catalogue's own languages first, every other language kept after them
    return {
        **{tag: out[tag] for tag in STORED_TAGS if tag in out},
        **{tag: out[tag] for tag in sorted(out) if tag not in STORED_TAGS},
    }


def _as_text(value: object) -> str:
    return " ".join(value) if isinstance(value, (list, tuple)) else str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def pick(values: Mapping, prefer: str) -> object:
    """A multilingual value in the preferred language, else in zh-Hans, en
    and zh-Hant in that order, else in any other language it has; None when
    every language is blank."""
    for tag in (prefer, *LANGUAGES, TRADITIONAL, *sorted(values)):
        if not _blank(values.get(tag)):
            return values[tag]
    return None


def only_chinese(values: Mapping) -> bool:
    """Whether a multilingual value has text, all of it in Chinese."""
    tags = [tag for tag, value in (values or {}).items() if not _blank(value)]
    return bool(tags) and all(is_chinese(tag) for tag in tags)


#: How a list of words is written out in each language.
_LIST_SEPARATORS = {SIMPLIFIED: "、", TRADITIONAL: "、", ENGLISH: ", "}


def join(items: Iterable[str], tag: str) -> str:
    """A list of words as one phrase in the given language."""
    return _LIST_SEPARATORS.get(tag, ", ").join(items)


def untranslated_fields(record: Mapping, fields: Iterable) -> list:
    """Bilingual fields of a record that have Chinese but no English."""
    missing = []
    for field in fields:
        value = record.get(field.name)
        if field.kind_type.translated and isinstance(value, Mapping):
            if (value.get(SIMPLIFIED) or value.get(TRADITIONAL)) and not value.get(ENGLISH):
                missing.append(field)
    return missing
