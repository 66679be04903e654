"""The real PostgreSQL and Redis of dev/services.sh, for the shared store and
the rq workers (ports from SDM_PG_PORT / SDM_REDIS_PORT, as there).

`make test` (dev/run-tests.sh) has started them already; run alone, the
first test that needs them starts them and the session stops them again.
Each test gets a schema of its own in one database (its URL sets the
search_path), and a Redis database emptied before and after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "dev"))
from psql import PG_PORT, psql_run  # noqa: E402  (dev/psql.py)

REDIS_PORT = os.environ.get("SDM_REDIS_PORT", "63799")
DATABASE = "sdm_harvest_scale"
#: Redis database of these tests (CKAN's tests use 1).
REDIS_DB = 9
HOLDER = "harvest-scale"


def _redis_up() -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", REDIS_PORT, "ping"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        == "PONG"
    )


@pytest.fixture(scope="session")
def scale_services():
    """PostgreSQL (with the tests' database) and Redis, up for the session."""
    started = False
    if psql_run("SELECT 1").returncode != 0 or not _redis_up():
        subprocess.run(
            [os.path.join(ROOT, "dev", "services.sh"), "up", HOLDER], check=True, capture_output=True, timeout=300
        )
        started = True
    if psql_run(f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'").stdout.strip() != "1":
        created = psql_run(f"CREATE DATABASE {DATABASE} ENCODING 'UTF8' TEMPLATE template0")
        assert created.returncode == 0 or "already exists" in created.stderr, created.stderr
    yield
    if started:
        subprocess.run([os.path.join(ROOT, "dev", "services.sh"), "down", HOLDER], capture_output=True, timeout=120)


@pytest.fixture
def pg_url(scale_services):
    """A PostgreSQL store URL whose tables live in a fresh schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    assert psql_run(f"CREATE SCHEMA {schema}", DATABASE).returncode == 0
    yield f"postgresql://postgres@127.0.0.1:{PG_PORT}/{DATABASE}?options=-csearch_path%3D{schema}"
    psql_run(f"DROP SCHEMA {schema} CASCADE", DATABASE)


@pytest.fixture
def redis_url(scale_services):
    from redis import Redis

    url = f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}"
    Redis.from_url(url).flushdb()
    yield url
    Redis.from_url(url).flushdb()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Each store test on both backends: None (the SQLite file in the data
    directory, as today) and a PostgreSQL schema."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")
