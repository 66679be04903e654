"""File formats and media types: the EU file-type and IANA IRIs the feeds
write, from the table in file_types.yaml.

Sources write a format as `CSV`, `.csv`, `text/csv`, an EU file-type IRI, an
IANA IRI or a national vocabulary's IRI.  `lookup` finds the table's entry for
any of the first five; a value it does not know is published as it came, so
no file-type IRI is ever made up from a name.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Mapping

from sdm_schema.codelist import _fold
from sdm_schema.loader import load_yaml

EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "https://www.iana.org/assignments/media-types/"
_IANA_PREFIXES = (IANA, "http://www.iana.org/assignments/media-types/")
# type/subtype as RFC 6838 names them, without parameters
_MEDIA_TYPE = re.compile(
    r"^(?:application|audio|font|image|message|model|multipart|text|video)"
    r"/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
)


@functools.cache
def _table() -> dict:
    with open(os.path.join(os.path.dirname(__file__), "file_types.yaml"), encoding="utf-8") as f:
        entries = load_yaml(f)
    out = {}
    for entry in entries:
        for key in (entry["eu"], entry.get("media_type"), *entry.get("aliases", ())):
            if key:
                out.setdefault(_fold(key), entry)
    return out


def lookup(value: object) -> Mapping | None:
    """The table's entry for a format name, extension, media type or IRI."""
    if not value:
        return None
    text = str(value).strip()
    for prefix in (EU_FILE_TYPE, *_IANA_PREFIXES):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return _table().get(_fold(text.lstrip(".").split(";")[0]))


def eu_iri(entry: Mapping) -> str:
    return EU_FILE_TYPE + entry["eu"]


def is_media_type(value: object) -> bool:
    return bool(_MEDIA_TYPE.match(str(value).strip()))


def iana_iri(media_type: str) -> str:
    return IANA + str(media_type).strip().lower()


def code_of_iri(value: str) -> str | None:
    """The EU code of an EU file-type IRI the table knows; None otherwise."""
    if value.startswith(EU_FILE_TYPE):
        entry = lookup(value)
        return entry["eu"] if entry else None
    return None


def media_type_of(value: str) -> str:
    """type/subtype from an IANA IRI; any other value as it is."""
    for prefix in _IANA_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value
