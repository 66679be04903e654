"""sdm-harvest: harvest department platforms into the SDM catalogue.

Exit codes (for cron and scripts):
  0  every source harvested (invalid records are reported, not failures)
  1  partial failure: a source failed, or some of its records could not be read
  2  configuration error (nothing was harvested)
  3  another run holds the data directory's lock (nothing was done)
"""

from __future__ import annotations

import hashlib
import json
import logging
import logging.handlers
import os
import sys
from typing import TYPE_CHECKING, Any, Iterable

import click

from sdm_harvester import config as configuration
from sdm_harvester import options, pipeline, targets
from sdm_harvester import report as reports
from sdm_harvester.backup_command import backup_command, restore_command
from sdm_harvester.evaluate_command import day_option, link_checker, link_options
from sdm_harvester.lock import Locked, RunLock, UnsafeFile, refuse_links
from sdm_harvester.status import harvest_status
from sdm_harvester.store import STORE_ENV, Store, describe, now_iso, open_failure

if TYPE_CHECKING:
    from datetime import date

DEFAULT_DATA_DIR = "./sdm-data"
LOG_NAME = "harvest.log"

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="SDM_DATA_DIR",
    default=DEFAULT_DATA_DIR,
    show_default=True,
    help="Where the store, reports, log and lock live (env SDM_DATA_DIR).",
)

store_option = click.option(
    "--store",
    "store_url",
    envvar=STORE_ENV,
    default=None,
    metavar="URL",
    help="A shared store: postgresql://USER:PASSWORD@HOST/DB (env SDM_STORE). "
    "Default: the SQLite file harvest.sqlite in the data directory.",
)
redis_option = click.option(
    "--redis",
    "redis_url",
    envvar="SDM_REDIS",
    default="redis://127.0.0.1:6379/0",
    show_default=True,
    help="The Redis that holds rq's queues (env SDM_REDIS).",
)


def _open_store(data_dir: str, store_url: str | None) -> Store:
    """The store, or exit 2 naming what is wrong with --store."""
    try:
        return Store(data_dir, url=store_url)
    except ValueError as error:
        _fail(str(error), pipeline.EXIT_CONFIG)
    except Exception as error:  # cannot connect, bad credentials …
        _fail(open_failure(data_dir, store_url, error), pipeline.EXIT_CONFIG)


def _require_store(data_dir: str, store_url: str | None) -> Store:
    if not (store_url or os.environ.get(STORE_ENV)) and not os.path.exists(os.path.join(data_dir, "harvest.sqlite")):
        _fail(f"{data_dir}: no harvest has run here yet", pipeline.EXIT_CONFIG)
    return _open_store(data_dir, store_url)


