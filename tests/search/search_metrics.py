"""Set-based precision and recall of the corpus queries, and the markdown
table docs/search.md shows.  Pure: no CKAN."""
from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("zh", "traditional", "en", "mixed", "label")
BEGIN, END = "<!-- measured:begin -->", "<!-- measured:end -->"


def load_queries() -> list:
    with open(os.path.join(HERE, "queries.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["queries"]


@dataclass
class Score:
    """Pooled counts over several queries (micro-averaging)."""

    queries: int = 0
    retrieved: int = 0
    relevant: int = 0
    hits: int = 0
    complete: int = 0  # queries that found every relevant dataset

    def add(self, found, relevant) -> None:
        found, relevant = set(found), set(relevant)
        self.queries += 1
        self.retrieved += len(found)
        self.relevant += len(relevant)
        self.hits += len(found & relevant)
        self.complete += relevant <= found

    @property
    def precision(self) -> float:
        return self.hits / self.retrieved if self.retrieved else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.relevant if self.relevant else 0.0


def score(queries, results) -> dict:
    """{kind: Score} and "all", from {q: names found}."""
    scores = {kind: Score() for kind in (*KINDS, "all")}
    for query in queries:
        for kind in (query["kind"], "all"):
            scores[kind].add(results[query["q"]], query["relevant"])
    return scores


def table(systems: dict) -> str:
    """A markdown table: one row per query kind, P/R per system."""
    names = list(systems)
    head = "| queries | n | " + " | ".join(f"{n} P | {n} R | {n} all found" for n in names) + " |"
    rule = "|---|---:|" + "---:|---:|---:|" * len(names)
    rows = []
    for kind in (*KINDS, "all"):
        first = systems[names[0]][kind]
        cells = " | ".join(
            f"{s[kind].precision:.2f} | {s[kind].recall:.2f} | {s[kind].complete}/{s[kind].queries}"
            for s in systems.values())
        rows.append(f"| {'**all**' if kind == 'all' else kind} | {first.queries} | {cells} |")
    return "\n".join([head, rule, *rows])


def replace_table(path: str, text: str) -> None:
    """Rewrite the part of a document between the measured markers."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc[:start] + "\n" + text + "\n" + doc[end:])
