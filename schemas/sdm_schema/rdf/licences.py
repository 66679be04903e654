"""Licences and the IRIs that name them in RDF, from licences.yaml.

CKAN's licence register lives in CKAN; the feeds are written without it, so
the ids CKAN ships by default are listed in licences.yaml with their
canonical IRIs, other IRIs and the names catalogues use for them (SPDX ids,
titles).  A licence the table does not know is kept as it was given: an IRI
is written as that IRI, a CKAN licence's `license_url` is used, and any
other text becomes a labelled licence document (rdf/dcat.py).
"""

from __future__ import annotations

import functools
import os

import yaml

from sdm_schema.codelist import _fold


@functools.cache
def _entries() -> list:
    with open(os.path.join(os.path.dirname(__file__), "licences.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.cache
def _by_name() -> dict:
    """Every id, IRI and alias (folded; IRIs without scheme or trailing /) → id."""
    out = {}
    for entry in _entries():
        for name in (entry["id"], entry["iri"], *entry.get("same_as", ()), *entry.get("aliases", ())):
            out.setdefault(_key(name), entry["id"])
    return out


def _key(text: str) -> str:
    text = str(text).strip()
    if text.startswith(("http://", "https://")):
        text = text.split("://", 1)[1].rstrip("/")
    return _fold(text)


#: CKAN licence id → canonical IRI.
LICENCES = {entry["id"]: entry["iri"] for entry in _entries()}


def licence_iri(given: str | None, url: str | None = None) -> str | None:
    """The IRI to write for a licence as given (id, alias or IRI), else its
    `license_url`; None when neither names one."""
    if not given and not url:
        return None
    if isinstance(given, str) and given.strip():
        known = _by_name().get(_key(given))
        if known:
            return LICENCES[known]
        if given.strip().startswith(("http://", "https://")):
            return given.strip()
    return url.strip() if isinstance(url, str) and url.strip() else None


def licence_id(value: str) -> str:
    """The CKAN licence id for an IRI, alias or title; the value itself
    when the table has none."""
    return _by_name().get(_key(value)) or str(value).strip()
