"""The dimensions, indicators and bands of the evaluation, read once from
indicators.yaml: the one definition of what is measured and how much each
part weighs, for the CKAN plugin, the harvester, the docs and the DQV
metrics alike."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Mapping

import yaml

from sdm_schema.rdf.namespaces import SDM

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Indicator:
    key: str
    dimension: str
    weight: float
    label: Mapping[str, str]
    source: str
    #: "dataset", or "unit" for an indicator measured on the unit as a whole
    level: str = "dataset"

    @property
    def metric_iri(self) -> str:
        """The DQV metric this indicator is published as (sdm.ttl)."""
        return f"{SDM}metric-{self.key}"


@dataclass(frozen=True)
class Dimension:
    key: str
    weight: float
    label: Mapping[str, str]
    indicators: tuple


@dataclass(frozen=True)
class Band:
    code: str
    min: float
    label: Mapping[str, str]


@functools.cache
def _definitions() -> Mapping:
    with open(os.path.join(HERE, "indicators.yaml"), encoding="utf-8") as f:
        data = yaml.safe_load(f)
    total = sum(d["weight"] for d in data["dimensions"])
    if total != 100:
        raise ValueError(f"indicators.yaml: the dimension weights add up to {total}, not 100")
    return data


@functools.cache
def dimensions() -> tuple:
    out = []
    for d in _definitions()["dimensions"]:
        indicators = tuple(
            Indicator(i["key"], d["key"], float(i["weight"]), i["label"], i["source"], i.get("level", "dataset"))
            for i in d["indicators"]
        )
        out.append(Dimension(d["key"], float(d["weight"]), d["label"], indicators))
    return tuple(out)


@functools.cache
def indicators() -> Mapping[str, Indicator]:
    """{key: Indicator}, in the order of the file."""
    return {i.key: i for d in dimensions() for i in d.indicators}


@dataclass(frozen=True)
class Figure:
    key: str
    label: Mapping[str, str]


@functools.cache
def figures() -> tuple:
    """The figures shown beside a unit's score but not scored (demands and
    quality reports, R13)."""
    return tuple(Figure(f["key"], f["label"]) for f in _definitions().get("figures", ()))


@functools.cache
def bands() -> tuple:
    return tuple(Band(b["code"], float(b["min"]), b["label"]) for b in _definitions()["bands"])


def band(score: float | None) -> Band | None:
    """The band a 0-100 score falls in; None for no score."""
    if score is None:
        return None
    return next(b for b in bands() if score >= b.min)
