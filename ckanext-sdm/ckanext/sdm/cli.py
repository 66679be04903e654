"""`ckan sdm …` commands."""

import click

from ckanext.sdm import embargo


@click.group(short_help="Scientific data catalogue (ckanext-sdm) commands.")
def sdm():
    """Commands of ckanext-sdm."""


@sdm.command("lift-embargoes")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Treat this date as today (default: the current UTC date).")
def lift_embargoes(today):
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


def get_commands():
    return [sdm]
