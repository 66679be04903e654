"""sdm-harvest evaluate: the scorecard of every responsible unit, for a
centre that runs the harvester without CKAN.

The same evaluation as CKAN's (sdm_schema.evaluation), over the records the
store holds, with what the harvester knows beside them: its link checks,
and per unit the last run of each of its sources (failures, invalid and
classified records, counted only).  Its own SQLite file in the data
directory, evaluation.sqlite, keeps the link checks, the DCAT-AP findings
by record digest and one snapshot per unit per day, so a unit's score can
be followed over months; running twice on one day replaces that day's
snapshot (cron may repeat it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, MutableMapping

from sdm_harvester.linkcheck import LinkChecker, SqliteCache
from sdm_schema import evaluation
from sdm_schema.csv_export import csv_text
from sdm_schema.evaluation import report
from sdm_schema.loader import message

if TYPE_CHECKING:
    from sdm_harvester.store import Store
    from sdm_schema.evaluation.scoring import DatasetEvaluation

DB_NAME = "evaluation.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    day TEXT NOT NULL,
    unit TEXT NOT NULL,
    score REAL,
    band TEXT,
    datasets INTEGER NOT NULL,
    values_json TEXT NOT NULL,
    PRIMARY KEY (day, unit)
);
CREATE TABLE IF NOT EXISTS conformance (digest TEXT PRIMARY KEY, findings TEXT NOT NULL);
-- each dataset's latest measurements (0-100 by indicator, and its score),
-- which publish writes into the national feed as DQV
CREATE TABLE IF NOT EXISTS measurements (name TEXT PRIMARY KEY, values_json TEXT NOT NULL);
"""


class Findings(MutableMapping):
    """DCAT-AP findings by record digest, kept between runs."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __getitem__(self, digest: str) -> Any:
        row = self.db.execute("SELECT findings FROM conformance WHERE digest=?", (digest,)).fetchone()
        if row is None:
            raise KeyError(digest)
        return json.loads(row[0])

    def __setitem__(self, digest: str, findings: Any) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO conformance VALUES (?, ?)", (digest, json.dumps(findings)))

    def __delitem__(self, digest: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM conformance WHERE digest=?", (digest,))

    def __iter__(self) -> Iterator[str]:
        return (row[0] for row in self.db.execute("SELECT digest FROM conformance"))

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM conformance").fetchone()[0]


def unit_counts(records: list, source_states: Iterable[Mapping]) -> dict:
    """{unit: {harvest_failures, invalid, classified}} from each source's
    last run, a source counted under the unit its records belong to."""
    unit_of_source = {r.get("harvest_source"): evaluation.unit_of(r) for r in records if r.get("harvest_source")}
    out: dict = {}
    for state in source_states:
        unit = unit_of_source.get(state["name"])
        if unit is None:
            continue  # a source with no record held names no unit
        counts = state.get("last_counts") or {}
        entry = out.setdefault(unit, {"harvest_failures": 0, "invalid": 0, "classified": 0})
        entry["harvest_failures"] += int(state.get("last_status") not in (None, "ok"))
        entry["invalid"] += int(counts.get("invalid") or 0)
        entry["classified"] += int(counts.get("classified") or 0)
    return out


class EvaluationStore:
    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, DB_NAME)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(_SCHEMA)
        self.links = SqliteCache(self.path)
        self.findings = Findings(self.db)

    def snapshot(self, day: str, units: Iterable) -> None:
        with self.db:
            for u in units:
                found = evaluation.band(u.score)
                self.db.execute(
                    "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        day,
                        u.unit,
                        u.score,
                        found.code if found else None,
                        len(u.datasets),
                        json.dumps({k: report.percent(v) for k, v in u.values.items()}),
                    ),
                )

    def measure(self, units: Iterable) -> None:
        """Keep each dataset's latest measurements; only the datasets evaluated now."""
        with self.db:
            self.db.execute("DELETE FROM measurements")
            for u in units:
                for e in u.datasets:
                    self.db.execute(
                        "INSERT OR REPLACE INTO measurements VALUES (?, ?)",
                        (e.record["name"], json.dumps(measurements(e))),
                    )

    def measurements(self) -> dict:
        return {
            name: json.loads(values) for name, values in self.db.execute("SELECT name, values_json FROM measurements")
        }

    def history(self, unit: str | None = None) -> list:
        query = "SELECT day, unit, score, band, datasets FROM snapshots"
        rows = self.db.execute(
            query + (" WHERE unit=?" if unit else "") + " ORDER BY unit, day", (unit,) if unit else ()
        )
        return [dict(zip(("day", "unit", "score", "band", "datasets"), row, strict=False)) for row in rows]

    def close(self) -> None:
        self.links.close()
        self.db.close()


