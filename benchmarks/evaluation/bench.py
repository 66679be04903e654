"""How long a full evaluation of N datasets takes, without link checks.

    .venv/bin/python benchmarks/evaluation/bench.py 1000 10000

Generated datasets: the full example with distinct names, titles and
modification dates, three in four open, spread over 20 units, and of many
structures (`vary`; the count is printed).  Three runs
per size: every indicator except DCAT-AP conformance (`--no-shacl` of the
issue's "without link checks" target), the first full run with SHACL
(nothing cached), and a second full run with the findings cached by record
digest (what cron sees the day after, for unchanged records).  Prints the
figures and the command; CPU s is the process's and its validation
workers' user and system time (what the run costs on a machine others share),
load the load average at the end of the run.
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
        vary(record, base, i)
        yield record


def vary(record, base, i):
    """Records of many structures, as a catalogue has: 1-3 Chinese and 0-3
    English keywords, 0-3 files, 0-2 fees, now and then no English title or
    no description (DCAT-AP validates one record of each structure)."""
    words = [f"词{i}-{k}" for k in range(3)]
    record["keywords_translated"] = {"zh-Hans": words[: 1 + i % 3], "en": [f"w{i}-{k}" for k in range(i % 4)]}
    file = base["resources"][0]
    record["resources"] = [dict(file, url=f"{file['url']}?{i}-{k}") for k in range(i // 3 % 4)]
    record["fee_items"] = base["fee_items"] * (i // 5 % 3)
    if i % 13 == 0:
        record["title_translated"] = {"zh-Hans": f"数据集{i}"}
    if i % 17 == 0:
        record["notes_translated"] = {}


def timed(label, n, **options):
    data = list(records(n))
    start, cpu = time.perf_counter(), sum(os.times()[:4])
    units = evaluation.evaluate_catalogue(data, "https://data.example.cn", today=TODAY, **options)
    took, cpu = time.perf_counter() - start, sum(os.times()[:4]) - cpu
    row = f"| {n:,} | {label} | {took:.2f} | {cpu:.2f} | {1000 * took / n:.2f} | {len(units)} | {os.getloadavg()[0]:.1f} |"
    print(row.replace(",", " ", 1), flush=True)


def structures(n):
    """How many records the international feed carries, and of how many structures."""
    from sdm_schema.evaluation import conformance
    from sdm_schema.rdf import dcat_ap3
    from sdm_schema.rdf.mapping import dataset_triples

    kinds, keys, carried = {}, set(), 0
    for record in records(n):
        subject, triples = dataset_triples(record, dcat_ap3.PROFILE, "https://data.example.cn", TODAY)
        if subject is not None:
            carried += 1
            keys.add(conformance._structure(subject, triples, kinds)[0])
    return carried, len(keys)


def main(sizes):
    print("command: .venv/bin/python benchmarks/evaluation/bench.py " + " ".join(map(str, sizes)))
    print("| datasets | run | total s | CPU s | ms/dataset | units | load |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in sizes:
        carried, kinds = structures(n)
        print(f"{n} datasets: {carried} in the international feed, of {kinds} structures", flush=True)
        timed("no SHACL", n, shacl=False)
        cache = {}
        timed("SHACL, first run", n, shacl_cache=cache)
        timed("SHACL, cached", n, shacl_cache=cache)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
