"""sdm-harvest: harvest department platforms into the SDM catalogue.

Exit codes (for cron and scripts):
  0  every source harvested (invalid records are reported, not failures)
  1  partial failure: a source failed, or some of its records could not be read
  2  configuration error (nothing was harvested)
  3  another run holds the data directory's lock (nothing was done)
"""
from __future__ import annotations

import hashlib
import logging
import logging.handlers
import os
import sys

import click

from sdm_harvester import config as configuration
from sdm_harvester import pipeline
from sdm_harvester import report as reports
from sdm_harvester.backup_command import backup_command, restore_command
from sdm_harvester.lock import Locked, RunLock, UnsafeFile, refuse_links
from sdm_harvester.store import Store, now_iso

DEFAULT_DATA_DIR = "./sdm-data"
DEFAULT_TOKEN_ENV = "SDM_CKAN_TOKEN"
LOG_NAME = "harvest.log"

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), envvar="SDM_DATA_DIR", default=DEFAULT_DATA_DIR,
    show_default=True, help="Where the store, reports, log and lock live (env SDM_DATA_DIR).",
)


def _interactive() -> bool:
    return sys.stderr.isatty()


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _setup_logging(data_dir: str, verbose: bool) -> None:
    os.makedirs(data_dir, exist_ok=True)
    log_path = os.path.join(data_dir, LOG_NAME)
    refuse_links(log_path, *(f"{log_path}.{n}" for n in range(1, 4)))
    handler = logging.handlers.RotatingFileHandler(
        os.path.join(data_dir, LOG_NAME), maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("sdm_harvester")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def _fail(message: str, code: int):
    click.echo(f"sdm-harvest: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ckanext-sdm", prog_name="sdm-harvest")
def main():
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


def _one_off_sources(specs, department: str, department_name: str) -> configuration.Config:
    if not department:
        raise configuration.ConfigError(["--source needs --department (the responsible unit's USCC)"])
    raw = []
    for spec in specs:
        kind, sep, url = spec.partition("=")
        if not sep:
            raise configuration.ConfigError([f"--source {spec!r}: expected TYPE=URL, e.g. oai-pmh=https://…/oai"])
        digest = hashlib.sha1(url.encode()).hexdigest()[:8]
        raw.append({"name": f"{kind.replace('-', '')}-{digest}", "type": kind, "url": url,
                    "department": {"uscc": department, "name": department_name or department}})
    return configuration.from_dict({"sources": raw})


def _target(kind: str, url: str, token_env: str):
    """The load target the options name; None for the store alone."""
    if kind == "store":
        return None
    problems = []
    if not url or not url.startswith(("http://", "https://")):
        problems.append(f"--target ckan needs --ckan-url http(s)://… (or $SDM_CKAN_URL), got {url!r}")
    token = os.environ.get(token_env)
    if not token:
        problems.append(f"--target ckan: set ${token_env} to a sysadmin's API token "
                        "(tokens are never taken from the command line or the configuration)")
    if problems:
        raise configuration.ConfigError(problems)
    from sdm_harvester.targets.ckan import CkanTarget

    return CkanTarget(url, token)


@main.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Harvest configuration (YAML).")
@click.option("--source", "source_specs", multiple=True, metavar="TYPE=URL",
              help=f"One-off source instead of --config; TYPE is one of {', '.join(configuration.SOURCE_TYPES)}. "
                   "Repeatable. URL may be file://.")
@click.option("--department", default="", metavar="USCC", help="Responsible unit's USCC, for --source.")
@click.option("--department-name", default="", help="Responsible unit's name, for --source.")
@data_dir_option
@click.option("--only", multiple=True, metavar="NAME", help="Harvest only this configured source (repeatable), due or not.")
@click.option("--force", is_flag=True, help="Harvest every source, due by its schedule or not.")
@click.option("--full", is_flag=True, help="List everything, even for incremental sources (detects deletions).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Also write the JSON run report here.")
@click.option("--target", "target_kind", type=click.Choice(["store", "ckan"]), default="store", show_default=True,
              help="Also load what changed into a CKAN site running ckanext-sdm.")
@click.option("--ckan-url", envvar="SDM_CKAN_URL", default="", help="The CKAN site for --target ckan (env SDM_CKAN_URL).")
@click.option("--ckan-token-env", default=DEFAULT_TOKEN_ENV, show_default=True, metavar="NAME",
              help="Environment variable holding a sysadmin's API token for --target ckan.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to the data directory's harvest.log.")
def run(config_path, source_specs, department, department_name, data_dir, only, force, full, report_path,
        target_kind, ckan_url, ckan_token_env, verbose):
    """Harvest every due source into the store in the data directory.

    A source is due when its last successful run is older than its schedule.
    Records are validated against the SDM schema; invalid ones are listed in
    the run report, classified ones are counted and never stored or loaded.
    Records gone upstream are withdrawn unless the circuit breaker trips.
    With --target ckan, new and changed records are then loaded into a CKAN
    site (one organisation per responsible unit) and withdrawn ones deleted
    there; unchanged records cost the site nothing.

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
        config = (configuration.load(config_path) if config_path
                  else _one_off_sources(source_specs, department, department_name))
        unknown = [name for name in only if name not in {s.name for s in config.sources}]
        if unknown:
            raise configuration.ConfigError([f"--only {name}: no such source in the configuration" for name in unknown])
        target = _target(target_kind, ckan_url, ckan_token_env)
    except configuration.ConfigError as error:
        _fail("configuration error:\n  " + "\n  ".join(error.problems), pipeline.EXIT_CONFIG)
    log = logging.getLogger("sdm_harvester")
    try:
        _setup_logging(data_dir, verbose)
        with RunLock(data_dir):
            store = Store(data_dir)
            try:
                run_id = store.start_run(now_iso())
                options = pipeline.Options(full=full, force=force or bool(source_specs), only=only,
                                           progress=_progress if _interactive() else log.info, target=target)
                result = pipeline.run(config, store, run_id, options)
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
    sys.exit(result.exit_code)


def _print_summary(result: reports.RunReport, path: str) -> None:
    columns = reports.COUNTS
    click.echo(f"{'source':<24} {'status':<8} " + " ".join(f"{c:>10}" for c in columns), err=True)
    for source in result.sources:
        click.echo(f"{source.name:<24} {source.status:<8} "
                   + " ".join(f"{source.counts[c]:>10}" for c in columns), err=True)
        if source.target:
            click.echo("    target: " + ", ".join(f"{k} {v}" for k, v in source.target.items()), err=True)
        for line in source.errors[:5] + source.warnings[:5]:
            click.echo(f"    {line}", err=True)
        if source.withdrawal["reason"] and source.withdrawal["missing"]:
            click.echo(f"    withdrawal: {source.withdrawal['reason']}", err=True)
    click.echo(f"report: {path}", err=True)


@main.command()
@data_dir_option
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder the feeds are written to.")
@click.option("--base-url", envvar="SDM_BASE_URL", required=True,
              help="The catalogue's public address; names datasets and the catalogue (env SDM_BASE_URL).")
@click.option("--feeds-url", default=None, help="Where OUT is served, for page links (default BASE_URL/feeds).")
@click.option("--page-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Datasets per feed page; pages are linked by hydra:next.")
def publish(data_dir, out, base_url, feeds_url, page_size):
    """Write the national, international and schema.org feeds from the store.

    Only what the disclosure policy lets each audience see is written:
    classified records are never in the store, withdrawn ones are left out.
    A stored record that is malformed, or that cannot be mapped, is skipped
    and named on stderr (exit 1); every other record is still published.

    \b
    Example:
      sdm-harvest publish --data-dir /var/lib/sdm --out /srv/www/feeds \\
          --base-url https://data.example.cn
    """
    from sdm_harvester.publish import publish as write_feeds

    if not os.path.exists(os.path.join(data_dir, "harvest.sqlite")):
        _fail(f"{data_dir}: no harvest has run here yet", pipeline.EXIT_CONFIG)
    store = Store(data_dir)
    try:
        summary = write_feeds(store.iter_datasets(), out, page_size=page_size,
                              catalog_info={"base_url": base_url}, feeds_url=feeds_url)
    finally:
        store.close()
    skipped = summary.pop("skipped", [])
    for feed, counts in summary.items():
        click.echo(f"{out}/{feed}: {counts['datasets']} datasets on {counts['pages']} page(s)")
    for entry in skipped:
        problems = "; ".join(f"{f['field']}: {f['messages'].get('en')}" for f in entry["fields"])
        click.echo(f"skipped {entry['source'] or '-'}/{entry['record']}: {problems}", err=True)
    if skipped:
        click.echo(f"sdm-harvest: {len(skipped)} stored record(s) skipped; every other record was published",
                   err=True)
        sys.exit(pipeline.EXIT_PARTIAL)


@main.group()
def sources():
    """Inspect the configured sources."""


@sources.command("check")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
def sources_check(config_path):
    """Check a configuration and list its sources; exit 2 on any problem.

    Also warns about credential variables that are not set.

    \b
    Example:
      sdm-harvest sources check --config harvest.yaml
    """
    try:
        config = configuration.load(config_path)
    except configuration.ConfigError as error:
        _fail(f"{config_path}: {len(error.problems)} problem(s):\n  " + "\n  ".join(error.problems),
              pipeline.EXIT_CONFIG)
    for source in config.sources:
        click.echo(f"{source.name}: {source.type} {source.url}")
        click.echo(f"    department {source.department.uscc} {'/'.join(source.department.name.values())}, "
                   f"every {source.schedule}, language {source.default_language}")
        for key, env in source.credentials.items():
            if env not in os.environ:
                click.echo(f"    warning: credentials.{key}: ${env} is not set", err=True)
    click.echo(f"{config_path}: {len(config.sources)} source(s), OK")


def _flag_summary(datasets) -> dict:
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


@main.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def status(data_dir, as_json):
    """Show each source's last run, the latest runs, and per department the
    records held with quality flags (and the fields flagged).

    \b
    Example:
      sdm-harvest status --data-dir /var/lib/sdm
    """
    import json

    if not os.path.exists(os.path.join(data_dir, "harvest.sqlite")):
        _fail(f"{data_dir}: no harvest has run here yet", pipeline.EXIT_CONFIG)
    store = Store(data_dir)
    try:
        states, runs = store.source_states(), store.runs()
        held = {s["name"]: store.active_count(s["name"]) for s in states}
        flagged = _flag_summary(store.iter_datasets())
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"sources": [dict(s, records=held[s["name"]]) for s in states], "runs": runs,
                               "quality_flags": flagged}, ensure_ascii=False, indent=2))
        return
    for department, summary in sorted(flagged.items()):
        fields = ", ".join(f"{name} {n}" for name, n in sorted(summary["fields"].items()))
        click.echo(f"department {department}: {summary['records']} records held with quality flags ({fields})")
    for state in states:
        counts = ", ".join(f"{k} {v}" for k, v in state["last_counts"].items() if v)
        click.echo(f"{state['name']}: {state['last_status']} at {state['last_finished']}; "
                   f"last success {state['last_success'] or 'never'}; {held[state['name']]} records held"
                   + (f"; {counts}" if counts else ""))
        if state["last_error"]:
            click.echo(f"    {state['last_error']}")
    for past in runs:
        click.echo(f"run {past['id']}: {past['started']} → {past['finished'] or 'unfinished'}, "
                   f"exit {past['exit_code'] if past['exit_code'] is not None else '-'}")


main.add_command(backup_command)
main.add_command(restore_command)

if __name__ == "__main__":
    main()