def measurements(e: DatasetEvaluation) -> dict:
    """{indicator: 0-100, "score": 0-100} of one dataset, what applied."""
    values = {k: report.percent(o.value) for k, o in e.outcomes.items() if o.value is not None}
    return {**values, "score": e.score} if e.score is not None else values


def with_measurements(data_dir: str, records: Iterable[dict]) -> Iterable[dict]:
    """The records, each with its latest measurements (quality_measurements,
    for the national feed's DQV) when an evaluation has run here."""
    found = latest_measurements(data_dir)
    for record in records:
        yield measured(record, found.get(record.get("name")))


def latest_measurements(data_dir: str) -> dict:
    """{dataset name: its latest measurements} ({} when no evaluation has run here)."""
    if not os.path.exists(os.path.join(data_dir, DB_NAME)):
        return {}
    kept = EvaluationStore(data_dir)
    try:
        return kept.measurements()
    finally:
        kept.close()


def measured(record: dict, values: dict | None) -> dict:
    """The record with these measurements, if any (`with_measurements`)."""
    return dict(record, quality_measurements=values) if values else record


#: The indicators made of what users ask in CKAN (access requests, demands,
#: quality reports: docs/feedback.md) and of the certificates CKAN issues
#: (docs/submission.md), which the harvester never holds.
CKAN_ONLY = (
    "funded_submitted",
    "submitted_on_time",
    "submission_intact",
    "requests_answered",
    "reports_answered",
    "demands_answered",
)


def not_applicable() -> dict:
    """What this scorecard cannot measure, said so rather than left as zero."""
    return {
        "indicators": [k for k in evaluation.indicators() if k in CKAN_ONLY],
        "figures": [f.key for f in evaluation.figures()],
        "reason": message("eval_not_applicable_here"),
    }


def history_csv(rows: list) -> str:
    return csv_text(
        ["unit", "day", "score", "band", "datasets"],
        ([row["unit"], row["day"], row["score"], row["band"] or "", row["datasets"]] for row in rows),
    )


def _titles(records: list) -> dict:
    return {evaluation.unit_of(r): dict((r.get("organization") or {}).get("title_translated") or {}) for r in records}


def run(
    store: Store, data_dir: str, out: str, base_url: str, *, today: dt.date, checker: LinkChecker | None = None
) -> dict:
    """Evaluate the store's records, write OUT/scorecard.json, units.csv,
    datasets.csv and history.csv, keep today's snapshot; the scorecard."""
    records = list(store.iter_datasets())
    counts = unit_counts(records, store.source_states())
    kept = EvaluationStore(data_dir)
    try:
        links = kept.links.all()
        if checker is not None:
            checker.cache = kept.links
            links.update(checker.check(url for r in records for url in evaluation.resource_urls(r)))
        units = evaluation.evaluate_catalogue(
            records,
            base_url,
            facts=lambda r: evaluation.Facts(links=links),
            counts=counts,
            today=today,
            shacl_cache=kept.findings,
        )
        kept.snapshot(today.isoformat(), units)
        kept.measure(units)
        history = kept.history()
    finally:
        kept.close()
    card = report.scorecard(units, dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    card["not_applicable"] = not_applicable()
    titles = _titles(records)
    for unit in card["units"]:
        unit["title"] = titles.get(unit["unit"], {})
    _write(out, card, history)
    return card


def _write(out: str, card: Mapping, history: list) -> None:
    os.makedirs(out, exist_ok=True)
    files = {
        "scorecard.json": report.to_json(card),
        "units.csv": report.units_csv(card),
        "datasets.csv": report.datasets_csv(card),
        "history.csv": history_csv(history),
    }
    for name, text in files.items():
        path = os.path.join(out, name)
        with open(path + ".new", "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(path + ".new", path)  # a reader never sees half a scorecard
