"""The scorecard as plain data, JSON and CSV: the same shape from
`sdm-harvest evaluate`, `ckan sdm evaluate` and the CKAN actions.

Values are percentages (0-100, one decimal), or None where nothing applied.
Problems are bilingual ({zh-Hans, en}) and name the field to fix.
"""

from __future__ import annotations

import json
from typing import Iterable, Mapping

from sdm_schema.csv_export import csv_text
from sdm_schema.evaluation.definitions import band, dimensions, figures, indicators
from sdm_schema.evaluation.scoring import DatasetEvaluation, UnitEvaluation, unit_of


def percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def band_dict(score: float | None) -> dict | None:
    found = band(score)
    return {"code": found.code, "label": dict(found.label)} if found else None


def problem_dicts(evaluation: DatasetEvaluation | UnitEvaluation) -> list:
    return [{"indicator": key, "field": p.field, "messages": dict(p.messages)} for key, p in evaluation.problems]


def dataset_dict(e: DatasetEvaluation) -> dict:
    record = e.record
    return {
        "id": record.get("id"),
        "name": record.get("name"),
        "unit": unit_of(record),
        "title": dict(record.get("title_translated") or {}),
        "score": e.score,
        "band": band_dict(e.score),
        "dimensions": {k: percent(v) for k, v in e.dimensions.items()},
        "indicators": {k: percent(o.value) for k, o in e.outcomes.items()},
        "problems": problem_dicts(e),
    }


def unit_dict(u: UnitEvaluation, worst: int = 10) -> dict:
    return {
        "unit": u.unit,
        "score": u.score,
        "band": band_dict(u.score),
        "datasets": len(u.datasets),
        "dimensions": {k: percent(v) for k, v in u.dimensions.items()},
        "indicators": {k: percent(v) for k, v in u.values.items()},
        "openness": u.openness(),
        "counts": dict(u.counts),
        "problems": problem_dicts(u),
        "overdue": [e.record.get("name") for e in u.overdue()],
        "worst": [
            {"id": e.record.get("id"), "name": e.record.get("name"), "score": e.score, "problems": problem_dicts(e)}
            for e in u.worst(worst)
        ],
    }


def scorecard(units: Iterable[UnitEvaluation], generated: str, with_datasets: bool = True) -> dict:
    units = list(units)
    card = {"generated": generated, "units": [unit_dict(u) for u in units]}
    if with_datasets:
        card["datasets"] = [dataset_dict(e) for u in units for e in u.datasets]
    return card


def to_json(card: Mapping) -> str:
    return json.dumps(card, ensure_ascii=False, indent=2, sort_keys=False)


def _columns() -> list:
    return [d.key for d in dimensions()] + list(indicators())


def _row(prefix: list, entry: Mapping) -> list:
    values = {**entry["dimensions"], **entry["indicators"]}
    found = entry["band"] or {}
    return [*prefix, entry["score"], found.get("code", ""), *(values[k] for k in _columns())]


def units_csv(card: Mapping) -> str:
    """A figure a unit has no value for (the harvester holds no demands) is
    an empty cell, not 0."""
    keys = [f.key for f in figures()]
    return csv_text(
        ["unit", "datasets", "score", "band", *_columns(), *keys],
        (
            _row([unit["unit"], unit["datasets"]], unit) + [unit["counts"].get(k) for k in keys]
            for unit in card["units"]
        ),
    )


def datasets_csv(card: Mapping) -> str:
    """Names and problems quote what departments typed (sdm_schema.csv_export)."""
    return csv_text(
        ["unit", "id", "name", "score", "band", *_columns(), "problems"],
        (
            _row([e["unit"], e["id"], e["name"]], e) + [" | ".join(p["messages"].get("en", "") for p in e["problems"])]
            for e in card.get("datasets", ())
        ),
    )
