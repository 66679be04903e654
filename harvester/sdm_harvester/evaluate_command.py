"""The options of `sdm-harvest evaluate` (sdm_harvester.evaluate) that
`ckan sdm evaluate` shares: the link check's bounds and the day."""

from __future__ import annotations

import datetime as dt

import click

from sdm_harvester.linkcheck import LinkChecker


def link_options(command):
    """--check-links and its bounds, shared with `ckan sdm evaluate`."""
    options = [
        click.option(
            "--check-links",
            is_flag=True,
            help="Check the files' access and download URLs first (cached: a URL checked within "
            "--link-max-age days is not asked again).",
        ),
        click.option(
            "--link-timeout",
            type=click.FloatRange(min=0.1),
            default=10.0,
            show_default=True,
            help="Seconds to connect and to wait for an answer.",
        ),
        click.option(
            "--link-workers",
            type=click.IntRange(min=1, max=64),
            default=8,
            show_default=True,
            help="URLs checked at once (one at a time per host).",
        ),
        click.option(
            "--link-interval",
            type=click.FloatRange(min=0),
            default=1.0,
            show_default=True,
            help="Seconds between two requests to one host.",
        ),
        click.option(
            "--link-limit",
            type=click.IntRange(min=0),
            default=10_000,
            show_default=True,
            help="At most this many URLs asked a run; the rest wait for the next.",
        ),
        click.option(
            "--link-max-age",
            type=click.IntRange(min=0),
            default=7,
            show_default=True,
            help="Days a link check is trusted.",
        ),
        click.option(
            "--allow-network",
            "allow_networks",
            multiple=True,
            metavar="CIDR",
            help="Let the link check reach these internal networks (refused otherwise).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def link_checker(options: dict):
    """The LinkChecker the options ask for; None without --check-links."""
    if not options["check_links"]:
        return None
    return LinkChecker(
        timeout=options["link_timeout"],
        workers=options["link_workers"],
        interval=options["link_interval"],
        limit=options["link_limit"],
        max_age=dt.timedelta(days=options["link_max_age"]),
        allow_networks=options["allow_networks"],
    )


def day_option(command):
    """--today: evaluate as of a day (default today)."""

    def parse(_ctx, _param, value):
        if value is None:
            return dt.date.today()
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None

    return click.option(
        "--today", callback=parse, default=None, help="Evaluate as of this day, YYYY-MM-DD (default: today)."
    )(command)
