"""What operators see of the harvest: each source's last run, the latest
runs, running leases, the records held with quality flags and, given a
Redis, rq's queues with their failed jobs.

One reading of the store for `sdm-harvest status` (text and --json) and for
CKAN's sysadmin page /ckan-admin/sdm/harvest, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from sdm_harvester.store import Store


def harvest_status(store: Store, redis_url: str | None = None) -> dict:
    """{sources, runs, quality_flags, leases[, queues]}: every source with
    the records it holds, the ten latest runs, the quality flags per
    department, the running leases and, with `redis_url`, the queues."""
    states = store.source_states()
    status = {
        "sources": [dict(state, records=store.active_count(state["name"])) for state in states],
        "runs": store.runs(),
        "quality_flags": flag_summary(store.iter_datasets()),
        "leases": store.running_leases(),
    }
    if redis_url:
        from sdm_harvester.workqueue import queue_status, redis_connection

        status["queues"] = queue_status(redis_connection(redis_url))
    return status


def flag_summary(datasets: Iterable[dict]) -> dict:
    """{department: {records, fields: {field: records}}} of the held
    records that carry quality flags."""
    out: dict = {}
    for dataset in datasets:
        flags = dataset.get("quality_flags") or []
        if not flags:
            continue
        entry = out.setdefault(dataset.get("owner_org") or "-", {"records": 0, "fields": {}})
        entry["records"] += 1
        for name in {f.get("field") for f in flags}:
            entry["fields"][name] = entry["fields"].get(name, 0) + 1
    return out
