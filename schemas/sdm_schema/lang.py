"""Language tags and scripts for bilingual values (BCP 47: zh-Hans, zh-Hant, en).

Input arrives tagged `zh`, `zh-CN`, `cn`, `chi`… or not at all.  Tags are
normalised to the project's three; untagged text is classified by its script.
Traditional Chinese is kept under `zh-Hant` and also folded into `zh-Hans`
when no Simplified text was given, so every Chinese value can be searched and
shown in Simplified (docs/bilingual.md explains the rule).
"""
from __future__ import annotations

import functools
import re
from typing import Mapping, Optional

from sdm_schema.loader import LANGUAGES

SIMPLIFIED, TRADITIONAL, ENGLISH = "zh-Hans", "zh-Hant", "en"
#: Every tag a stored bilingual value may carry.
STORED_TAGS = LANGUAGES + (TRADITIONAL,)

_ALIASES = {
    SIMPLIFIED: {"zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg", "zh-hans-sg", "cn",
                 "chi", "zho", "chinese", "zh_cn", "zh_hans_cn", "zh_hans"},
    TRADITIONAL: {"zh-tw", "zh-hk", "zh-mo", "zh-hant", "zh-hant-tw", "zh-hant-hk",
                  "zh_tw", "zh_hant_tw", "zh_hant"},
    ENGLISH: {"en", "en-us", "en-gb", "en-au", "en-ca", "eng", "english", "en_us", "en_gb"},
}
_TAG_OF = {alias: tag for tag, aliases in _ALIASES.items() for alias in aliases}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalise_tag(tag) -> Optional[str]:
    """`zh-CN` → `zh-Hans`, `EN` → `en`; None for a tag the project does not carry."""
    if tag is None:
        return None
    return _TAG_OF.get(str(tag).strip().lower())


@functools.lru_cache(maxsize=None)
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
    changed_by_t2s = sum(a != b for a, b in zip(text, to_simplified(text)))
    changed_by_s2t = sum(a != b for a, b in zip(text, _converter("s2t").convert(text)))
    return changed_by_t2s > changed_by_s2t


def detect(text: str) -> str:
    """The tag of untagged text, by its script."""
    if has_han(text):
        return TRADITIONAL if is_traditional(text) else SIMPLIFIED
    return ENGLISH


def settle_chinese(values: Mapping[str, object], fold) -> dict:
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
    return {tag: out[tag] for tag in STORED_TAGS if tag in out}


def _as_text(value) -> str:
    return " ".join(value) if isinstance(value, (list, tuple)) else str(value)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def pick(values: Mapping, prefer: str):
    """A bilingual value in the preferred language, else in zh-Hans, en and
    zh-Hant in that order; None when every language is blank."""
    for tag in (prefer, *LANGUAGES, TRADITIONAL):
        if not _blank(values.get(tag)):
            return values[tag]
    return None


#: How a list of words is written out in each language.
_LIST_SEPARATORS = {SIMPLIFIED: "、", TRADITIONAL: "、", ENGLISH: ", "}


def join(items, tag: str) -> str:
    """A list of words as one phrase in the given language."""
    return _LIST_SEPARATORS.get(tag, ", ").join(items)


def untranslated_fields(record: Mapping, fields) -> list:
    """Bilingual fields of a record that have Chinese but no English."""
    missing = []
    for field in fields:
        value = record.get(field.name)
        if field.kind_type.translated and isinstance(value, Mapping):
            if (value.get(SIMPLIFIED) or value.get(TRADITIONAL)) and not value.get(ENGLISH):
                missing.append(field)
    return missing
