"""Relevance figures of the corpus queries, and the markdown table
docs/search.md shows.  Pure: no CKAN, no Solr (benchmarks/search/ uses it
too).

Judgements are graded (queries.yaml): 2 = about what the query asks, 1 =
relevant in part.  Precision and recall are set-based over every result and
pooled over the queries of a kind (micro-averaged); nDCG@10 (gain 2^g − 1)
and MRR (the first result of any grade) are means over those queries.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("zh", "traditional", "en", "mixed", "label", "cross")
BEGIN, END = "<!-- measured:begin -->", "<!-- measured:end -->"
HELD_OUT_BEGIN, HELD_OUT_END = "<!-- heldout:begin -->", "<!-- heldout:end -->"
CUTOFF = 10


def load_queries(name: str = "queries.yaml") -> list:
    """The judged queries of queries.yaml (or of the held-out set)."""
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return yaml.safe_load(f)["queries"]


def _dcg(grades) -> float:
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg(found: list, judged: dict, cutoff: int = CUTOFF) -> float:
    ideal = _dcg(sorted(judged.values(), reverse=True)[:cutoff])
    return _dcg([judged.get(name, 0) for name in found[:cutoff]]) / ideal if ideal else 0.0


def reciprocal_rank(found: list, judged: dict) -> float:
    return next((1 / (rank + 1) for rank, name in enumerate(found) if judged.get(name)), 0.0)


@dataclass
class Score:
    """Pooled counts and summed ranking figures over several queries."""

    queries: int = 0
    retrieved: int = 0
    relevant: int = 0
    hits: int = 0
    complete: int = 0  # queries that found every relevant dataset
    ndcg_sum: float = 0.0
    rr_sum: float = 0.0

    def add(self, found: list, judged: dict) -> None:
        found_set, relevant = set(found), set(judged)
        self.queries += 1
        self.retrieved += len(found_set)
        self.relevant += len(relevant)
        self.hits += len(found_set & relevant)
        self.complete += relevant <= found_set
        self.ndcg_sum += ndcg(found, judged)
        self.rr_sum += reciprocal_rank(found, judged)

    @property
    def precision(self) -> float:
        return self.hits / self.retrieved if self.retrieved else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.relevant if self.relevant else 0.0

    @property
    def ndcg(self) -> float:
        return self.ndcg_sum / self.queries if self.queries else 0.0

    @property
    def mrr(self) -> float:
        return self.rr_sum / self.queries if self.queries else 0.0


def score(queries, results) -> dict:
    """{kind: Score} and "all", from {q: names found, best first}."""
    scores = {kind: Score() for kind in (*KINDS, "all")}
    for query in queries:
        for kind in (query["kind"], "all"):
            scores[kind].add(results[query["q"]], query["relevant"])
    return scores


def table(systems: dict, kinds: tuple = (*KINDS, "all")) -> str:
    """A markdown table: one row per query kind, the figures of each system."""
    names = list(systems)
    figures = ("P", "R", "nDCG@10", "MRR", "all found")
    head = "| queries | n | " + " | ".join(f"{n} {f}" for n in names for f in figures) + " |"
    rule = "|---|---:|" + "---:|" * len(figures) * len(names)
    rows = []
    for kind in kinds:
        first = systems[names[0]][kind]
        cells = " | ".join(
            f"{s.precision:.2f} | {s.recall:.2f} | {s.ndcg:.2f} | {s.mrr:.2f} | {s.complete}/{s.queries}"
            for s in (system[kind] for system in systems.values())
        )
        rows.append(f"| {'**all**' if kind == 'all' else kind} | {first.queries} | {cells} |")
    return "\n".join([head, rule, *rows])


def replace_table(path: str, text: str, begin: str = BEGIN, end: str = END) -> None:
    """Rewrite the part of a document between two markers."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    start, stop = doc.index(begin) + len(begin), doc.index(end)
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc[:start] + "\n" + text + "\n" + doc[stop:])