def _interactive() -> bool:
    return sys.stderr.isatty()


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _setup_logging(data_dir: str, verbose: bool) -> None:
    os.makedirs(data_dir, exist_ok=True)
    log_path = os.path.join(data_dir, LOG_NAME)
    refuse_links(log_path, *(f"{log_path}.{n}" for n in range(1, 4)))
    handler = logging.handlers.RotatingFileHandler(
        os.path.join(data_dir, LOG_NAME), maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("sdm_harvester")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def _fail(message: str, code: int):
    click.echo(f"sdm-harvest: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ckanext-sdm", prog_name="sdm-harvest")
def main() -> None:
    """Harvest department platforms (CKAN, DCAT, OAI-PMH, catalogue
    spreadsheets) into the SDM catalogue, and publish its feeds.

    \b
    Exit codes: 0 ok · 1 partial failure · 2 configuration error · 3 locked.

    \b
    Examples:
      sdm-harvest sources check --config harvest.yaml
      sdm-harvest run --config harvest.yaml --data-dir /var/lib/sdm
      sdm-harvest run --source spreadsheet=file:///srv/in/catalogue.xlsx \\
          --department 91350100M000100Y43 --department-name 示例局
      sdm-harvest status --data-dir /var/lib/sdm
    """


def _one_off_sources(specs: Iterable[str], department: str, department_name: str) -> configuration.Config:
    if not department:
        raise configuration.ConfigError(["--source needs --department (the responsible unit's USCC)"])
    raw = []
    for spec in specs:
        kind, sep, url = spec.partition("=")
        if not sep:
            raise configuration.ConfigError([f"--source {spec!r}: expected TYPE=URL, e.g. oai-pmh=https://…/oai"])
        digest = hashlib.sha1(url.encode()).hexdigest()[:8]
        raw.append(
            {
                "name": f"{kind.replace('-', '')}-{digest}",
                "type": kind,
                "url": url,
                "department": {"uscc": department, "name": department_name or department},
            }
        )
    return configuration.from_dict({"sources": raw})


@main.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Harvest configuration (YAML).")
@click.option(
    "--source",
    "source_specs",
    multiple=True,
    metavar="TYPE=URL",
    help=f"One-off source instead of --config; TYPE is one of {', '.join(configuration.SOURCE_TYPES)}. "
    "Repeatable. URL may be file://.",
)
@click.option("--department", default="", metavar="USCC", help="Responsible unit's USCC, for --source.")
@click.option("--department-name", default="", help="Responsible unit's name, for --source.")
@data_dir_option
@click.option(
    "--only", multiple=True, metavar="NAME", help="Harvest only this configured source (repeatable), due or not."
)
@click.option("--force", is_flag=True, help="Harvest every source, due by its schedule or not.")
@options.full_listing
@options.report_path
@options.load_target
@store_option
@options.verbose
def run(
    config_path: str | None,
    source_specs: tuple[str, ...],
    department: str,
    department_name: str,
    data_dir: str,
    only: tuple[str, ...],
    force: bool,
    full: bool,
    report_path: str | None,
    target_kind: str,
    ckan_url: str,
    ckan_token_env: str,
    store_url: str | None,
    verbose: bool,
) -> None:
    """Harvest every due source into the store in the data directory.

    A source is due when its last successful run is older than its schedule.
    Records are validated against the SDM schema; invalid ones are listed in
    the run report, classified ones are counted and never stored or loaded.
    Records gone upstream are withdrawn unless the circuit breaker trips.
    With --target ckan, new and changed records are then loaded into a CKAN
    site (one organisation per responsible unit) and withdrawn ones deleted
    there; unchanged records cost the site nothing.  With a shared store
    (--store postgresql://…) each source is leased as workers lease it, so
    a run never harvests a source a worker is harvesting.

    \b
    Examples:
      sdm-harvest run --config harvest.yaml
      SDM_CKAN_TOKEN=… sdm-harvest run --config harvest.yaml \\
          --target ckan --ckan-url https://data.example.cn
      sdm-harvest run --config harvest.yaml --only meteo-oai --full
      sdm-harvest run --source oai-pmh=https://repo.example.cn/oai \\
          --department 12100000400011035E --report /tmp/report.json
    """
    try:
        if bool(config_path) == bool(source_specs):
            raise configuration.ConfigError(["give either --config FILE or one or more --source TYPE=URL"])
        config = (
            configuration.load(config_path)
            if config_path
            else _one_off_sources(source_specs, department, department_name)
        )
        unknown = [name for name in only if name not in {s.name for s in config.sources}]
        if unknown:
            raise configuration.ConfigError([f"--only {name}: no such source in the configuration" for name in unknown])
        target = targets.from_options(target_kind, ckan_url, ckan_token_env)
    except configuration.ConfigError as error:
        _fail("configuration error:\n  " + "\n  ".join(error.problems), pipeline.EXIT_CONFIG)
    result = _harvest(
        config,
        data_dir,
        store_url,
        report_path,
        verbose,
        full=full,
        force=force or bool(source_specs),
        only=only,
        target=target,
    )
    sys.exit(result.exit_code)


def _harvest(
    config: configuration.Config,
    data_dir: str,
    store_url: str | None,
    report_path: str | None,
    verbose: bool,
    **options: Any,
) -> reports.RunReport:
    """One run of `config` into the store, under the data directory's lock,
    its report written and summarised (run and rebuild)."""
    log = logging.getLogger("sdm_harvester")
    try:
        _setup_logging(data_dir, verbose)
        with RunLock(data_dir):
            store = _open_store(data_dir, store_url)
            try:
                run_id = store.start_run(now_iso())
                lease = None if store.dialect == "sqlite" else _leaser(store)
                progress = _progress if _interactive() else log.info
                result = pipeline.run(
                    config, store, run_id, pipeline.Options(progress=progress, lease=lease, **options)
                )
                path = reports.write(result, data_dir, config.keep_reports, report_path)
                store.finish_run(run_id, result.finished, result.exit_code, result.to_dict(), config.keep_reports)
            finally:
                store.close()
    except Locked as error:
        _fail(str(error), pipeline.EXIT_LOCKED)
    except UnsafeFile as error:
        _fail(str(error), pipeline.EXIT_CONFIG)
    log.info("run %s finished with exit code %s; report %s", run_id, result.exit_code, path)
    if _interactive():
        _print_summary(result, path)
    elif result.exit_code:
        click.echo(f"sdm-harvest: run {run_id} had failures; see {path}", err=True)
    return result


def _leaser(store: Store):
    from sdm_harvester.store import Lease, holder_name

    # a source a worker is harvesting now is left to it
    return lambda source: Lease(store, source, holder_name("run"), wait=0)


def _print_summary(result: reports.RunReport, path: str) -> None:
    columns = reports.COUNTS
    click.echo(f"{'source':<24} {'status':<8} " + " ".join(f"{c:>10}" for c in columns), err=True)
    for source in result.sources:
        click.echo(
            f"{source.name:<24} {source.status:<8} " + " ".join(f"{source.counts[c]:>10}" for c in columns), err=True
        )
        if source.target:
            click.echo("    target: " + ", ".join(f"{k} {v}" for k, v in source.target.items()), err=True)
        for line in source.errors[:5] + source.warnings[:5]:
            click.echo(f"    {line}", err=True)
        if source.withdrawal["reason"] and source.withdrawal["missing"]:
            click.echo(f"    withdrawal: {source.withdrawal['reason']}", err=True)
    click.echo(f"report: {path}", err=True)


@main.command()
@click.option(
    "--from",
    "feed",
    required=True,
    metavar="URL|FILE",
    help="The national feed to rebuild from: its first page (feeds/national/catalog.ttl), a URL or a file.",
)
@click.option("--department", required=True, metavar="USCC", help="This catalogue's own unit's USCC (the harvester).")
@click.option("--department-name", default="", help="This catalogue's own unit's name.")
@data_dir_option
@store_option
@options.report_path
@click.option(
    "--lost",
    "lost_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write what could not come back, as JSON (default DATA_DIR/rebuild.json).",
)
@click.option("--force", is_flag=True, help="Rebuild into a store that already holds records.")
@options.verbose
def rebuild(
    feed: str,
    department: str,
    department_name: str,
    data_dir: str,
    store_url: str | None,
    report_path: str | None,
    lost_path: str | None,
    force: bool,
    verbose: bool,
) -> None:
    """Rebuild the public catalogue from its national feed, when the
    database and every backup are lost, and say what cannot come back.

    The feed is harvested with the DCAT source into an empty store: every
    public field comes back as published (the federation round trip).
    Then it prints, and writes to --lost, what no feed carries: classified
    and private records, withheld files (each dataset named), access
    grants, certificates and keys, the audit trail, the blacklist, accounts
    and the rest (docs/backup.md).  `sdm-harvest publish` then serves the
    rebuilt feeds again.

    \b
    Example:
      sdm-harvest rebuild --from https://data.example.cn/feeds/national/catalog.ttl \\
          --department 12100000400011035E --data-dir /var/lib/sdm
    """
    from sdm_harvester import rebuild as rebuilding

    try:
        url = rebuilding.feed_url(feed)
    except rebuilding.RebuildError as error:
        _fail(str(error), pipeline.EXIT_CONFIG)
    store = _open_store(data_dir, store_url)
    try:
        held = next(iter(store.iter_datasets()), None) is not None
    finally:
        store.close()
    if held and not force:
        _fail(
            f"{data_dir}: the store already holds records; rebuild into an empty one or pass --force",
            pipeline.EXIT_CONFIG,
        )
    try:
        config = _one_off_sources([f"dcat={url}"], department, department_name)
    except configuration.ConfigError as error:
        _fail("configuration error:\n  " + "\n  ".join(error.problems), pipeline.EXIT_CONFIG)
    result = _harvest(config, data_dir, store_url, report_path, verbose, full=True, force=True)
    store = _open_store(data_dir, store_url)
    try:
        lost = rebuilding.report(url, store.iter_datasets())
    finally:
        store.close()
    lost_path = lost_path or os.path.join(data_dir, "rebuild.json")
    with open(lost_path, "w", encoding="utf-8") as f:
        json.dump(lost, f, ensure_ascii=False, indent=1)
    click.echo("\n".join(rebuilding.lines(lost)))
    click.echo(f"written: {lost_path}")
    sys.exit(result.exit_code)


@main.command()
@data_dir_option
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder the feeds are written to.")
@click.option(
    "--base-url",
    envvar="SDM_BASE_URL",
    required=True,
    help="The catalogue's public address; names datasets and the catalogue (env SDM_BASE_URL).",
)
@click.option("--feeds-url", default=None, help="Where OUT is served, for page links (default BASE_URL/feeds).")
@click.option(
    "--register-url",
    envvar="SDM_REGISTER_URL",
    default=None,
    help="The register of authorised use (CKAN's /authorisations page), linked with its .csv and .jsonld "
    "from the national catalogue (env SDM_REGISTER_URL; default: not linked).",
)
@options.bounded("--page-size", click.IntRange(min=1), 1000, "Datasets per feed page; pages are linked by hydra:next.")
@options.bounded(
    "--workers",
    click.IntRange(min=1),
    1,
    "Processes reading, mapping and rendering the records (ranges of the store, in order); this one cuts the pages.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Map and render every record again (by default unchanged records are copied from the last "
    "publish, and unchanged pages kept, through the index in DATA_DIR/publish-index).",
)
@options.bounded(
    "--split",
    click.IntRange(min=1),
    1,
    "Queue the publish as this many slice jobs and one assembling job on the sdm-publish queue in "
    "Redis (--redis), for `sdm-harvest worker --queue sdm-publish` on this machine, and return; "
    "1: publish here and now.",
)
@store_option
@redis_option
def publish(
    data_dir: str,
    out: str,
    base_url: str,
    feeds_url: str | None,
    register_url: str | None,
    page_size: int,
    workers: int,
    full: bool,
    split: int,
    store_url: str | None,
    redis_url: str,
) -> None:
    """Write the national, international and schema.org feeds from the store.

    Only what the disclosure policy lets each audience see is written:
    classified records are never in the store, withdrawn ones are left out.
    A stored record that is malformed, or that cannot be mapped, is skipped
    and named on stderr (exit 1); every other record is still published.
    With --split the feeds swap in when the last job is done; a failed
    slice leaves the old feeds as they were (`sdm-harvest status` lists it).

    \b
    Examples:
      sdm-harvest publish --data-dir /var/lib/sdm --out /srv/www/feeds \\
          --base-url https://data.example.cn --workers 2
      sdm-harvest publish --data-dir /var/lib/sdm --out /srv/www/feeds \\
          --base-url https://data.example.cn --split 8 --redis redis://127.0.0.1:6379/0
    """
    from sdm_harvester.publish import publish_store

    store = _require_store(data_dir, store_url)
    try:
        if split > 1:
            from sdm_harvester import workqueue

            queued = workqueue.split_publish(
                store,
                workqueue.redis_connection(redis_url),
                out,
                base_url,
                feeds_url,
                page_size,
                split,
                register_url,
                full,
            )
            click.echo(
                f"{out}: publish queued on sdm-publish as {queued['slices']} slice job(s) and {queued['assemble']}"
            )
            return
        summary = publish_store(store, data_dir, out, base_url, feeds_url, page_size, workers, full, register_url)
    finally:
        store.close()
    skipped = summary.pop("skipped", [])
    for feed, counts in summary.items():
        click.echo(
            f"{out}/{feed}: {counts['datasets']} datasets on {counts['pages']} page(s), {counts['reused']} unchanged,"
            f" {counts['written']} page(s) written"
        )
    for entry in skipped:
        problems = "; ".join(f"{f['field']}: {f['messages'].get('en')}" for f in entry["fields"])
        click.echo(f"skipped {entry['source'] or '-'}/{entry['record']}: {problems}", err=True)
    if skipped:
        click.echo(f"sdm-harvest: {len(skipped)} stored record(s) skipped; every other record was published", err=True)
        sys.exit(pipeline.EXIT_PARTIAL)


@main.group()
def sources() -> None:
    """Inspect the configured sources."""


@sources.command("check")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
def sources_check(config_path: str) -> None:
    """Check a configuration and list its sources; exit 2 on any problem.

    Also warns about credential variables that are not set.

    \b
    Example:
      sdm-harvest sources check --config harvest.yaml
    """
    try:
        config = configuration.load(config_path)
    except configuration.ConfigError as error:
        _fail(
            f"{config_path}: {len(error.problems)} problem(s):\n  " + "\n  ".join(error.problems), pipeline.EXIT_CONFIG
        )
    for source in config.sources:
        click.echo(f"{source.name}: {source.type} {source.url}")
        click.echo(
            f"    department {source.department.uscc} {'/'.join(source.department.name.values())}, "
            f"every {source.schedule}, language {source.default_language}"
        )
        for key, env in source.credentials.items():
            if env not in os.environ:
                click.echo(f"    warning: credentials.{key}: ${env} is not set", err=True)
    click.echo(f"{config_path}: {len(config.sources)} source(s), OK")


@main.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@store_option
@click.option(
    "--redis",
    "redis_url",
    envvar="SDM_REDIS",
    default=None,
    help="Also show rq's queues in this Redis: depth, running, failed jobs (env SDM_REDIS).",
)
def status(data_dir: str, as_json: bool, store_url: str | None, redis_url: str | None) -> None:
    """Show each source's last run, the latest runs, running leases, per
    department the records held with quality flags (and the fields
    flagged), and with --redis the queues and the failed list.

    \b
    Examples:
      sdm-harvest status --data-dir /var/lib/sdm
      sdm-harvest status --store postgresql://sdm@db/sdm --redis redis://db:6379/0 --json
    """
    store = _require_store(data_dir, store_url)
    try:
        status = harvest_status(store, redis_url)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
        return
    _print_status(status)


def _print_status(status: dict) -> None:
    for lease in status["leases"]:
        click.echo(f"running: {lease['source']} on {lease['holder']} (lease {lease['expires_in_s']:g} s left)")
    for name, queue in status.get("queues", {}).items():
        click.echo(
            f"queue {name}: {queue['queued']} queued, {queue['running']} running, "
            f"{queue['scheduled']} waiting to retry, {len(queue['failed'])} failed"
        )
        for job in queue["failed"]:
            click.echo(f"    failed: {job.get('description') or job['job']}: {job.get('error', '')}")
    for department, summary in sorted(status["quality_flags"].items()):
        fields = ", ".join(f"{name} {n}" for name, n in sorted(summary["fields"].items()))
        click.echo(f"department {department}: {summary['records']} records held with quality flags ({fields})")
    for state in status["sources"]:
        counts = ", ".join(f"{k} {v}" for k, v in state["last_counts"].items() if v)
        click.echo(
            f"{state['name']}: {state['last_status']} at {state['last_finished']}; "
            f"last success {state['last_success'] or 'never'}; {state['records']} records held"
            + (f"; {counts}" if counts else "")
        )
        if state["last_error"]:
            click.echo(f"    {state['last_error']}")
    for past in status["runs"]:
        click.echo(
            f"run {past['id']}: {past['started']} → {past['finished'] or 'unfinished'}, "
            f"exit {past['exit_code'] if past['exit_code'] is not None else '-'}"
        )


@main.group("store")
def store_group() -> None:
    """Manage the store: move it from SQLite to a shared PostgreSQL."""


@store_group.command("migrate")
@data_dir_option
@click.option(
    "--from",
    "from_url",
    default=None,
    metavar="URL",
    help="The store to copy (default: the SQLite file in the data directory).",
)
@click.option(
    "--to",
    "to_url",
    required=True,
    metavar="URL",
    help="The empty store to fill, e.g. postgresql://sdm:…@db.example.cn/sdm.",
)
def store_migrate(data_dir: str, from_url: str | None, to_url: str) -> None:
    """Copy every record, source state, run, load ledger, page memo and
    cache entry into an empty store, in one transaction (on any failure the
    target stays empty).  Then point --store / $SDM_STORE at the target.

    \b
    Example:
      sdm-harvest store migrate --data-dir /var/lib/sdm \\
          --to postgresql://sdm:secret@db.example.cn/sdm
    """
    from sdm_harvester.store import migrate

    if not from_url and not os.path.exists(os.path.join(data_dir, "harvest.sqlite")):
        _fail(f"{data_dir}: no harvest.sqlite to migrate", pipeline.EXIT_CONFIG)
    source = _open_store(data_dir, from_url or "sqlite:///" + os.path.abspath(os.path.join(data_dir, "harvest.sqlite")))
    target = _open_store(data_dir, to_url)
    try:
        copied = migrate(source, target)
    except ValueError as error:
        _fail(str(error), pipeline.EXIT_CONFIG)
    finally:
        source.close()
        target.close()
    click.echo(
        f"{describe(source.url)} → {describe(target.url)}: " + ", ".join(f"{table} {n}" for table, n in copied.items())
    )


@main.command()
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Harvest configuration (YAML); every worker reads it at this path.",
)
@data_dir_option
@store_option
@redis_option
@click.option("--only", multiple=True, metavar="NAME", help="Queue only this source (repeatable), due or not.")
@click.option("--force", is_flag=True, help="Queue every source, due by its schedule or not.")
@options.full_listing
@options.bounded(
    "--retries", click.IntRange(min=0), 3, "Attempts after the first for a source that fails or whose worker dies."
)
@click.option(
    "--backoff",
    default="60,300,900",
    show_default=True,
    metavar="S,S,…",
    help="Seconds before each retry (the last repeats); 0 retries at once.",
)
@options.bounded(
    "--lease-ttl", click.FloatRange(min=1), 60, "Seconds a dead worker's source stays leased before another takes it."
)
@click.option(
    "--publish-out",
    default=None,
    type=click.Path(file_okay=False),
    help="Once every source is in, queue a publish job (queue sdm-publish) writing the feeds here.",
)
@click.option("--base-url", envvar="SDM_BASE_URL", default=None, help="For --publish-out: the catalogue's address.")
@click.option("--feeds-url", default=None, help="For --publish-out: where the feeds are served.")
@options.bounded("--page-size", click.IntRange(min=1), 1000, "For --publish-out: datasets per feed page.")
@options.bounded(
    "--publish-split",
    click.IntRange(min=1),
    1,
    "For --publish-out: split the publish into this many slice jobs and one assembling job (publish --split).",
)
@options.bounded(
    "--page-jobs",
    click.IntRange(min=0),
    0,
    "Pages of a listing per job for the sources that leave `page_jobs` unset: a ckan source with more pages "
    "is read by a job per range of pages and one finishing job (0: one job per source). OAI-PMH and DCAT "
    "listings are sequential (resumption tokens, hydra:next): one job whatever this says.",
)
@options.load_target
def enqueue(
    config_path: str,
    data_dir: str,
    store_url: str | None,
    redis_url: str,
    only: tuple[str, ...],
    force: bool,
    full: bool,
    retries: int,
    backoff: str,
    lease_ttl: float,
    publish_out: str | None,
    base_url: str | None,
    feeds_url: str | None,
    page_size: int,
    publish_split: int,
    page_jobs: int,
    target_kind: str,
    ckan_url: str,
    ckan_token_env: str,
) -> None:
    """Queue each due source as one rq job on the sdm-harvest queue in
    Redis, for `sdm-harvest worker` on any number of machines.

    A source already queued or running (by an earlier enqueue) is not
    queued again.  The jobs share one run: its report merges what every
    worker did.  The store must be one every worker reaches (--store
    postgresql://…).  With --target ckan every worker also loads what
    changed into the CKAN site, as `run --target ckan` does, with the API
    token of its own environment ($SDM_CKAN_TOKEN, or --ckan-token-env):
    the token never travels through Redis.

    A large source whose pages are addressable up front (type ckan) is
    read by a job per range of pages (--page-jobs, or its `page_jobs`)
    and one finishing job, which alone decides what the source no longer
    lists, from every page job's listing; a page job that fails means no
    withdrawals for that source this run, and `status` names its range.

    \b
    Example (from cron, every hour):
      sdm-harvest enqueue --config /etc/sdm/harvest.yaml \\
          --store postgresql://sdm:…@db/sdm --redis redis://db:6379/0 \\
          --publish-out /srv/www/feeds --base-url https://data.example.cn
    """
    from sdm_harvester import workqueue

    try:
        intervals = [int(part) for part in backoff.split(",") if part.strip()]
        if not intervals or min(intervals) < 0:
            raise ValueError
    except ValueError:
        _fail(
            f"--backoff {backoff!r}: expected whole seconds separated by commas, e.g. 60,300,900", pipeline.EXIT_CONFIG
        )
    if publish_out and not base_url:
        _fail("--publish-out needs --base-url (or $SDM_BASE_URL)", pipeline.EXIT_CONFIG)
    try:
        config = configuration.load(config_path)
        unknown = [name for name in only if name not in {s.name for s in config.sources}]
        if unknown:
            raise configuration.ConfigError([f"--only {name}: no such source in the configuration" for name in unknown])
        problems = targets.url_problems(target_kind, ckan_url)
        if problems:
            raise configuration.ConfigError(problems)
    except configuration.ConfigError as error:
        _fail("configuration error:\n  " + "\n  ".join(error.problems), pipeline.EXIT_CONFIG)
    # each worker reads the token from its own environment: it never travels through Redis
    target_spec = (
        None if target_kind == "store" else {"kind": target_kind, "url": ckan_url, "token_env": ckan_token_env}
    )
    publish_spec = None
    if publish_out:
        publish_spec = {
            "out": os.path.abspath(publish_out),
            "base_url": base_url,
            "feeds_url": feeds_url,
            "page_size": page_size,
            "redis": redis_url,
            "split": publish_split,
        }
    store = _open_store(data_dir, store_url)
    if store.dialect == "sqlite":
        click.echo(
            "sdm-harvest: warning: the store is SQLite, which only workers on this machine reach, one "
            "writer at a time; give the workers a shared PostgreSQL store (--store postgresql://…)",
            err=True,
        )
    try:
        queued = workqueue.enqueue(
            config_path,
            store,
            workqueue.redis_connection(redis_url),
            force=force,
            only=only,
            full=full,
            lease_ttl=lease_ttl,
            retries=retries,
            backoff=intervals,
            publish=publish_spec,
            target=target_spec,
            page_jobs=page_jobs,
        )
    finally:
        store.close()
    click.echo(
        f"run {queued['run_id']}: {len(queued['queued'])} source(s) queued"
        + (f" ({', '.join(queued['queued'])})" if queued["queued"] else "")
    )
    if queued["already_queued"]:
        click.echo(f"already queued or running: {', '.join(queued['already_queued'])}")


