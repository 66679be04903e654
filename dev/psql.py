"""psql against the private PostgreSQL of dev/services.sh (port $SDM_PG_PORT,
user postgres), for the tests and benchmarks that make databases of their
own: one spelling of the command instead of one in each of them.

Import it with dev/ on sys.path (the callers put it there).
"""

from __future__ import annotations

import os
import subprocess

PG_PORT = os.environ.get("SDM_PG_PORT", "54329")


def psql_run(sql: str, database: str = "postgres", timeout: float = 600) -> subprocess.CompletedProcess:
    """Run SQL (stopping at the first error); the finished process, for
    callers that look at its return code or stderr themselves."""
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", PG_PORT, "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1"]
        + ["-tAqc", sql],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def psql(sql: str, database: str = "postgres", timeout: float = 600) -> str:
    """Run SQL; its output, stripped, or RuntimeError with psql's stderr."""
    done = psql_run(sql, database, timeout)
    if done.returncode != 0:
        raise RuntimeError(f"psql -d {database} failed: {done.stderr.strip()}\n{sql[:200]}")
    return done.stdout.strip()


def fresh_database(name: str, template: str = "template0") -> None:
    """An empty database `name` owned by CKAN's user (dropped first if held)."""
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name} OWNER ckan_default ENCODING 'UTF8' TEMPLATE {template}")
