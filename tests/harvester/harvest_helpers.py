"""Helpers to run the harvester against real HTTP servers on 127.0.0.1
(local_server.Server).

A module of its own rather than conftest.py: tests/conftest.py already
takes that module name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import yaml
from local_server import Server  # noqa: F401 (the harvester tests' server, imported from here)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLATFORMS = os.path.join(ROOT, "examples", "platforms")
DEPARTMENT = {"uscc": "11510000MB0000002W", "name": {"zh-Hans": "巴中市自然资源和规划局", "en": "Bazhong NR"}}


def write_config(tmp_path, sources, **top) -> str:
    for source in sources:
        source.setdefault("department", DEPARTMENT)
        source.setdefault("retries", 1)
    path = tmp_path / "harvest.yaml"
    path.write_text(yaml.safe_dump({"sources": sources, **top}, allow_unicode=True), encoding="utf-8")
    return str(path)


def sdm_harvest(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    """The real console entry point, in a child process (no TTY)."""
    return subprocess.run(
        [sys.executable, "-m", "sdm_harvester.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        **kwargs,
    )


def run_report(tmp_path, config_path, *extra, env=None) -> tuple[int, dict]:
    report_path = tmp_path / f"report-{time.monotonic_ns()}.json"
    result = sdm_harvest(
        "run",
        "--config",
        config_path,
        "--data-dir",
        str(tmp_path / "data"),
        "--force",
        "--report",
        str(report_path),
        *extra,
        env=env,
    )
    assert report_path.exists(), result.stderr
    return result.returncode, json.loads(report_path.read_text(encoding="utf-8"))


def source_report(report: dict, name: str) -> dict:
    return next(s for s in report["sources"] if s["name"] == name)
