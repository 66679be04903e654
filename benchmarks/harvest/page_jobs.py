"""One large platform on workers, in one job and in page jobs (issue 19):
a CKAN API platform of `--datasets` datasets, `--page-size` a page, every
answer `--delay` seconds late, harvested by `--workers` rq workers into a
shared PostgreSQL store, once with `enqueue --page-jobs 0` (the whole
source is one job: one worker reads it, the others idle) and once with
`--page-jobs N` (a job per N pages and a finishing job).

    dev/services.sh up bench      # PostgreSQL and Redis on SDM_PG_PORT / SDM_REDIS_PORT
    .venv/bin/python benchmarks/harvest/page_jobs.py                  # 20 000 datasets, 4 workers
    .venv/bin/python benchmarks/harvest/page_jobs.py --datasets 2000  # a quick look
    dev/services.sh down bench

Every page is rendered before the clock starts and served from memory by a
threaded server (workers.py's), so the server is never the bottleneck.
Printed per case: wall time from the enqueue to the last worker's exit,
records stored (must be --datasets), CPU seconds of the workers (their
forked jobs included) and of PostgreSQL's backends, the speed-up over one
job, the load average before and after, and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import yaml
from bench import DEPARTMENT  # noqa: E402  (benchmarks/harvest/bench.py)
from workers import DATABASE, Launcher, command_line, drop_store, fresh_store, postgres_cpu, psql_run, records, serve

REDIS_PORT = os.environ.get("SDM_REDIS_PORT", "63799")
REDIS_DB = 13


def package(n: int) -> dict:
    """A vanilla CKAN dataset, as package_search answers it."""
    return {
        "id": f"{n:08d}-0000-4000-8000-000000000000",
        "name": f"obs-{n}",
        "title": f"降水观测数据 {n}",
        "notes": f"第 {n} 个站点的逐日降水观测。",
        "metadata_modified": "2026-10-01T00:00:00",
        "tags": [{"name": "降水"}, {"name": "气象"}],
        "extras": [{"key": "共享属性", "value": "无条件共享"}],
        "resources": [{"url": f"https://data.example.cn/obs/{n}.csv", "format": "CSV"}],
    }


def answers(datasets: int, page_size: int) -> dict[str, bytes]:
    """package_search's answers, keyed by the request's path and query as
    the harvester sends them (rows=0 for the count, then start=0, 100, …)."""
    query = "/api/3/action/package_search?q=%2A%3A%2A&rows={rows}&start={start}&sort=id+asc"
    packages = [package(n) for n in range(datasets)]

    def body(start: int, rows: int) -> bytes:
        result = {"count": datasets, "results": packages[start : start + rows]}
        return json.dumps({"success": True, "result": result}, ensure_ascii=False).encode()

    out = {query.format(rows=0, start=0): body(0, 0)}
    out.update({query.format(rows=page_size, start=s): body(s, page_size) for s in range(0, datasets, page_size)})
    return out


def case(launcher: Launcher, config: str, data: str, store: str, workers: int, page_jobs: int) -> tuple:
    from redis import Redis

    redis = f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}"
    Redis.from_url(redis).flushdb()
    started = time.monotonic()
    enqueue = ["enqueue", "--config", config, "--data-dir", data, "--force", "--store", store, "--redis", redis]
    [(cpu, _)] = launcher.cli([*enqueue, "--retries", "0", "--page-jobs", str(page_jobs)])
    ended = launcher.cli(*[["worker", "--burst", "--redis", redis]] * workers)
    return time.monotonic() - started, cpu + sum(c for c, _ in ended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100, help="datasets per page")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added to every answer")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--page-jobs", type=int, default=10, help="pages per job in the split case")
    args = parser.parse_args()
    command = command_line("page_jobs.py", args)
    psql_run(f"CREATE DATABASE {DATABASE}")  # kept from an earlier run, or new
    launcher = Launcher()  # before the pages fill this process
    server, pages = serve(args.delay, "application/json", by_query=True)
    pages.update(answers(args.datasets, args.page_size))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages_count = -(-args.datasets // args.page_size)
    print(
        f"1 ckan source × {args.datasets} datasets, {args.page_size} a page ({pages_count} pages),"
        f" {1000 * args.delay:g} ms per answer, {args.workers} workers"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'case':<16} {'wall s':>8} {'×1 job':>7} {'records':>8} {'CPU s':>7} {'PG CPU s':>9}")
    one_job = None
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "harvest.yaml")
        source = {"name": "big", "type": "ckan", "url": base, "department": DEPARTMENT}
        source["options"] = {"page_size": args.page_size}
        with open(config, "w", encoding="utf-8") as f:
            yaml.safe_dump({"sources": [source]}, f, allow_unicode=True)
        for page_jobs in (0, args.page_jobs):
            store, data = fresh_store(), os.path.join(tmp, f"data-{page_jobs}")
            before = postgres_cpu()
            wall, cpu = case(launcher, config, data, store, args.workers, page_jobs)
            time.sleep(1)  # the case's backends end once its processes have
            pg = postgres_cpu() - before
            held = records(store)
            drop_store(store)
            one_job = one_job or wall
            label = "one job" if not page_jobs else f"page-jobs={page_jobs}"
            print(f"{label:<16} {wall:>8.1f} {one_job / wall:>7.2f} {held:>8} {cpu:>7.1f} {pg:>9.1f}", flush=True)
            if held != args.datasets:
                sys.exit(f"{label}: {held} records stored, expected {args.datasets}")
    server.shutdown()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"command: {command}")


if __name__ == "__main__":
    main()
