"""The options of `sdm-harvest evaluate` (sdm_harvester.evaluate) that
`ckan sdm evaluate` shares: the link check's bounds and the day."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import click

from sdm_harvester.linkcheck import LinkChecker
from sdm_harvester.options import bounded, together

#: --check-links and its bounds, shared with `ckan sdm evaluate`.
link_options = together(
    click.option(
        "--check-links",
        is_flag=True,
        help="Check the files' access and download URLs first (cached: a URL checked within "
        "--link-max-age days is not asked again).",
    ),
    bounded("--link-timeout", click.FloatRange(min=0.1), 10.0, "Seconds to connect and to wait for an answer."),
    bounded("--link-workers", click.IntRange(min=1, max=64), 8, "URLs checked at once (one at a time per host)."),
    bounded("--link-interval", click.FloatRange(min=0), 1.0, "Seconds between two requests to one host."),
    bounded(
        "--link-limit",
        click.IntRange(min=0),
        10_000,
        "At most this many URLs asked a run; the rest wait for the next.",
    ),
    bounded("--link-max-age", click.IntRange(min=0), 7, "Days a link check is trusted."),
    click.option(
        "--allow-network",
        "allow_networks",
        multiple=True,
        metavar="CIDR",
        help="Let the link check reach these internal networks (refused otherwise).",
    ),
)


def link_checker(options: dict) -> LinkChecker | None:
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


def day_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--today: evaluate as of a day (default today)."""

    def parse(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
        if value is None:
            return dt.date.today()
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None

    return click.option(
        "--today", callback=parse, default=None, help="Evaluate as of this day, YYYY-MM-DD (default: today)."
    )(command)
