"""Backup benchmark: `ckan sdm backup` / `ckan sdm restore` at N datasets,
and an incremental backup after 1 % changed, beside CKAN's documented
backup (pg_dump -Fc plus a tar.gz of the filestore) on the same database.

    .venv/bin/python benchmarks/backup/bench.py 10000

It starts the private services (dev/services.sh, holder `bench-backup`),
makes a site database `sdm_bench_backup` with one real dataset created
through package_create, copies it in SQL to N datasets (new ids, names and
titles; extras and resources with them; not indexed, a backup reads the
database only), then measures:
  anchor-dump      pg_dump -Fc + tar czf of the filestore (CKAN's docs)
  sdm-backup       ckan sdm backup into an empty restic repository
  sdm-incremental  ckan sdm backup again after 1 % of the datasets changed
  sdm-restore      ckan sdm restore into an empty database: restore,
                   migrate, re-index (SDM_BENCH_INDEX_WORKERS, default 2),
                   verify everything
Sizes: the anchor's files; for restic the repository growth on disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
CKAN = os.path.join(BIN, "ckan")
HOLDER = "bench-backup"
DB = "sdm_bench_backup"
TARGET_DB = "sdm_bench_restore"
sys.path.insert(0, os.path.join(ROOT, "dev"))
from psql import PG_PORT, fresh_database, psql  # noqa: E402  (dev/psql.py)

#: Processes that re-index at the restore (its --index-workers).
WORKERS = int(os.environ.get("SDM_BENCH_INDEX_WORKERS", "2"))

CLONE = """
BEGIN;
CREATE TEMP TABLE n AS SELECT g AS i, md5('bench' || g)::uuid::text AS pid FROM generate_series(1, {count}) g;
INSERT INTO package (id, name, title, version, url, notes, author, author_email, maintainer, maintainer_email,
  state, license_id, type, owner_org, private, metadata_modified, creator_user_id, metadata_created, plugin_data)
SELECT n.pid, 'bench-' || n.i, p.title || ' ' || n.i, p.version, p.url, p.notes || ' ' || n.i, p.author,
  p.author_email, p.maintainer, p.maintainer_email, p.state, p.license_id, p.type, p.owner_org, p.private,
  p.metadata_modified, p.creator_user_id, p.metadata_created, p.plugin_data
FROM package p, n WHERE p.name = 'bench-seed';
INSERT INTO package_extra (id, package_id, key, value, state)
SELECT md5(n.pid || e.key)::uuid::text, n.pid, e.key,
  CASE WHEN e.key = 'title_translated' THEN replace(e.value, '"}', ' ' || n.i || '"}') ELSE e.value END, e.state
FROM package_extra e JOIN package p ON p.id = e.package_id, n WHERE p.name = 'bench-seed';
INSERT INTO resource (id, package_id, url, format, description, position, name, state, created, extras, url_type)
SELECT md5(n.pid || r.id)::uuid::text, n.pid, r.url || '?n=' || n.i, r.format, r.description, r.position, r.name,
  r.state, r.created, r.extras, r.url_type
FROM resource r JOIN package p ON p.id = r.package_id, n WHERE p.name = 'bench-seed';
INSERT INTO member (id, table_id, group_id, state, table_name, capacity)
SELECT md5(n.pid || m.group_id)::uuid::text, n.pid, m.group_id, m.state, m.table_name, m.capacity
FROM member m JOIN package p ON p.id = m.table_id, n WHERE p.name = 'bench-seed';
COMMIT;
"""
CHANGE = (
    "UPDATE package SET notes = notes || ' (revised)', metadata_modified = now() "
    "WHERE name ~ '^bench-[0-9]+$' AND (substring(name from 7))::int % 100 = 0"
)

SEED = """
import sys
from ckan.cli import load_config
from ckan.config.middleware import make_app
app = make_app(load_config(sys.argv[1]))
with app._wsgi_app.test_request_context():
    from ckan.logic import get_action
    ctx = lambda: {"user": get_action("get_site_user")({"ignore_auth": True}, {})["name"], "ignore_auth": True}
    org = get_action("organization_create")(ctx(), {"name": "bench-unit", "uscc": "91110000600037341L",
        "title_translated": {"zh-Hans": "基准测试单位", "en": "Benchmark unit"}})
    get_action("package_create")(ctx(), {"name": "bench-seed", "owner_org": org["id"],
        "title_translated": {"zh-Hans": "巴州水文站逐日流量", "en": "Daily discharge at Bazhou station"},
        "notes_translated": {"zh-Hans": "巴州水文站逐日平均流量与水位。", "en": "Daily mean discharge and stage."},
        "keywords_translated": {"zh-Hans": ["水文"], "en": ["hydrology"]},
        "resources": [{"url": "https://data.example.cn/hydro/seed.csv", "format": "CSV", "name": "seed.csv"}]})
