"""Workers benchmark: slow platforms harvested by one process, by one rq
worker and by four, into a shared PostgreSQL store.

    dev/services.sh up bench      # PostgreSQL and Redis on SDM_PG_PORT / SDM_REDIS_PORT
    .venv/bin/python benchmarks/workers/bench.py --sources 8 --pages 4 --delay 1
    dev/services.sh down bench

Each source is a DCAT Turtle feed of `--pages` pages of 10 small SDM
datasets (benchmarks/harvest's generator, the project's feed writer),
served on 127.0.0.1 by a server that waits `--delay` seconds before every
answer: platforms are slow, and harvesting is waiting, not computing.  The
cases, each into a fresh PostgreSQL schema:
  run        `sdm-harvest run --store …`: one process, one source after another
  workers=N  `sdm-harvest enqueue` then N `sdm-harvest worker --burst`, from the
             enqueue to the last worker's exit
Printed: wall time, records stored, and the peak RSS of the largest process
(a worker or a job it forked; for `run`, the one process).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "harvest"))
from bench import DEPARTMENT, datasets  # noqa: E402  (benchmarks/harvest/bench.py)

sys.path.insert(0, os.path.join(ROOT, "dev"))
from psql import PG_PORT, psql, psql_run  # noqa: E402  (dev/psql.py)

from sdm_harvester.publish import PagedFeed  # noqa: E402
from sdm_schema.rdf import dcat_ap3  # noqa: E402
from sdm_schema.rdf.mapping import dataset_triples  # noqa: E402

REDIS_PORT = os.environ.get("SDM_REDIS_PORT", "63799")
DATABASE = "sdm_bench_workers"
PER_PAGE = 10
BASE = "https://data.example.cn"


def write_feed(folder: str, feed_url: str, pages: int) -> None:
    feed = PagedFeed(folder, feed_url, dcat_ap3.PROFILE, ("ttl",), {"base_url": BASE}, PER_PAGE)
    for dataset in datasets(pages * PER_PAGE):
        subject, triples = dataset_triples(dataset, dcat_ap3.PROFILE, BASE)
        feed.add(subject, triples)
    feed.finish()


def serve(folder: str, delay: float) -> ThreadingHTTPServer:
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(delay)
            path = os.path.join(folder, os.path.basename(self.path.split("?")[0]))
            if not os.path.isfile(path):
                self.send_error(404)
                return
            body = open(path, "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fresh_store() -> str:
    schema = f"b_{uuid.uuid4().hex[:10]}"
    psql(f"CREATE SCHEMA {schema}", DATABASE)
    return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{DATABASE}?options=-csearch_path%3D{schema}"


def cli(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "sdm_harvester.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **kwargs,
    )


def wait(process) -> tuple[int, float]:
    """Exit code and peak RSS (MB) of a process and the job processes it forked."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024


def records(store: str) -> int:
    from sdm_harvester.store import Store

    with tempfile.TemporaryDirectory() as data:
        store = Store(data, url=store)
        try:
            return sum(store.active_count(s["name"]) for s in store.source_states())
        finally:
            store.close()


def case_run(config: str, data: str) -> tuple[float, str, float]:
    store = fresh_store()
    started = time.monotonic()
    code, rss = wait(cli("run", "--config", config, "--data-dir", data, "--force", "--store", store))
    assert code == 0
    return time.monotonic() - started, store, rss


def case_workers(config: str, data: str, workers: int, redis: str) -> tuple[float, str, float]:
    from redis import Redis

    Redis.from_url(redis).flushdb()
    store = fresh_store()
    started = time.monotonic()
    assert (
        cli(
            "enqueue",
            "--config",
            config,
            "--data-dir",
            data,
            "--force",
            "--store",
            store,
            "--redis",
            redis,
            "--retries",
            "0",
        ).wait()
        == 0
    )
    processes = [cli("worker", "--burst", "--redis", redis) for _ in range(workers)]
    ended = [wait(p) for p in processes]
    assert all(code == 0 for code, _ in ended)
    return time.monotonic() - started, store, max(rss for _, rss in ended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--workers", default="1,4")
    args = parser.parse_args()
    redis = f"redis://127.0.0.1:{REDIS_PORT}/12"
    psql_run(f"CREATE DATABASE {DATABASE}")  # kept from an earlier run, or new
    with tempfile.TemporaryDirectory() as tmp:
        feed = os.path.join(tmp, "feed")
        os.makedirs(feed)
        server = serve(feed, args.delay)
        url = f"http://127.0.0.1:{server.server_address[1]}/feed"
        write_feed(feed, url, args.pages)
        config = os.path.join(tmp, "harvest.yaml")
        with open(config, "w", encoding="utf-8") as f:
            yaml.safe_dump(
                {
                    "sources": [
                        {"name": f"dept-{n}", "type": "dcat", "url": f"{url}/catalog.ttl", "department": DEPARTMENT}
                        for n in range(args.sources)
                    ]
                },
                f,
                allow_unicode=True,
            )
        print(f"{args.sources} sources × {args.pages} pages × {PER_PAGE} datasets, {args.delay:g} s per answer")
        print(f"{'case':<12} {'wall s':>8} {'records':>8} {'peak RSS MB':>12}")
        cases = [("run", lambda: case_run(config, os.path.join(tmp, "run")))]
        for n in (int(w) for w in args.workers.split(",")):
            cases.append((f"workers={n}", lambda n=n: case_workers(config, os.path.join(tmp, f"w{n}"), n, redis)))
        for label, case in cases:
            wall, store, rss = case()
            print(f"{label:<12} {wall:>8.1f} {records(store):>8} {rss:>12.0f}")
        server.shutdown()
    print(
        "command: .venv/bin/python benchmarks/workers/bench.py "
        f"--sources {args.sources} --pages {args.pages} --delay {args.delay:g} --workers {args.workers}"
    )


if __name__ == "__main__":
    main()
