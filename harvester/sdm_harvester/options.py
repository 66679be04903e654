"""Command-line options more than one command declares: `sdm-harvest`'s
commands (cli.py) and `ckan sdm evaluate` (through evaluate_command.py)
spell each of them once, here."""

from __future__ import annotations

from typing import Any, Callable

import click

from sdm_harvester.targets import DEFAULT_TOKEN_ENV

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def bounded(name: str, kind: click.ParamType, default: Any, help: str, *declarations: str) -> Decorator:
    """An option taking a number within bounds (`kind`: click.IntRange,
    click.FloatRange), its default shown in --help."""
    return click.option(name, *declarations, type=kind, default=default, show_default=True, help=help)


def together(*decorators: Decorator) -> Decorator:
    """Several options as one decorator, listed in the order --help shows them."""

    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


#: --full of `run` and `enqueue`: list everything, whatever the schedule says.
full_listing = click.option(
    "--full", is_flag=True, help="List everything, even for incremental sources (detects deletions)."
)
#: --report of `run` and `rebuild`
report_path = click.option(
    "--report", "report_path", type=click.Path(dir_okay=False), help="Also write the JSON run report here."
)
#: -v of the commands that log to the data directory
verbose = click.option("-v", "--verbose", is_flag=True, help="Log debug detail to the data directory's harvest.log.")
#: --target, --ckan-url and --ckan-token-env of `run` and `enqueue` (sdm_harvester.targets.from_options)
load_target = together(
    click.option(
        "--target",
        "target_kind",
        type=click.Choice(["store", "ckan"]),
        default="store",
        show_default=True,
        help="Also load what changed into a CKAN site running ckanext-sdm.",
    ),
    click.option(
        "--ckan-url", envvar="SDM_CKAN_URL", default="", help="The CKAN site for --target ckan (env SDM_CKAN_URL)."
    ),
    click.option(
        "--ckan-token-env",
        default=DEFAULT_TOKEN_ENV,
        show_default=True,
        metavar="NAME",
        help="Environment variable holding a sysadmin's API token for --target ckan "
        "(read where the harvest runs: by each worker from its own environment).",
    ),
)