@main.command()
@redis_option
@data_dir_option
@click.option(
    "--queue",
    "queues",
    multiple=True,
    default=("sdm-harvest",),
    show_default=True,
    help="Queue to work on (repeatable): sdm-harvest, sdm-publish.",
)
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit (tests, cron).")
@options.bounded(
    "--heartbeat",
    click.IntRange(min=1),
    10,
    "Seconds between heartbeats; a worker silent for three is taken for dead and its job retried.",
)
@click.option("--name", default=None, help="The worker's name in rq (default: rq's, unique).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
def worker(
    redis_url: str,
    data_dir: str,
    queues: tuple[str, ...],
    burst: bool,
    heartbeat: int,
    name: str | None,
    verbose: bool,
) -> None:
    """An rq worker that harvests the sources `enqueue` queued; run one or
    more on every machine.  Each job forks a fresh process (memory stays
    flat) and reads the configuration and the store named by the job.

    \b
    Examples:
      sdm-harvest worker --redis redis://db.example.cn:6379/0
      sdm-harvest worker --queue sdm-publish   # on the machine serving the feeds
      sdm-harvest worker --burst               # drain the queue and exit
    """
    from sdm_harvester import workqueue

    logging.getLogger("sdm_harvester").setLevel(logging.DEBUG if verbose else logging.INFO)
    # the jobs write their run reports to this machine's data directory
    os.environ[workqueue.DATA_DIR_ENV] = os.path.abspath(data_dir)
    workqueue.work(
        workqueue.redis_connection(redis_url),
        queues,
        burst=burst,
        heartbeat=heartbeat,
        name=name,
        logging_level="DEBUG" if verbose else "INFO",
    )


@main.command()
@data_dir_option
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for scorecard.json, units.csv, datasets.csv and history.csv.",
)
@click.option(
    "--base-url",
    envvar="SDM_BASE_URL",
    default="https://catalogue.invalid",
    show_default=True,
    help="The catalogue's address, naming the records checked against DCAT-AP (env SDM_BASE_URL).",
)
@day_option
@link_options
@store_option
def evaluate(data_dir: str, out: str, base_url: str, today: date, store_url: str | None, **link: Any) -> None:
    """Score every responsible unit and dataset (docs/evaluation.md).

    Writes OUT/scorecard.json (units ranked with bands, openness, overdue
    and worst datasets with their problems; every dataset), OUT/units.csv,
    OUT/datasets.csv and OUT/history.csv, and keeps one snapshot per unit
    per day in DATA_DIR/evaluation.sqlite (a second run on a day replaces
    that day's), with the link checks and DCAT-AP findings.

    \b
    Example (cron):
      30 3 * * *  sdm-harvest evaluate --data-dir /var/lib/sdm --out /var/www/evaluation --check-links
    """
    from sdm_harvester import evaluate as evaluation

    store = _require_store(data_dir, store_url)
    try:
        card = evaluation.run(store, data_dir, out, base_url, today=today, checker=link_checker(link))
    finally:
        store.close()
    for unit in card["units"]:
        band = (unit["band"] or {}).get("label", {}).get("en", "-")
        score = "-" if unit["score"] is None else unit["score"]
        click.echo(f"{unit['unit']}: {score} ({band}), {unit['datasets']} datasets, {len(unit['overdue'])} overdue")
    missing = card["not_applicable"]
    click.echo(f"{missing['reason']['en']}: {', '.join(missing['indicators'] + missing['figures'])}")
    click.echo(f"scorecard: {os.path.join(out, 'scorecard.json')}")


main.add_command(backup_command)
main.add_command(restore_command)

if __name__ == "__main__":
    main()
