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
    lifted = embargo.lift_due(today=today.date() if today else None)
    for name in lifted:
        click.echo(f"lifted {name}")
    click.echo(f"{len(lifted)} embargo(es) lifted")


def get_commands():
    return [sdm]
