"""The one disclosure policy: what each audience may see of a dataset.

Every door out of the catalogue asks this module: CKAN's auth functions, the
search index, the pages, the CKAN DCAT endpoints and the harvester's
published feeds.  It imports nothing from CKAN.

Audiences:
  public         anyone on the web, the public pages and API, search engines
  government     provincial and national platforms (the national feed)
  international  international portals (the DCAT-AP feed)

The rules (docs/disclosure.md explains each and the requirement behind it):
  1. Classified (涉密) data never leaves: invisible to every audience (R2).
     `is_classified` is the one definition, the harvester's too.
  2. Not-open data and core-grade data stay out of the international feed
     (R2; Data-20 cross-border rules for core data).
  3. Files and download URLs are shown only for data open without
     conditions whose disclosure is public: deferred data shows its metadata
     and embargo date, conditional and not-open data their conditions (R2, R4).
  4. A deferred embargo ends by itself on its date, even before
     `ckan sdm lift-embargoes` records it (R4).
  5. Some fields are for domestic audiences only (see HIDDEN_FIELDS).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

PUBLIC, GOVERNMENT, INTERNATIONAL = "public", "government", "international"
AUDIENCES = (PUBLIC, GOVERNMENT, INTERNATIONAL)

#: What a 涉密 marking is made of besides the attribute: 密级★期限, ★解密时间
#: or ★解密条件.  Empty unless the dataset is marked classified (rules.py).
CLASSIFICATION_DETAIL = ("secrecy_level", "secrecy_period_years", "declassify_date", "declassify_condition")
_CLASSIFICATION_DETAIL = frozenset(CLASSIFICATION_DETAIL)
#: What only the responsible unit (its members, sysadmins) sees of its own
#: datasets: the harvester's notes on what it found wrong, raw values
#: included.  No feed carries them (rdf.dcat.QualityFlagsRule).
UNIT_ONLY_FIELDS = frozenset({"quality_flags"})
#: Fields an audience never sees, even of a visible dataset.
HIDDEN_FIELDS: Mapping[str, frozenset] = {
    PUBLIC: _CLASSIFICATION_DETAIL,
    GOVERNMENT: _CLASSIFICATION_DETAIL,
    # grade and government-to-government sharing are domestic matters
    INTERNATIONAL: _CLASSIFICATION_DETAIL | {"data_grade", "sharing_attribute", "sharing_condition"},
}

# Reasons, as codes; sdm_schema's messages and the docs explain them.
CLASSIFIED = "classified"
NOT_OPEN = "not_open"
CORE_GRADE = "core_grade"
CONDITIONAL = "conditional"
DEFERRED = "deferred"


@dataclass(frozen=True)
class Decision:
    """What one audience may see of one dataset."""

    visible: bool
    resources: bool
    hidden_fields: frozenset
    reason: str | None = None

    def field_visible(self, name: str) -> bool:
        return self.visible and name not in self.hidden_fields


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _given(value: object) -> bool:
    return value not in (None, "", [], {})


def marked_classified(dataset: Mapping) -> bool:
    """Whether the secrecy attribute says 涉密; a missing attribute reads as
    its default, unclassified."""
    return dataset.get("secrecy", "unclassified") != "unclassified"


def classification_details(dataset: Mapping) -> list:
    """The classification details a dataset gives (secrecy level, term)."""
    return [name for name in CLASSIFICATION_DETAIL if _given(dataset.get(name))]


def is_classified(dataset: Mapping) -> bool:
    """The one definition of 涉密, for every door and for the harvester.

    Marked classified, or giving any classification detail: a record that
    names a secrecy level while saying "unclassified" contradicts itself
    (the rules refuse it), and the stricter reading keeps it home.
    """
    return marked_classified(dataset) or bool(classification_details(dataset))


def declassified(record: Mapping) -> dict:
    """The record to save when it says "unclassified": its classification
    detail emptied.  Declassifying means the detail no longer applies, and a
    form that only hides those fields must not keep them (the policy reads
    leftover detail as classified, the rules refuse it)."""
    if record.get("secrecy") != "unclassified":
        return dict(record)
    # emptied, as the form sends a field left blank, so every path saves the same
    return {**record, **{name: "" for name in CLASSIFICATION_DETAIL}}


def embargo_end(dataset: Mapping) -> dt.date | None:
    """The day a deferred disclosure ends; None when the dataset is not
    deferred or gives no readable date."""
    if dataset.get("disclosure") != "deferred":
        return None
    try:
        return dt.date.fromisoformat(str(dataset.get("embargo_until") or "")[:10])
    except ValueError:
        return None


def embargo_active(dataset: Mapping, today: dt.date | None = None) -> bool:
    """Whether a deferred dataset's files are still withheld.  Deferred
    without a (readable) date: withheld until someone sets one."""
    if dataset.get("disclosure") != "deferred":
        return False
    end = embargo_end(dataset)
    return end is None or end > _today(today)


def decide(dataset: Mapping, audience: str, today: dt.date | None = None) -> Decision:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; expected one of {AUDIENCES}")
    hidden = HIDDEN_FIELDS[audience]
    if is_classified(dataset):
        return Decision(False, False, hidden, CLASSIFIED)
    open_attribute = dataset.get("open_attribute") or "unconditional"
    if audience == INTERNATIONAL:
        if open_attribute == "not_open":
            return Decision(False, False, hidden, NOT_OPEN)
        if dataset.get("data_grade") == "core":
            return Decision(False, False, hidden, CORE_GRADE)
    if open_attribute != "unconditional":
        return Decision(True, False, hidden, CONDITIONAL if open_attribute == "conditional" else NOT_OPEN)
    if embargo_active(dataset, today):
        return Decision(True, False, hidden, DEFERRED)
    return Decision(True, True, hidden)


def access_eligible(dataset: Mapping, today: dt.date | None = None) -> bool:
    """Whether the public may apply for a dataset's files: it is visible,
    and open on conditions or offered as a customised service."""
    if not decide(dataset, PUBLIC, today).visible:
        return False
    customised = "customised_service" in (dataset.get("access_methods") or [])
    return dataset.get("open_attribute") == "conditional" or customised


def redact(dataset: Mapping, audience: str, today: dt.date | None = None) -> dict | None:
    """The dataset as the audience may see it; None when it may not see it.

    Withheld files are dropped with their URLs, and num_resources follows,
    so no count betrays them either.
    """
    decision = decide(dataset, audience, today)
    return shown(dataset, decision) if decision.visible else None


def shown(dataset: Mapping, decision: Decision) -> dict:
    """The dataset as a visible `decision` (decide's, for it) lets it be seen,
    for a caller that has asked already."""
    out = {k: v for k, v in dataset.items() if k not in decision.hidden_fields}
    if not decision.resources:
        out["resources"] = []
        if "num_resources" in out:
            out["num_resources"] = 0
    return out
