"""Code lists: codes with zh-Hans/en labels, a stable URI and mappings."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterator, Mapping


def _fold(text: str) -> str:
    """Key under which a source's label is matched: case, spaces and
    full-width forms (ＣＳＶ, （英文）) ignored."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


@dataclass(frozen=True)
class Code:
    code: str
    label: Mapping[str, str]
    uri: str
    extra: Mapping[str, object] = field(default_factory=dict)
    #: other names sources and searchers use for the code (开放 for open)
    aliases: tuple = ()

    def get(self, key: str, default: object = None) -> object:
        """A mapping of the code to another vocabulary, e.g. eu_frequency."""
        return self.extra.get(key, default)


class CodeList:
    """One code list as defined in codelists/<name>.yaml."""

    def __init__(self, data: Mapping) -> None:
        self.name: str = data["name"]
        self.uri: str = data["uri"]
        self.label: Mapping[str, str] = data["label"]
        self.scheme_title: Mapping[str, str] = data.get("scheme_title", data["label"])
        self._codes: dict[str, Code] = {}
        self._by_label: dict[str, str] = {}
        for item in data["codes"]:
            code = str(item["code"])
            extra = {k: v for k, v in item.items() if k not in ("code", "label", "aliases")}
            self._codes[code] = Code(
                code, item["label"], self.uri + code, extra, tuple(str(a) for a in item.get("aliases", []))
            )
            for text in [code, *item["label"].values(), *item.get("aliases", [])]:
                self._by_label.setdefault(_fold(text), code)

    def __contains__(self, code: object) -> bool:
        return str(code) in self._codes

    def __iter__(self) -> Iterator[Code]:
        return iter(self._codes.values())

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, code: object) -> Code:
        return self._codes[str(code)]

    @property
    def codes(self) -> list[str]:
        return list(self._codes)

    def label_of(self, code: object, lang: str) -> str:
        return self._codes[str(code)].label[lang]

    def uri_of(self, code: object) -> str:
        return self._codes[str(code)].uri

    def code_for_uri(self, uri: str) -> str | None:
        if uri.startswith(self.uri) and uri[len(self.uri) :] in self._codes:
            return uri[len(self.uri) :]
        return None

    def lookup(self, text: object) -> str | None:
        """The code a source value stands for: a code, a zh/en label or an alias."""
        if text is None:
            return None
        return self._by_label.get(_fold(text))
