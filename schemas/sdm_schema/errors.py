"""Errors the schema's rules raise and report, with bilingual messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sdm_schema.loader import LANGUAGES


class Invalid(ValueError):
    """A value that breaks a rule; `messages` is {lang: text}."""

    def __init__(self, messages: Mapping[str, str]) -> None:
        super().__init__(messages.get("en", next(iter(messages.values()))))
        self.messages = dict(messages)

    def bilingual(self) -> str:
        return bilingual(self.messages)


@dataclass
class FieldError:
    """A broken rule, named after the field to change."""

    field: str
    messages: Mapping[str, str]

    def bilingual(self) -> str:
        return bilingual(self.messages)

    def __str__(self) -> str:
        return f"{self.field}: {self.messages.get('en')}"


def bilingual(messages: Mapping[str, str]) -> str:
    return " / ".join(messages[tag] for tag in LANGUAGES if tag in messages)
