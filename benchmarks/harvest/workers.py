"""Distributed-harvest benchmark (issue 19, deliver 6): slow platforms
harvested by one `sdm-harvest run` process and by 1, 2, 4 and 8 rq workers,
on the same sources in the same run, into a shared PostgreSQL store.

    dev/services.sh up bench      # PostgreSQL and Redis on SDM_PG_PORT / SDM_REDIS_PORT
    .venv/bin/python benchmarks/harvest/workers.py                # 200 × 500, 50 ms, run,1,2,4,8
    .venv/bin/python benchmarks/harvest/workers.py --sources 20   # a quick look
    dev/services.sh down bench

The sources: `--sources` DCAT-AP 3 Turtle catalogues of `--records` small
SDM datasets each (bench.py's generator, written by the project's own feed
writer), `--page-size` datasets a page, linked by hydra:next, which the
harvester follows.  Every source has records of its own (identifiers, IRIs,
titles), so no source is a cache hit for another.  The default page size is
100, ckanext-dcat's default for its /catalog endpoint
(`ckanext.dcat.datasets_per_page`): the catalogue a slow department platform
on CKAN serves unless its operator changed it; 500 records are then 5 pages.

The server adds `--delay` seconds (default 50 ms) to every answer: platforms
are slow, and harvesting is waiting, not computing.  It must never be the
bottleneck: every page is rendered before the clock starts and served from
memory by a threaded HTTP/1.1 server (one thread per connection, the wait a
sleep that holds no lock).

The cases, each into a fresh PostgreSQL schema (an empty store) and a fresh
Redis database:
  run        `sdm-harvest run --force --store …`: one process, one source
             after another
  workers=N  `sdm-harvest enqueue --force`, then N `sdm-harvest worker
             --burst`, timed from the enqueue to the last worker's exit
Printed per case: wall time, records stored (must be sources × records),
CPU seconds of the harvester (user + system of every process of the case
and the job processes they forked) and of PostgreSQL (its backends that
served the case: the postmaster's reaped children), both per source, and
the peak RSS of the largest and smallest worker (each worker's
`ru_maxrss`, its forked jobs included): memory per worker should stay
flat as workers are added.  On C cores no case can beat (harvester +
PostgreSQL CPU) / C, whatever the number of workers.  Then the speed-up of each case over `run`,
the load average before and after, and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "dev"))
from bench import DEPARTMENT, datasets  # noqa: E402  (benchmarks/harvest/bench.py)
from psql import PG_PORT, psql, psql_run  # noqa: E402  (dev/psql.py)

from sdm_harvester.publish import PagedFeed  # noqa: E402
from sdm_schema.rdf import dcat_ap3  # noqa: E402
from sdm_schema.rdf.mapping import dataset_triples  # noqa: E402

REDIS_PORT = os.environ.get("SDM_REDIS_PORT", "63799")
REDIS_DB = 12
DATABASE = "sdm_bench_workers"
#: Stands for the source in one rendered catalogue; replaced per source.
TOKEN = "zq0000qz"


def render(records: int, page_size: int, feed_url: str) -> dict[str, bytes]:
    """One catalogue's pages, {file name: bytes}, with TOKEN where the
    source's own name goes (IRIs, next-page links, titles)."""
    with tempfile.TemporaryDirectory() as folder:
        feed = PagedFeed(
            folder, feed_url, dcat_ap3.PROFILE, ("ttl",), {"base_url": f"https://{TOKEN}.example.cn"}, page_size
        )
        for dataset in datasets(records):
            for text in (dataset["title_translated"], dataset["notes_translated"]):
                for lang in text:
                    text[lang] += f" {TOKEN}"
            subject, triples = dataset_triples(dataset, dcat_ap3.PROFILE, f"https://{TOKEN}.example.cn")
            feed.add(subject, triples)
        feed.finish()
        out = {}
        for name in os.listdir(folder):
            if name.endswith(".ttl"):
                with open(os.path.join(folder, name), "rb") as f:
                    out[name] = f.read()
        return out


def catalogues(sources: int, records: int, page_size: int, base: str) -> dict[str, bytes]:
    """Every source's pages by path: one rendering, the token replaced."""
    template = render(records, page_size, f"{base}/{TOKEN}")
    return {
        f"/{name}/{file}": body.replace(TOKEN.encode(), name.encode())
        for name in source_names(sources)
        for file, body in template.items()
    }


def source_names(sources: int) -> list[str]:
    return [f"d{n:04d}" for n in range(sources)]


