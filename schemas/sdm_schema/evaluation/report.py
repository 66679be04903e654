"""The scorecard as plain data, JSON and CSV: the same shape from
`sdm-harvest evaluate`, `ckan sdm evaluate` and the CKAN actions.

Values are percentages (0-100, one decimal), or None where nothing applied.
Problems are bilingual ({zh-Hans, en}) and name the field to fix.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Mapping, Optional

from sdm_schema.evaluation.definitions import band, dimensions, indicators
from sdm_schema.evaluation.scoring import DatasetEvaluation, UnitEvaluation, unit_of

#: Written first in every CSV so that spreadsheet programs read UTF-8.
BOM = "\ufeff"


def percent(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(100 * value, 1)


def band_dict(score: Optional[float]) -> Optional[dict]:
    found = band(score)
    return {"code": found.code, "label": dict(found.label)} if found else None


def problem_dicts(evaluation: DatasetEvaluation) -> list:
    return [{"indicator": key, "field": p.field, "messages": dict(p.messages)} for key, p in evaluation.problems]


def dataset_dict(e: DatasetEvaluation) -> dict:
    record = e.record
    return {
        "id": record.get("id"), "name": record.get("name"), "unit": unit_of(record),
        "title": dict(record.get("title_translated") or {}),
        "score": e.score, "band": band_dict(e.score),
        "dimensions": {k: percent(v) for k, v in e.dimensions.items()},
        "indicators": {k: percent(o.value) for k, o in e.outcomes.items()},
        "problems": problem_dicts(e),
    }


def unit_dict(u: UnitEvaluation, worst: int = 10) -> dict:
    return {
        "unit": u.unit, "score": u.score, "band": band_dict(u.score), "datasets": len(u.datasets),
        "dimensions": {k: percent(v) for k, v in u.dimensions.items()},
        "indicators": {k: percent(v) for k, v in u.values.items()},
        "openness": u.openness(), "counts": dict(u.counts),
        "overdue": [e.record.get("name") for e in u.overdue()],
        "worst": [{"id": e.record.get("id"), "name": e.record.get("name"), "score": e.score,
                   "problems": problem_dicts(e)} for e in u.worst(worst)],
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
    return [*map(_safe, prefix), entry["score"], found.get("code", ""), *(values[k] for k in _columns())]


def units_csv(card: Mapping) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(["unit", "datasets", "score", "band", *_columns()])
    for unit in card["units"]:
        writer.writerow(_row([unit["unit"], unit["datasets"]], unit))
    return out.getvalue()


def datasets_csv(card: Mapping) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(["unit", "id", "name", "score", "band", *_columns(), "problems"])
    for entry in card.get("datasets", ()):
        problems = " | ".join(p["messages"].get("en", "") for p in entry["problems"])
        writer.writerow(_row([entry["unit"], entry["id"], entry["name"]], entry) + [_safe(problems)])
    return out.getvalue()


#: A spreadsheet reads a cell starting with one of these as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell):
    """A cell spreadsheet programs never read as a formula: names and
    problems quote what departments typed."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(_FORMULA_START) else cell
