"""Feeds benchmark: our publisher against ckanext-dcat's RDFSerializer and
pyoxigraph's own serialisers.

    .venv/bin/python benchmarks/feeds/bench.py 1000 10000 100000

For each size, each side runs in its own subprocess on the same generated
SDM datasets (streamed, never held in a list) and reports wall time, CPU
time (user + system, its worker included: the machine is shared, so CPU
seconds say more than wall seconds under load) and its peak RSS:
  ours-ttl       the international profile to Turtle only (mapping + writer),
                 the like-for-like comparison with ckanext-dcat
  ours-publish   the whole publish(): national, international (ttl, rdf,
                 jsonld, nt each) and schema.org JSON-LD, paged, one process
  ours-publish-2 the same with workers=2 (two processes render slices of the
                 records, this one cuts the pages)
  ours-publish-store-2  publish_store of a harvester's SQLite store never
                 published, workers=2 (the processes read ranges of the
                 store themselves): the first `sdm-harvest publish
                 --workers 2` (the store is made first, not timed)
  ours-incr-1%   publish with an index after 1 % of the datasets changed,
                 every hundredth (the first, full publish is not timed)
  ours-incr-run-1%  the same with the 1 % one run in store order (one
                 department's records, stored together, changed)
  ours-incr-store-1%  publish_store from a harvester's SQLite store of the
                 datasets after 1 % of them, one run, changed through the
                 store (the store and its first publish are not timed)
  ckanext-dcat   RDFSerializer(profiles=["euro_dcat_ap_3"]).serialize_catalog
                 to Turtle (skipped above --dcat-max datasets: it holds the
                 whole graph in memory)
and, up to --triples-max datasets, the international triples mapped first
and then serialised, to compare writers alone: our Turtle and N-Triples
writers, given one dataset's triples at a time as the publisher gives them,
against pyoxigraph.serialize of all the same triples as its own terms
(triples/s of the serialisation only).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import multiprocessing
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
        record.update(
            id=f"00000000-0000-0000-0000-{number:012d}",
            name=f"dataset-{number}",
            owner_org="org-1",
            metadata_modified="2024-05-01T10:00:00",
            title=template["title_translated"]["zh-Hans"],
            notes=template["notes_translated"]["zh-Hans"],
            tags=[{"name": w} for w in template["keywords_translated"]["en"]],
        )
        # titles and descriptions differ between datasets, as they do in a
        # catalogue (and so no cache of texts flatters either side)
        for key in ("title_translated", "notes_translated"):
            record[key] = {k: f"{v} #{number}" for k, v in template[key].items()}
        if number % 4:  # three in four open with files, as a catalogue mostly is
            record.update(disclosure="public", open_attribute="unconditional")
        record["resources"] = [
            dict(r, id=f"r{number}-{i}", package_id=record["id"]) for i, r in enumerate(record["resources"])
        ]
        yield record


def run_ours_ttl(count, out):
    from sdm_schema.rdf import dcat_ap3
    from sdm_schema.rdf.mapping import dataset_triples, page_vocabulary
    from sdm_schema.rdf.writers import TurtleWriter

    profile = dcat_ap3.PROFILE
    # binary, as the publisher writes: the writers render UTF-8
    with open(os.path.join(out, "catalog.ttl"), "wb", buffering=1 << 20) as f:
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


def run_ours_publish_2(count, out):
    from sdm_harvester.publish import publish

    publish(datasets(count), out, catalog_info={"base_url": BASE}, workers=2)


def changed(count, contiguous=False):
    """The datasets with 1 % of them edited: every hundredth (spread), or
    one run of them in store order from the middle (contiguous: one
    department publishing again, its records stored together)."""
    first = count // 2
    for number, record in enumerate(datasets(count)):
        if (first <= number < first + max(1, count // 100)) if contiguous else number % 100 == 7:
            record = dict(record, version=f"V{number}-changed")
        yield record


def prepare_incremental(count, out):
    from sdm_harvester.publish import publish

    publish(
        datasets(count),
        os.path.join(out, "feeds"),
        catalog_info={"base_url": BASE},
        index_dir=os.path.join(out, "index"),
        workers=2,
    )


def run_incremental(count, out, contiguous=False):
    from sdm_harvester.publish import publish

    return _counts(
        publish(
            changed(count, contiguous),
            os.path.join(out, "feeds"),
            catalog_info={"base_url": BASE},
            index_dir=os.path.join(out, "index"),
            workers=2,
        )
    )


def _counts(summary):
    """The texts a publish took from the last one, and the pages it wrote, over every feed."""
    feeds = [f for name, f in summary.items() if name != "skipped"]
    return {"reused": sum(f["reused"] for f in feeds), "written": sum(f["written"] for f in feeds)}


def run_incremental_contiguous(count, out):
    return run_incremental(count, out, contiguous=True)


def _stored(count, out, changed_run=False):
    """Put the datasets (each its own origin) into a harvester store in
    `out`, or, `changed_run`, put the one run of 1 % changed again."""
    from sdm_harvester.pipeline import content_hash
    from sdm_harvester.store import Store
    from sdm_harvester.store.records import Incoming

    store = Store(os.path.join(out, "data"))
    batch = []
    for number, record in enumerate(changed(count, contiguous=True) if changed_run else datasets(count)):
        if changed_run and not record["version"].endswith("-changed"):
            continue
        record = dict(record, origin=f"{BASE}/origin/{number}")
        batch.append(Incoming(record["id"], (record["name"], record["name"]), record, content_hash(record), None))
        if len(batch) == 500:
            store.put_many("bench", batch, f"2024-06-0{2 if changed_run else 1}T00:00:00+00:00")
            batch = []
    if batch:
        store.put_many("bench", batch, f"2024-06-0{2 if changed_run else 1}T00:00:00+00:00")
    return store


def prepare_store_only(count, out):
    _stored(count, out).close()


def prepare_store(count, out):
    from sdm_harvester.publish import publish_store

    store = _stored(count, out)
    publish_store(store, os.path.join(out, "data"), os.path.join(out, "feeds"), BASE, workers=2)
    store.close()
    _stored(count, out, changed_run=True).close()


def run_store_publish(count, out):
    """`sdm-harvest publish --workers 2` of the store: incremental when a
    publish of it went before (its index is in the data folder), else full."""
    from sdm_harvester.publish import publish_store
    from sdm_harvester.store import Store

    store = Store(os.path.join(out, "data"))
    try:
        return _counts(publish_store(store, os.path.join(out, "data"), os.path.join(out, "feeds"), BASE, workers=2))
    finally:
        store.close()


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


def _mapped_triples(count):
    """The international triples of `count` datasets, a list per dataset."""
    from sdm_schema.rdf import dcat_ap3
    from sdm_schema.rdf.mapping import dataset_triples

    return [dataset_triples(record, dcat_ap3.PROFILE, BASE)[1] for record in datasets(count)]


def run_writers(count, out):
    """Serialisation alone: {writer: CPU seconds} for ours and pyoxigraph
    (CPU time of this process: the shared machine's load does not count)."""
    import pyoxigraph

    from sdm_schema.rdf import dcat_ap3
    from sdm_schema.rdf.writers import NTriplesWriter, TurtleWriter

    per_dataset = _mapped_triples(count)
    triples = [triple for dataset in per_dataset for triple in dataset]
    # the publisher never holds a page's triples in one list: keep the
    # collector from walking this one while either side is timed
    gc.collect()
    gc.freeze()
    figures = {}
    for name, writer_class in (("ours-ttl", TurtleWriter), ("ours-nt", NTriplesWriter)):
        start = time.process_time()
        writer = writer_class(io.BytesIO(), dcat_ap3.PROFILE.prefixes)  # bytes, as pyoxigraph gives
        writer.begin()
        for dataset in per_dataset:  # one dataset at a time, as the publisher and CKAN's pages write
            writer.write(dataset)
        writer.end()
        figures[name] = time.process_time() - start

    def node(term):
        if isinstance(term, str):
            return pyoxigraph.NamedNode(term)
        if term.lang:
            return pyoxigraph.Literal(term.value, language=term.lang)
        if term.datatype:
            return pyoxigraph.Literal(term.value, datatype=pyoxigraph.NamedNode(term.datatype))
        return pyoxigraph.Literal(term.value)

    quads = [pyoxigraph.Triple(node(s), node(p), node(o)) for s, p, o in triples]
    for name, fmt in (
        ("pyoxigraph-ttl", pyoxigraph.RdfFormat.TURTLE),
        ("pyoxigraph-nt", pyoxigraph.RdfFormat.N_TRIPLES),
    ):
        start = time.process_time()
        pyoxigraph.serialize(
            quads, format=fmt, prefixes=dict(dcat_ap3.PROFILE.prefixes) if fmt == pyoxigraph.RdfFormat.TURTLE else None
        )
        figures[name] = time.process_time() - start
    return {"triples": len(triples), "writers": figures}


SIDES = {
    "ours-ttl": run_ours_ttl,
    "ours-publish": run_ours_publish,
    "ours-publish-2": run_ours_publish_2,
    "ours-incr-1%": run_incremental,
    "ours-incr-run-1%": run_incremental_contiguous,
    "ours-publish-store-2": run_store_publish,
    "ours-incr-store-1%": run_store_publish,
    "ckanext-dcat": run_dcat,
}
_PUBLISH = ("sdm_harvester.publish",)
_STORE = (*_PUBLISH, "sdm_harvester.store", "sdm_harvester.evaluate")
IMPORTS = {
    "ours-publish": _PUBLISH,
    "ours-publish-2": _PUBLISH,
    "ours-incr-1%": _PUBLISH,
    "ours-incr-run-1%": _PUBLISH,
    "ours-publish-store-2": _STORE,
    "ours-incr-store-1%": _STORE,
}
PREPARE = {
    "ours-incr-1%": prepare_incremental,
    "ours-incr-run-1%": prepare_incremental,
    "ours-publish-store-2": prepare_store_only,
    "ours-incr-store-1%": prepare_store,
}


def _cpu() -> tuple[float, float]:
    """(CPU seconds, of them the system's) of this process and its children."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    system = own.ru_stime + workers.ru_stime
    return own.ru_utime + workers.ru_utime + system, system


def child(side, count):
    """Run one side; print seconds, CPU and system seconds, peak RSS in MB and output bytes as JSON."""
    for module in IMPORTS.get(side, ()):  # Python's imports are not the side's time
        importlib.import_module(module)
    with tempfile.TemporaryDirectory() as out:
        if side in PREPARE:  # in a process of its own: the peak RSS is the timed part's
            prepare = multiprocessing.get_context("fork").Process(target=PREPARE[side], args=(count, out))
            prepare.start()
            prepare.join()
            if prepare.exitcode:
                sys.exit(f"{side}: preparing failed ({prepare.exitcode})")
            os.sync()  # the first publish's gigabytes written back before, not during, the timed part
        start, (cpu, system) = time.perf_counter(), _cpu()
        extra = (run_writers if side == "writers" else SIDES[side])(count, out) or {}
        seconds, (cpu_end, system_end) = time.perf_counter() - start, _cpu()
        cpu, system = cpu_end - cpu, system_end - system
        size = sum(os.path.getsize(os.path.join(d, n)) for d, _s, names in os.walk(out) for n in names)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "sys": system, "peak_mb": peak, "bytes": size, **extra}))


def _run_child(side, size):
    done = subprocess.run(
        [sys.executable, __file__, "--child", side, str(size)], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _writers_table(size):
    r = _run_child("writers", size)
    print(f"{size:>9} serialisation alone, {r['triples']} international triples:")
    for name, seconds in r["writers"].items():
        print(f"{'':>9} {name:<15} {seconds:>8.2f} s {r['triples'] / seconds / 1e6:>6.2f} M triples/s")
    w = r["writers"]
    print(
        f"{'':>9} ours/pyoxigraph: ttl {w['ours-ttl'] / w['pyoxigraph-ttl']:.1f}x,"
        f" nt {w['ours-nt'] / w['pyoxigraph-nt']:.1f}x",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--dcat-max", type=int, default=10000)
    parser.add_argument("--triples-max", type=int, default=10000)
    parser.add_argument("--sides", default=",".join(SIDES), help="comma-separated sides to run")
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    print("command:", " ".join([os.path.relpath(sys.executable, ROOT), *sys.argv]))
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'datasets':>9} {'side':<20} {'total s':>8} {'CPU s':>7} {'sys s':>6} {'ms/dataset':>10}"
        f" {'peak RSS MB':>12} {'output MB':>10}"
    )
    for size in args.sizes:
        results = {}
        for side in args.sides.split(","):
            if side == "ckanext-dcat" and size > args.dcat_max:
                continue
            results[side] = r = _run_child(side, size)
            note = f"  reused {r['reused']}, {r['written']} pages written" if "reused" in r else ""
            print(
                f"{size:>9} {side:<20} {r['seconds']:>8.2f} {r['cpu']:>7.2f} {r['sys']:>6.2f} {1000 * r['seconds'] / size:>10.3f}"
                f" {r['peak_mb']:>12.1f} {r['bytes'] / 1e6:>10.1f}{note}",
                flush=True,
            )
        if "ckanext-dcat" in results and "ours-ttl" in results:
            base = results["ckanext-dcat"]["seconds"]
            print(f"{'':>9} speed-up: ttl {base / results['ours-ttl']['seconds']:.1f}x")
        for side, how, full in (
            ("ours-incr-1%", "spread", "ours-publish-2"),
            ("ours-incr-run-1%", "one run", "ours-publish-2"),
            ("ours-incr-store-1%", "one run, from the store", "ours-publish-2"),
            ("ours-incr-store-1%", "one run, from the store", "ours-publish-store-2"),
        ):
            if side in results and full in results:
                share = results[side]["seconds"] / results[full]["seconds"]
                print(f"{'':>9} incremental after 1 % changed ({how}): {100 * share:.1f} % of {full}")
        if size <= args.triples_max:
            _writers_table(size)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
