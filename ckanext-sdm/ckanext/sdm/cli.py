"""`ckan sdm …` commands."""

import datetime as dt
import os
import shutil

import click

from ckanext.sdm import embargo
from sdm_harvester.backup import BackupError, Restic, restore_to_temp
from sdm_harvester.backup_command import repository_options, retention_options


@click.group(short_help="Scientific data catalogue (ckanext-sdm) commands.")
def sdm() -> None:
    """Commands of ckanext-sdm."""


@sdm.command("lift-embargoes")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Treat this date as today (default: the current UTC date).",
)
def lift_embargoes(today: dt.datetime | None) -> None:
    """Make public every deferred dataset whose embargo date has come.

    Idempotent and safe to run from cron, e.g. daily at 00:10:

    \b
        10 0 * * *  ckan -c /etc/ckan/default/ckan.ini sdm lift-embargoes
    """
    report = embargo.lift_due(today=today.date() if today else None)
    for name in report.lifted:
        click.echo(f"lifted {name}")
    for name, reason in report.failed:
        click.echo(f"not lifted {name}: {reason}", err=True)
    click.echo(f"{len(report.lifted)} embargo(es) lifted")
    if report.failed:
        raise click.ClickException(f"{len(report.failed)} embargo(es) could not be lifted")


@sdm.command("backup")
@repository_options()
@retention_options
@click.option(
    "--include-private-key",
    "key_passphrase_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    metavar="PASSPHRASE_FILE",
    help="Also store the signing private key, encrypted with the passphrase in this file.",
)
def backup_site(
    repo: str,
    password_file: str,
    keep_daily: int | None,
    keep_weekly: int | None,
    keep_monthly: int | None,
    key_passphrase_file: str | None,
) -> None:
    """Back up the whole catalogue into a restic repository.

    One consistent PostgreSQL snapshot (pg_dump) of CKAN's and the
    extension's tables, the filestore, the signing public key, the config
    and a manifest (every part's SHA-256, counts, per-dataset hashes)
    signed with the site's Ed25519 key.  Safe while the site is in use.

    \b
    Nightly at 02:00, off-site over SFTP, keeping 7 daily, 5 weekly, 12 monthly:
        0 2 * * *  ckan -c /etc/ckan/default/ckan.ini sdm backup \\
            --repo sftp:backup@dr-site:/srv/restic/ckan --password-file /etc/ckan/restic.pass \\
            --keep-daily 7 --keep-weekly 5 --keep-monthly 12
    """
    from ckanext.sdm import backup

    passphrase = open(key_passphrase_file, "rb").read().strip() if key_passphrase_file else None
    try:
        snapshot, document = backup.make_backup(
            Restic(repo, password_file),
            {"daily": keep_daily, "weekly": keep_weekly, "monthly": keep_monthly},
            private_passphrase=passphrase,
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    counts = document["counts"]
    click.echo(
        f"snapshot {snapshot}: {len(document['parts'])} parts, datasets {counts['datasets']}, "
        f"certificates {counts['certificates']}, access requests {counts['access_requests']}, "
        f"audit rows {counts['audit_rows']}"
    )


@sdm.command("restore")
@repository_options(required=False)
@click.option("--snapshot", default="latest", show_default=True, help="The restic snapshot to restore.")
@click.option(
    "--from-dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Restore from a folder holding an already unpacked snapshot instead of the repository.",
)
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="The PEM public key the manifest must verify with (default: this site's signing key).",
)
@click.option("--force", is_flag=True, help="Replace a database that is not empty.")
@click.option(
    "--index-workers",
    type=click.IntRange(min=1),
    default=lambda: min(4, os.cpu_count() or 1),
    show_default="the cores, at most 4",
    help="Processes that rebuild the search index.",
)
def restore_site(
    repo: str | None,
    password_file: str | None,
    snapshot: str,
    from_dir: str | None,
    public_key: str | None,
    force: bool,
    index_workers: int,
) -> None:
    """Restore a backup onto this site and verify it against its manifest.

    Refuses a backup whose signature or any part's SHA-256 fails (naming
    the part) and a non-empty database unless --force; restores the
    database and filestore, runs the migrations, rebuilds the search index
    (in --index-workers processes, one commit), then compares dataset counts per state, every dataset's hash, every
    certificate's signature, every access grant and the audit trail.
    Exit 1 if anything differs.
    """
    from ckanext.sdm import backup

    if not from_dir and not (repo and password_file):
        raise click.UsageError("give --repo and --password-file, or --from-dir")
    folder = from_dir
    try:
        key = backup.load_public_key(public_key)
        if not folder:
            folder = restore_to_temp(Restic(repo, password_file), snapshot)
        problems = backup.restore(folder, key, force=force, progress=click.echo, workers=index_workers)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    finally:
        if folder and not from_dir:
            shutil.rmtree(folder, ignore_errors=True)
    for problem in problems:
        click.echo(f"MISMATCH {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("restore verified: everything in the manifest came back")


def get_commands() -> list[click.Command]:
    return [sdm]
