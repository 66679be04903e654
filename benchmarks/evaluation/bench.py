"""How long a full evaluation of N datasets takes, without link checks.

    .venv/bin/python benchmarks/evaluation/bench.py 1000 10000

Generated datasets: the full example with distinct names, titles and
modification dates, three in four open, spread over 20 units.  Three runs
per size: every indicator except DCAT-AP conformance (`--no-shacl` of the
issue's "without link checks" target), the first full run with SHACL
(nothing cached), and a second full run with the findings cached by record
digest (what cron sees the day after, for unchanged records).  Prints the
figures and the command.
"""

import datetime as dt
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "schemas")]

from sdm_schema import evaluation  # noqa: E402

TODAY = dt.date(2025, 1, 1)


def records(n):
    with open(os.path.join(ROOT, "examples", "ckan", "sdm_dataset_full.json"), encoding="utf-8") as f:
        base = json.load(f)
    for i in range(n):
        record = dict(
            base,
            id=f"00000000-0000-4000-8000-{i:012d}",
            name=f"dataset-{i}",
            owner_org=f"unit-{i % 20}",
            metadata_modified=f"2024-{1 + i % 12:02d}-15T00:00:00",
            title_translated={"zh-Hans": f"数据集{i}", "en": f"Dataset {i}"},
        )
        if i % 4:
            record.update(open_attribute="unconditional", disclosure="public", data_grade="general")
        yield record


def timed(label, n, **options):
    data = list(records(n))
    start = time.perf_counter()
    units = evaluation.evaluate_catalogue(data, "https://data.example.cn", today=TODAY, **options)
    took = time.perf_counter() - start
    print(f"| {n:,} | {label} | {took:.2f} | {1000 * took / n:.2f} | {len(units)} |".replace(",", " ", 1), flush=True)


def main(sizes):
    print("command: .venv/bin/python benchmarks/evaluation/bench.py " + " ".join(map(str, sizes)))
    print("| datasets | run | total s | ms/dataset | units |")
    print("|---:|---|---:|---:|---:|")
    for n in sizes:
        timed("no SHACL", n, shacl=False)
        cache = {}
        timed("SHACL, first run", n, shacl_cache=cache)
        timed("SHACL, cached", n, shacl_cache=cache)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