def serve(
    delay: float, content_type: str = "text/turtle", by_query: bool = False
) -> tuple[ThreadingHTTPServer, dict[str, bytes]]:
    """The slow platform: pages from memory (filled in later), each answer
    `delay` seconds late; keyed by path, or `by_query` by path and query
    (an API's answers, page_jobs.py)."""
    pages: dict[str, bytes] = {}

    class Slow(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the harvester's session uses it

        def do_GET(self) -> None:
            time.sleep(delay)
            body = pages.get(self.path if by_query else self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, pages


def fresh_store() -> str:
    schema = f"b_{uuid.uuid4().hex[:10]}"
    psql(f"CREATE SCHEMA {schema}", DATABASE)
    return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{DATABASE}?options=-csearch_path%3D{schema}"


def drop_store(store: str) -> None:
    psql(f"DROP SCHEMA {store.rpartition('%3D')[2]} CASCADE", DATABASE)


def postgres_cpu() -> float:
    """CPU seconds of the store's PostgreSQL backends that have ended (the
    postmaster's reaped children), so far."""
    data = psql("SHOW data_directory")
    with open(os.path.join(data, "postmaster.pid")) as f:
        pid = f.readline().strip()
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return sum(int(x) for x in fields[13:15]) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


#: A small process that starts each case's processes and waits for them.
#: They are forked from it, not from this process: Linux keeps a process's
#: peak RSS across exec, so every child of this one, which holds all the
#: pages in memory, would report at least its size.  Their stderr goes to
#: files (a pipe left unread would block a worker that logs every job).
LAUNCHER = r"""
import json, os, subprocess, sys, tempfile
for line in sys.stdin:
    logs = [tempfile.TemporaryFile() for _ in json.loads(line)]
    procs = [subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=f) for a, f in zip(json.loads(line), logs)]
    out = []
    for process, log in zip(procs, logs):
        _, status, usage = os.wait4(process.pid, 0)
        log.seek(0)
        tail = log.read().decode(errors="replace")[-2000:]
        out.append([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, tail])
    print(json.dumps(out), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def cli(self, *commands: list[str]) -> list[tuple[float, float]]:
        """Run `sdm-harvest` commands at once; CPU seconds and peak RSS (MB)
        of each (with the jobs it forked); exits the benchmark if one failed."""
        argv = [[sys.executable, "-m", "sdm_harvester.cli", *command] for command in commands]
        self.process.stdin.write(json.dumps(argv) + "\n")
        self.process.stdin.flush()
        results = json.loads(self.process.stdout.readline())
        for command, (code, _, _, tail) in zip(commands, results, strict=True):
            if code != 0:
                sys.exit(f"sdm-harvest {' '.join(command[:1])} exited {code}: {tail}")
        return [(cpu, rss) for _, cpu, rss, _ in results]


def records(store: str) -> int:
    from sdm_harvester.store import Store

    with tempfile.TemporaryDirectory() as data:
        opened = Store(data, url=store)
        try:
            return sum(opened.active_count(s["name"]) for s in opened.source_states())
        finally:
            opened.close()


def case_run(launcher: Launcher, config: str, data: str, store: str) -> tuple[float, float, list[float]]:
    started = time.monotonic()
    [(cpu, rss)] = launcher.cli(["run", "--config", config, "--data-dir", data, "--force", "--store", store])
    return time.monotonic() - started, cpu, [rss]


def case_workers(
    launcher: Launcher, config: str, data: str, store: str, workers: int
) -> tuple[float, float, list[float]]:
    from redis import Redis

    redis = f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}"
    Redis.from_url(redis).flushdb()
    started = time.monotonic()
    enqueue = ["enqueue", "--config", config, "--data-dir", data, "--force", "--store", store]
    [(cpu, _)] = launcher.cli([*enqueue, "--redis", redis, "--retries", "0"])
    ended = launcher.cli(*[["worker", "--burst", "--redis", redis]] * workers)
    return time.monotonic() - started, cpu + sum(c for c, _ in ended), [rss for _, rss in ended]


def write_config(folder: str, base: str, sources: int) -> str:
    path = os.path.join(folder, "harvest.yaml")
    listed = [
        {"name": name, "type": "dcat", "url": f"{base}/{name}/catalog.ttl", "department": DEPARTMENT}
        for name in source_names(sources)
    ]
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump({"sources": listed}, f, allow_unicode=True)
    return path


def command_line(script: str, args: argparse.Namespace) -> str:
    """The command that repeats a run, every option spelled out (defaults too)."""
    options = [f"--{name.replace('_', '-')} {value}" for name, value in vars(args).items()]
    return f".venv/bin/python benchmarks/harvest/{script} {' '.join(options)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--records", type=int, default=500, help="datasets per source")
    parser.add_argument("--page-size", type=int, default=100, help="datasets per page")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added to every answer")
    parser.add_argument("--cases", default="run,1,2,4,8", help="run and worker counts, in order")
    args = parser.parse_args()
    command = command_line("workers.py", args)
    psql_run(f"CREATE DATABASE {DATABASE}")  # kept from an earlier run, or new
    launcher = Launcher()  # before the pages fill this process
    server, pages = serve(args.delay)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages.update(catalogues(args.sources, args.records, args.page_size, base))
    expected = args.sources * args.records
    print(
        f"{args.sources} sources × {args.records} records, {args.page_size} a page "
        f"({len(pages)} pages, {sum(map(len, pages.values())) / 1e6:.0f} MB), {1000 * args.delay:g} ms per answer"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'case':<10} {'wall s':>8} {'×run':>6} {'records':>8} {'CPU s':>7} {'CPU/src':>8}"
        f" {'PG CPU s':>9} {'PG/src':>7} {'RSS MB max/min':>15}"
    )
    base_wall = None
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(tmp, base, args.sources)
        for case in args.cases.split(","):
            store = fresh_store()
            data = os.path.join(tmp, f"data-{case}")
            before = postgres_cpu()
            if case == "run":
                wall, cpu, rss = case_run(launcher, config, data, store)
            else:
                wall, cpu, rss = case_workers(launcher, config, data, store, int(case))
            time.sleep(1)  # the case's backends end once its processes have
            pg = postgres_cpu() - before
            held = records(store)
            drop_store(store)
            base_wall = base_wall or (wall if case == "run" else None)
            label = "run" if case == "run" else f"workers={case}"
            ratio = f"{base_wall / wall:.2f}" if base_wall else "-"
            print(
                f"{label:<10} {wall:>8.1f} {ratio:>6} {held:>8} {cpu:>7.1f} {cpu / args.sources:>8.2f}"
                f" {pg:>9.1f} {pg / args.sources:>7.2f} {max(rss):>7.0f}/{min(rss):<7.0f}",
                flush=True,
            )
            if held != expected:
                sys.exit(f"{label}: {held} records stored, expected {expected}")
    server.shutdown()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"benchmark process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB peak")
    print(f"command: {command}")


if __name__ == "__main__":
    main()
