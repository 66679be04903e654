"""Feeds benchmark: our publisher against ckanext-dcat's RDFSerializer.

    .venv/bin/python benchmarks/feeds/bench.py 1000 10000 100000

For each size, each side runs in its own subprocess on the same generated
SDM datasets (streamed, never held in a list) and reports wall time and its
peak RSS:
  ours-ttl     the international profile to Turtle only (mapping + writer),
               the like-for-like comparison with ckanext-dcat
  ours-publish the whole publish(): national, international (ttl, rdf,
               jsonld, nt each) and schema.org JSON-LD, paged
  ckanext-dcat RDFSerializer(profiles=["euro_dcat_ap_3"]).serialize_catalog
               to Turtle (skipped above --dcat-max datasets: it holds the
               whole graph in memory)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = "https://data.example.cn"


def datasets(count: int):
    """`count` SDM dataset dicts in package_show shape, mostly open.

    Shallow copies of one example: neither side changes the dicts it reads.
    """
    with open(os.path.join(ROOT, "examples", "ckan", "sdm_dataset_full.json"), encoding="utf-8") as f:
        template = json.load(f)
    for number in range(count):
        record = dict(template)
        record.update(id=f"00000000-0000-0000-0000-{number:012d}", name=f"dataset-{number}",
                      owner_org="org-1", metadata_modified="2024-05-01T10:00:00",
                      title=template["title_translated"]["zh-Hans"],
                      notes=template["notes_translated"]["zh-Hans"],
                      tags=[{"name": w} for w in template["keywords_translated"]["en"]])
        # titles and descriptions differ between datasets, as they do in a
        # catalogue (and so no cache of texts flatters either side)
        for key in ("title_translated", "notes_translated"):
            record[key] = {k: f"{v} #{number}" for k, v in template[key].items()}
        if number % 4:  # three in four open with files, as a catalogue mostly is
            record.update(disclosure="public", open_attribute="unconditional")
        record["resources"] = [dict(r, id=f"r{number}-{i}", package_id=record["id"])
                               for i, r in enumerate(record["resources"])]
        yield record


def run_ours_ttl(count, out):
    from sdm_schema.rdf import dcat_ap3
    from sdm_schema.rdf.mapping import dataset_triples, page_vocabulary
    from sdm_schema.rdf.writers import TurtleWriter

    profile = dcat_ap3.PROFILE
    with open(os.path.join(out, "catalog.ttl"), "w", encoding="utf-8", buffering=1 << 20) as f:
        writer = TurtleWriter(f, profile.prefixes)
        writer.begin()
        writer.write(list(profile.catalog({"base_url": BASE})) + list(page_vocabulary(profile)))
        for record in datasets(count):
            subject, triples = dataset_triples(record, profile, BASE)
            if subject is not None:
                writer.write(triples)
        writer.end()


def run_ours_publish(count, out):
    from sdm_harvester.publish import publish

    publish(datasets(count), out, catalog_info={"base_url": BASE})


def run_dcat(count, out):
    from ckan.common import config
    from ckanext.dcat.processors import RDFSerializer
    from ckanext.dcat.profiles import RDFProfile

    config["ckan.site_url"] = BASE
    # the catalogue's modification date comes from package_search, which
    # needs Solr; the benchmark measures serialising, so give it none
    RDFProfile._last_catalog_modification = lambda self: None

    serializer = RDFSerializer(profiles=["euro_dcat_ap_3"])
    text = serializer.serialize_catalog({}, dataset_dicts=datasets(count), _format="turtle")
    with open(os.path.join(out, "catalog.ttl"), "w", encoding="utf-8") as f:
        f.write(text)


SIDES = {"ours-ttl": run_ours_ttl, "ours-publish": run_ours_publish, "ckanext-dcat": run_dcat}


def child(side, count):
    """Run one side; print seconds, peak RSS in MB and output bytes as JSON."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        SIDES[side](count, out)
        seconds = time.perf_counter() - start
        size = sum(os.path.getsize(os.path.join(d, n)) for d, _s, names in os.walk(out) for n in names)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "bytes": size}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--dcat-max", type=int, default=10000)
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    print("command:", " ".join([os.path.relpath(sys.executable, ROOT), "benchmarks/feeds/bench.py",
                                *map(str, args.sizes)]))
    print(f"{'datasets':>9} {'side':<13} {'total s':>8} {'ms/dataset':>10} {'peak RSS MB':>12} {'output MB':>10}")
    for size in args.sizes:
        results = {}
        for side in SIDES:
            if side == "ckanext-dcat" and size > args.dcat_max:
                continue
            done = subprocess.run([sys.executable, __file__, "--child", side, str(size)],
                                  capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                sys.exit(done.stderr)
            results[side] = r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{size:>9} {side:<13} {r['seconds']:>8.2f} {1000 * r['seconds'] / size:>10.3f}"
                  f" {r['peak_mb']:>12.1f} {r['bytes'] / 1e6:>10.1f}", flush=True)
        if "ckanext-dcat" in results:
            base = results["ckanext-dcat"]["seconds"]
            print(f"{'':>9} speed-up: ttl {base / results['ours-ttl']['seconds']:.1f}x,"
                  f" whole publish (9 files) {base / results['ours-publish']['seconds']:.1f}x")


if __name__ == "__main__":
    main()
