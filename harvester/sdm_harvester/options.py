"""Command-line options more than one command declares: `sdm-harvest`'s
commands (cli.py) and `ckan sdm evaluate` (through evaluate_command.py)
spell each of them once, here."""

from __future__ import annotations

from typing import Any, Callable

import click

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
