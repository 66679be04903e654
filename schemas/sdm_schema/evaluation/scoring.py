"""Scores from indicator values, the same way for a dataset and for a unit.

A dimension's value is the weighted mean of its indicators that apply; the
score is the weighted mean of the dimensions that have a value, times 100.
A unit's indicator values are the means over its datasets where they apply,
and its score comes from them by the same formula, so a unit of one dataset
scores what its dataset scores.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, MutableMapping

from sdm_schema import disclosure
from sdm_schema.evaluation import checks as functions
from sdm_schema.evaluation.definitions import Band, band, dimensions, indicators


def _weighted(pairs: Iterable[tuple[float, float | None]]) -> float | None:
    pairs = [(w, v) for w, v in pairs if v is not None and w]
    total = sum(w for w, _v in pairs)
    return sum(w * v for w, v in pairs) / total if total else None


def combine(values: Mapping[str, float | None]) -> tuple[dict, float | None]:
    """({dimension: value 0-1 or None}, score 0-100 or None) from
    {indicator: value 0-1 or None}."""
    dims = {d.key: _weighted((i.weight, values.get(i.key)) for i in d.indicators) for d in dimensions()}
    overall = _weighted((d.weight, dims[d.key]) for d in dimensions())
    return dims, None if overall is None else round(100 * overall, 1)


@dataclass
class DatasetEvaluation:
    record: Mapping
    outcomes: Mapping[str, functions.Outcome]
    dimensions: Mapping[str, float | None]
    score: float | None

    @property
    def band(self) -> Band | None:
        return band(self.score)

    @property
    def problems(self) -> list:
        """[(indicator key, FieldError)], in the order of the indicators."""
        return [(key, p) for key, o in self.outcomes.items() for p in o.problems]


def evaluate_dataset(
    record: Mapping, facts: functions.Facts | None = None, today: dt.date | None = None
) -> DatasetEvaluation:
    facts = facts or functions.Facts()
    today = today or dt.date.today()
    outcomes = {
        key: functions.NOT_APPLICABLE if i.level == "unit" else getattr(functions, key)(record, facts, today)
        for key, i in indicators().items()
    }
    dims, score = combine({k: o.value for k, o in outcomes.items()})
    return DatasetEvaluation(record, outcomes, dims, score)


@dataclass
class UnitEvaluation:
    unit: str
    datasets: list
    values: Mapping[str, float | None]
    dimensions: Mapping[str, float | None]
    score: float | None
    #: counts the unit's sources report, shown but not scored
    #: (harvest failures, invalid records, classified records caught …)
    counts: Mapping[str, int] = field(default_factory=dict)
    #: [(indicator key, FieldError)] of the indicators of `level: unit`
    problems: list = field(default_factory=list)

    @property
    def band(self) -> Band | None:
        return band(self.score)

    def openness(self) -> dict:
        """{open attribute code: datasets}, every code present."""
        found = Counter(functions.open_attribute(e.record) for e in self.datasets)
        return {code: found.get(code, 0) for code in functions.OPENNESS}

    def worst(self, limit: int = 10) -> list:
        """The datasets with the lowest scores that have problems, worst first."""
        flawed = [e for e in self.datasets if e.problems]
        return sorted(flawed, key=lambda e: (e.score if e.score is not None else 101, str(e.record.get("name"))))[
            :limit
        ]

    def overdue(self) -> list:
        return [e for e in self.datasets if e.outcomes["updated_on_time"].value == 0.0]


def evaluate_unit(
    unit: str,
    evaluations: Iterable[DatasetEvaluation],
    counts: Mapping | None = None,
    facts: functions.UnitFacts | None = None,
) -> UnitEvaluation:
    """A dataset-level indicator's value is the mean over the datasets it
    applies to; a unit-level one is measured on the unit's `facts`."""
    evaluations = list(evaluations)
    facts = facts or functions.UnitFacts()
    values, problems = {}, []
    for key, indicator in indicators().items():
        if indicator.level == "unit":
            outcome = getattr(functions, key)(facts)
            values[key] = outcome.value
            problems += [(key, p) for p in outcome.problems]
            continue
        applying = [e.outcomes[key].value for e in evaluations if e.outcomes[key].value is not None]
        values[key] = sum(applying) / len(applying) if applying else None
    dims, score = combine(values)
    return UnitEvaluation(unit, evaluations, values, dims, score, dict(counts or {}), problems)


def unit_of(record: Mapping) -> str:
    """The responsible unit a dataset is counted under: its organisation."""
    return record.get("owner_org") or (record.get("organization") or {}).get("id") or ""


def evaluate_units(
    evaluations: Iterable[DatasetEvaluation], counts: Mapping | None = None, unit_facts: Mapping | None = None
) -> list:
    """Every unit's evaluation, best first; `unit_facts` {unit: UnitFacts}.
    Classified records are never evaluated one by one: they are only
    counted (`classified`)."""
    by_unit: dict = {}
    for e in evaluations:
        if not disclosure.is_classified(e.record):
            by_unit.setdefault(unit_of(e.record), []).append(e)
    counts, unit_facts = counts or {}, unit_facts or {}
    units = [
        evaluate_unit(u, by_unit.get(u, []), counts.get(u), unit_facts.get(u))
        for u in sorted(set(by_unit) | set(counts) | set(unit_facts))
    ]
    return sorted(units, key=lambda u: (-(u.score if u.score is not None else -1), u.unit))


def evaluate_catalogue(
    records: Iterable[Mapping],
    base_url: str,
    *,
    facts: Callable[[Mapping], functions.Facts] | None = None,
    counts: Mapping | None = None,
    unit_facts: Mapping | None = None,
    today: dt.date | None = None,
    shacl_cache: MutableMapping | None = None,
    shacl: bool = True,
) -> list:
    """Every unit's evaluation (best first) for a whole catalogue: the
    international records validated in batches first, then each dataset
    with its `facts(record)` (a Facts; none known by default), each unit
    with its `unit_facts` {unit: UnitFacts}."""
    from sdm_schema.evaluation import conformance  # pySHACL is loaded only when asked for

    records = [r for r in records if not disclosure.is_classified(r)]
    today = today or dt.date.today()
    found = conformance.check(records, base_url, shacl_cache, today) if shacl else {}
    evaluations = []
    for record in records:
        known = facts(record) if facts else functions.Facts()
        known.shacl = found.get(record.get("id") or record.get("name"))
        evaluations.append(evaluate_dataset(record, known, today))
    return evaluate_units(evaluations, counts, unit_facts)