"""


def sh(*args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")
    return done


def site(work: str, db: str, site_id: str, key: str) -> str:
    """A site ini; both sites hold the same signing key, as a recovery site must."""
    ini = os.path.join(work, f"{db}.ini")
    sh(
        os.path.join(ROOT, "dev", "ckan-ini.sh"),
        ini,
        db,
        "http://127.0.0.1:5099",
        env=dict(os.environ, SDM_CKAN_SITE_ID=site_id),
    )
    sh(
        CKAN,
        "config-tool",
        ini,
        f"ckan.storage_path = {os.path.join(work, 'storage-' + db)}",
        f"ckanext.sdm.submission.signing_key = {key}",
    )
    return ini


def timed(*args) -> float:
    """Seconds the command took; the steps it reports go to stderr."""
    start = time.perf_counter()
    done = sh(*args)
    seconds = time.perf_counter() - start
    for line in done.stdout.splitlines():
        if line.endswith(" s)"):
            print(f"    {args[3]} {args[4]}: {line}", file=sys.stderr, flush=True)
    return seconds


def load() -> float:
    """The 1-minute load average as a step ends (the machine is shared)."""
    return os.getloadavg()[0]


def size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def build(ini: str, count: int) -> None:
    """N datasets in the source database.  Not indexed: a backup reads the
    database only, and the restore indexes what it restored."""
    fresh_database(DB)
    sh(CKAN, "-c", ini, "db", "init")
    sh(CKAN, "-c", ini, "db", "pending-migrations", "--apply")
    sh(sys.executable, "-c", SEED, ini)
    psql(CLONE.replace("{count}", str(count - 1)), DB)


def run(count: int, work: str) -> list[tuple]:
    key = os.path.join(work, "site-signing.pem")
    sh(sys.executable, "-m", "ckanext.sdm.signing", key)
    ini = site(work, DB, "bench-backup", key)
    build(ini, count)
    password = os.path.join(work, "restic.pass")
    with open(password, "w") as f:
        f.write("benchmark\n")
    repo = os.path.join(work, "repo")
    rows = []
    dump, tarball = os.path.join(work, "anchor.dump"), os.path.join(work, "anchor-files.tar.gz")
    os.makedirs(os.path.join(work, f"storage-{DB}"), exist_ok=True)
    url = f"postgresql://ckan_default:pass@127.0.0.1:{PG_PORT}/{DB}"
    start = time.perf_counter()
    sh("pg_dump", "--format=custom", f"--file={dump}", url)
    sh("tar", "czf", tarball, "-C", work, f"storage-{DB}")
    rows.append(("anchor-dump", time.perf_counter() - start, size(dump) + size(tarball), load()))
    backup = (CKAN, "-c", ini, "sdm", "backup", "--repo", repo, "--password-file", password)
    rows.append(("sdm-backup", timed(*backup), size(repo), load()))
    before = size(repo)
    psql(CHANGE, DB)
    rows.append(("sdm-incremental", timed(*backup), size(repo) - before, load()))
    target = site(work, TARGET_DB, "bench-restore", key)
    fresh_database(TARGET_DB)
    rows.append(
        (
            "sdm-restore",
            timed(
                CKAN,
                "-c",
                target,
                "sdm",
                "restore",
                "--repo",
                repo,
                "--password-file",
                password,
                "--index-workers",
                str(WORKERS),
            ),
            size(repo),
            load(),
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="+", type=int)
    args = parser.parse_args()
    sh(os.path.join(ROOT, "dev", "services.sh"), "up", HOLDER)
    print(f"command: {' '.join([os.path.relpath(sys.executable, ROOT), *sys.argv])}")
    print(f"load average before: {' '.join(f'{n:.1f}' for n in os.getloadavg())}; index workers {WORKERS}")
    print("| datasets | step | seconds | MB | load (1 min, after) |\n|---:|---|---:|---:|---:|")
    try:
        for count in args.counts:
            work = tempfile.mkdtemp(prefix="sdm-bench-backup-")
            try:
                for step, seconds, nbytes, load in run(count, work):
                    print(f"| {count:,} | {step} | {seconds:.1f} | {nbytes / 1e6:.1f} | {load:.1f} |", flush=True)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        for name in (DB, TARGET_DB):
            psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        subprocess.run([os.path.join(ROOT, "dev", "services.sh"), "down", HOLDER], capture_output=True)


if __name__ == "__main__":
    main()
