"""The run log: each source's last run, and a bounded history of runs
(the newest `keep` only), with, for a run spread over workers, each
source's part of it, and each page job's part of a source read in page
jobs (under `<source>#<first page>`: no source name holds a '#')."""

from __future__ import annotations

import json
from typing import Iterable, Mapping

import sqlalchemy as sa

from sdm_harvester.store.database import Part
from sdm_harvester.store.tables import run_sources, runs, sources


class RunLog(Part):
    """Runs and source states, over a shared Database."""

    def source_state(self, name: str) -> dict | None:
        rows = self.database.read(sa.select(sources).where(sources.c.name == name))
        if not rows:
            return None
        state = dict(rows[0]._mapping)
        state["last_counts"] = json.loads(state["last_counts"]) if state["last_counts"] else {}
        return state

    def source_states(self) -> list[dict]:
        names = self.database.read(sa.select(sources.c.name).order_by(sources.c.name))
        return [self.source_state(r.name) for r in names]

    def record_source_run(
        self, name: str, started: str, finished: str, status: str, counts: Mapping, error: str | None
    ) -> None:
        success = finished if status == "ok" else None
        self.database.upsert(
            sources,
            {
                "name": name,
                "last_started": started,
                "last_finished": finished,
                "last_status": status,
                "last_success": success,
                "last_counts": json.dumps(dict(counts)),
                "last_error": error,
            },
            {"last_success": lambda new: sa.func.coalesce(new.last_success, sources.c.last_success)},
        )

    def start_run(self, started: str) -> int:
        with self.database.transaction():
            return self.database.conn.execute(runs.insert().values(started=started)).inserted_primary_key[0]

    def finish_run(self, run_id: int, finished: str, exit_code: int, report: Mapping, keep: int) -> None:
        conn = self.database.conn
        with self.database.transaction():
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(finished=finished, exit_code=exit_code, report=json.dumps(report, ensure_ascii=False))
            )
            newest = sa.select(runs.c.id).order_by(runs.c.id.desc()).limit(keep)
            kept = [r.id for r in conn.execute(newest)]
            conn.execute(runs.delete().where(runs.c.id.not_in(kept)))
            conn.execute(run_sources.delete().where(run_sources.c.run_id.not_in(kept)))

    def runs(self, limit: int = 10) -> list[dict]:
        return [
            dict(r._mapping)
            for r in self.database.read(
                sa.select(runs.c.id, runs.c.started, runs.c.finished, runs.c.exit_code)
                .order_by(runs.c.id.desc())
                .limit(limit)
            )
        ]

    def run_started(self, run_id: int) -> str | None:
        rows = self.database.read(sa.select(runs.c.started).where(runs.c.id == run_id))
        return rows[0].started if rows else None

    def run_report(self, run_id: int) -> dict | None:
        rows = self.database.read(sa.select(runs.c.report).where(runs.c.id == run_id))
        return json.loads(rows[0].report) if rows and rows[0].report else None

    def expect_sources(self, run_id: int, names: Iterable[str]) -> None:
        """The sources a run spread over workers waits for."""
        rows = [{"run_id": run_id, "source": name, "report": None} for name in names]
        if rows:  # one statement: a national run expects thousands
            self.database.upsert(run_sources, rows)

    def record_part(self, run_id: int, name: str, report: Mapping) -> None:
        """One source's part of a spread run (a retry replaces it)."""
        self.database.upsert(
            run_sources, {"run_id": run_id, "source": name, "report": json.dumps(report, ensure_ascii=False)}
        )

    def parts(self, run_id: int) -> dict:
        """{source: its report, or None while not done} of a spread run."""
        rows = self.database.read(
            sa.select(run_sources.c.source, run_sources.c.report)
            .where(run_sources.c.run_id == run_id, run_sources.c.source.not_like("%#%"))
            .order_by(run_sources.c.source)
        )
        return {r.source: json.loads(r.report) if r.report else None for r in rows}

    def page_parts(self, run_id: int, source: str) -> dict:
        """{first page: part} of the page jobs of a source that are in."""
        rows = self.database.read(
            sa.select(run_sources.c.source, run_sources.c.report).where(
                run_sources.c.run_id == run_id, run_sources.c.source.like(f"{source}#%")
            )
        )
        mine = [r for r in rows if r.report and r.source.startswith(f"{source}#")]  # '_' is LIKE's wildcard
        return {int(r.source.rpartition("#")[2]): json.loads(r.report) for r in mine}
