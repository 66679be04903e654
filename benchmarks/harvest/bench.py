"""Harvest benchmark: a paged DCAT source into the embedded store, beside
ckanext-dcat's RDFParser on the same files.

    .venv/bin/python benchmarks/harvest/bench.py 10000 100000

For each size a DCAT-AP 3 Turtle source of small SDM datasets is written by
the project's own feed writer (publish.PagedFeed, 1000 datasets a page,
linked by hydra:next, under a temporary folder read through file://).  Each
side then runs in its own subprocess, which reports wall time and peak RSS:
  ours-parse      parse and map every page (sdm_schema.rdf.parse.read_page):
                  the like-for-like comparison with ckanext-dcat
  ours-full       `sdm-harvest run` into an empty store: fetch, parse, map,
                  validate, hash, write
  ours-unchanged  the same run again on the filled store (must write nothing)
  ckanext-dcat    RDFParser(profiles=["euro_dcat_ap_3"]): parse each page and
                  map its datasets (parser.datasets())
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = "https://data.example.cn"
PAGE_SIZE = 1000
DEPARTMENT = {"uscc": "11510000MB0000002W", "name": {"zh-Hans": "巴中市水利局", "en": "Bazhong Water Bureau"}}
STATIONS = ("巴州", "恩阳", "通江", "南江", "平昌")


def datasets(count: int):
    """Small, varied SDM datasets such as a department publishes."""
    for number in range(count):
        station = STATIONS[number % len(STATIONS)]
        yield {
            "id": f"00000000-0000-4000-8000-{number:012d}",
            "name": f"hydro-{number}",
            "title_translated": {
                "zh-Hans": f"{station}水文站逐日流量 {number}",
                "en": f"Daily discharge at {station} station {number}",
            },
            "notes_translated": {"zh-Hans": f"{station}水文站逐日平均流量与水位，第 {number} 号序列。"},
            "keywords_translated": {"zh-Hans": ["水文", "流量"], "en": ["hydrology"]},
            "discipline": ["170"],
            "resource_code": f"511900002/{number:05d}",
            "update_cycle": "daily",
            "provider_unit": {"zh-Hans": "巴中市水文水资源勘测中心"},
            "contact_email": "hydro@example.cn",
            "sharing_attribute": "unconditional",
            "open_attribute": "unconditional",
            "disclosure": "public",
            "license_id": "cc-by",
            "metadata_modified": "2026-10-01T09:00:00",
            "resources": [
                {"url": f"https://data.example.cn/hydro/{number}.csv", "format": "CSV", "name": f"{number}.csv"}
            ],
        }


def write_source(count: int, folder: str) -> str:
    """The paged Turtle source; returns the first page's file:// URL."""
    from sdm_harvester.publish import PagedFeed
    from sdm_schema.rdf import dcat_ap3
    from sdm_schema.rdf.mapping import dataset_triples

    url = "file://" + folder
    feed = PagedFeed(folder, url, dcat_ap3.PROFILE, ("ttl",), {"base_url": BASE}, PAGE_SIZE)
    for record in datasets(count):
        subject, triples = dataset_triples(record, dcat_ap3.PROFILE, BASE)
        feed.add(subject, triples)
    feed.finish()
    return url + "/catalog.ttl"


def pages(folder: str):
    """The source's page files in order."""
    number = 1
    while True:
        path = os.path.join(folder, "catalog.ttl" if number == 1 else f"catalog-{number}.ttl")
        if not os.path.exists(path):
            return
        yield path
        number += 1


def run_ours_parse(folder: str, data_dir: str) -> dict:
    from sdm_schema.rdf.parse import read_page

    mapped = 0
    for path in pages(folder):
        with open(path, "rb") as f:
            mapped += len(read_page(f.read(), "ttl").datasets)
    return {"datasets": mapped}


def run_ours_harvest(folder: str, data_dir: str) -> dict:
    from sdm_harvester import config, pipeline
    from sdm_harvester.store import Store

    source = {
        "name": "bench",
        "type": "dcat",
        "url": "file://" + folder + "/catalog.ttl",
        "department": DEPARTMENT,
        "timeout": 36000,
        "max_bytes": 1 << 30,
    }
    store = Store(data_dir)
    report = pipeline.run(
        config.from_dict({"sources": [source]}), store, store.start_run("now"), pipeline.Options(force=True)
    )
    writes = store.record_writes
    store.close()
    counts = report.sources[0].counts
    return {
        "datasets": counts["new"] + counts["updated"] + counts["unchanged"],
        "writes": writes,
        "status": report.sources[0].status,
    }


def run_dcat(folder: str, data_dir: str) -> dict:
    from ckan.common import config
    from ckanext.dcat.processors import RDFParser

    config["ckan.site_url"] = BASE
    mapped = 0
    for path in pages(folder):
        parser = RDFParser(profiles=["euro_dcat_ap_3"])
        with open(path, "rb") as f:
            parser.parse(f.read(), _format="turtle")
        mapped += sum(1 for _ in parser.datasets())
    return {"datasets": mapped}


SIDES = {
    "ours-parse": run_ours_parse,
    "ours-full": run_ours_harvest,
    "ours-unchanged": run_ours_harvest,
    "ckanext-dcat": run_dcat,
}


def child(side: str, folder: str, data_dir: str) -> None:
    """Run one side; print its result, seconds and peak RSS (MB) as JSON."""
    start = time.perf_counter()
    result = SIDES[side](folder, data_dir)
    result["seconds"] = time.perf_counter() - start
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(side: str, folder: str, data_dir: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", side, folder, data_dir], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[10000, 100000])
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "FOLDER", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    print(
        "command:",
        " ".join([os.path.relpath(sys.executable, ROOT), "benchmarks/harvest/bench.py", *map(str, args.sizes)]),
    )
    print(f"{'datasets':>9} {'side':<15} {'total s':>8} {'ms/dataset':>10} {'peak RSS MB':>12} {'writes':>7}")
    for size in args.sizes:
        work = tempfile.mkdtemp(prefix="sdm-harvest-bench-")
        try:
            folder, data_dir = os.path.join(work, "source"), os.path.join(work, "data")
            os.makedirs(folder)
            write_source(size, folder)
            results = {}
            for side in SIDES:
                results[side] = r = measure(side, folder, data_dir)
                if r["datasets"] != size:
                    sys.exit(f"{side} read {r['datasets']} of {size} datasets: {r}")
                print(
                    f"{size:>9} {side:<15} {r['seconds']:>8.2f} {1000 * r['seconds'] / size:>10.3f}"
                    f" {r['peak_mb']:>12.1f} {r.get('writes', '-'):>7}",
                    flush=True,
                )
            print(
                f"{'':>9} parse+map speed-up over ckanext-dcat: "
                f"{results['ckanext-dcat']['seconds'] / results['ours-parse']['seconds']:.1f}x; unchanged "
                f"re-harvest: {100 * results['ours-unchanged']['seconds'] / results['ours-full']['seconds']:.0f}%"
                " of the full run",
                flush=True,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
