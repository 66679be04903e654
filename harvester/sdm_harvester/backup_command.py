"""`sdm-harvest backup`: the harvester-only centre's backup — its store,
its published feeds and its configuration — into a restic repository, with
the same manifest `ckan sdm backup` writes (sdm_harvester.backup)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from typing import Callable

import click

from sdm_harvester import backup
from sdm_harvester.store import DB_NAME


def retention_options(command: Callable) -> Callable:
    """--keep-daily/weekly/monthly, shared with `ckan sdm backup`."""
    for period in ("monthly", "weekly", "daily"):
        command = click.option(
            f"--keep-{period}",
            type=click.IntRange(min=1),
            default=None,
            help=f"Keep this many {period} snapshots (restic forget --prune).",
        )(command)
    return command


def repository_options(required: bool = True) -> Callable[[Callable], Callable]:
    """--repo and --password-file, shared with `ckan sdm backup/restore`."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--password-file",
            envvar="RESTIC_PASSWORD_FILE",
            required=required,
            type=click.Path(dir_okay=False, exists=True),
            help="The repository's password, in a file (env RESTIC_PASSWORD_FILE).",
        )(command)
        return click.option(
            "--repo",
            envvar="RESTIC_REPOSITORY",
            required=required,
            help="restic repository: a folder, sftp:HOST:/PATH or s3:URL (env RESTIC_REPOSITORY).",
        )(command)

    return decorate


def store_counts(path: str) -> dict:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:

        def one(sql: str) -> int:
            return db.execute(sql).fetchone()[0]

        return {
            "records_held": one("SELECT count(*) FROM records WHERE withdrawn_at IS NULL AND classified = 0"),
            "records_withdrawn": one("SELECT count(*) FROM records WHERE withdrawn_at IS NOT NULL"),
            "records_classified": one("SELECT count(*) FROM records WHERE classified = 1"),
            "runs": one("SELECT count(*) FROM runs"),
        }
    finally:
        db.close()


def stage_harvester(data_dir: str, stage: str, config_path: str | None) -> dict:
    store = os.path.join(data_dir, DB_NAME)
    if not os.path.isfile(store):
        raise backup.BackupError(f"{data_dir}: no store ({DB_NAME}) to back up")
    backup.copy_sqlite(store, os.path.join(stage, DB_NAME))
    if config_path:
        os.makedirs(os.path.join(stage, "config"))
        shutil.copy2(config_path, os.path.join(stage, "config", os.path.basename(config_path)))
    return store_counts(os.path.join(stage, DB_NAME))


@click.command("backup")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, exists=True),
    envvar="SDM_DATA_DIR",
    required=True,
    help="The harvester's data directory (env SDM_DATA_DIR).",
)
@click.option(
    "--feeds",
    "feeds_dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="The published feeds folder (publish --out).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="The harvest configuration (YAML).",
)
@repository_options()
@retention_options
def backup_command(
    data_dir: str,
    feeds_dir: str | None,
    config_path: str | None,
    repo: str,
    password_file: str,
    keep_daily: int | None,
    keep_weekly: int | None,
    keep_monthly: int | None,
) -> None:
    """Back up the store, the feeds and the configuration with restic.

    The store is copied with SQLite's online backup, so a harvest may run
    meanwhile.  Every part's SHA-256 is in the snapshot's manifest.json.

    \b
    Example (cron, nightly at 02:30, to an off-site SFTP repository):
      30 2 * * *  sdm-harvest backup --data-dir /var/lib/sdm --feeds /srv/www/feeds \\
          --config /etc/sdm/harvest.yaml --repo sftp:backup@dr-site:/srv/restic/sdm \\
          --password-file /etc/sdm/restic.pass --keep-daily 7 --keep-weekly 5 --keep-monthly 12
    """
    restic = backup.Restic(repo, password_file)
    stage = tempfile.mkdtemp(prefix="sdm-backup-")
    try:
        counts = stage_harvester(data_dir, stage, config_path)
        folders = {"feeds": os.path.abspath(feeds_dir)} if feeds_dir else {}
        parts = backup.describe_parts(stage, folders)
        backup.write_manifest(stage, backup.manifest("harvester", parts, counts, folders))
        restic.ensure()
        snapshot = restic.backup(stage, folders.values())
        restic.forget({"daily": keep_daily, "weekly": keep_weekly, "monthly": keep_monthly})
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    click.echo(f"snapshot {snapshot}: {len(parts)} parts, " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _restore_store(folder: str, document: dict, data_dir: str, feeds_dir: str | None, force: bool) -> dict:
    target = os.path.join(data_dir, DB_NAME)
    if os.path.exists(target) and not force:
        raise backup.BackupError(f"{target} exists; pass --force to replace it")
    os.makedirs(data_dir, exist_ok=True)
    backup.copy_sqlite(os.path.join(folder, DB_NAME), target)
    if os.path.isdir(os.path.join(folder, "config")):
        shutil.copytree(os.path.join(folder, "config"), os.path.join(data_dir, "config"), dirs_exist_ok=True)
    if feeds_dir and "feeds" in document.get("folders", {}):
        shutil.copytree(backup.locator(folder, document)("feeds/."), feeds_dir, dirs_exist_ok=True)
    return store_counts(target)


@click.command("restore")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="SDM_DATA_DIR",
    required=True,
    help="Where to put the restored store (env SDM_DATA_DIR).",
)
@click.option(
    "--feeds", "feeds_dir", type=click.Path(file_okay=False), default=None, help="Where to put the restored feeds."
)
@click.option("--snapshot", default="latest", show_default=True, help="The restic snapshot to restore.")
@click.option("--force", is_flag=True, help="Replace an existing store.")
@repository_options()
def restore_command(
    data_dir: str, feeds_dir: str | None, snapshot: str, force: bool, repo: str, password_file: str
) -> None:
    """Restore a `sdm-harvest backup` snapshot and check it against its manifest.

    Refuses a snapshot in which any part's SHA-256 differs (naming the
    part), then checks that the restored store holds the counts recorded.
    """
    folder = None
    try:
        folder = backup.restore_to_temp(backup.Restic(repo, password_file), snapshot)
        document, _ = backup.read_manifest(folder)
        if document.get("kind") != "harvester":
            raise backup.BackupError(f"snapshot {snapshot} is a {document.get('kind')} backup, not a harvester's")
        backup.check_parts(document, backup.locator(folder, document))
        counts = _restore_store(folder, document, data_dir, feeds_dir, force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    if counts != document["counts"]:
        raise click.ClickException(f"restored store counts {counts} differ from the manifest's {document['counts']}")
    click.echo(f"restored {data_dir}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
