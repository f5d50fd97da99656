"""What every command shares: consoles, settings, and turning domain errors into exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import typer
from rich.console import Console

from tepat.config import Settings, get_settings
from tepat.errors import TepatError

# Rich falls back to 80 columns when output is not a terminal (pipes, CI logs); tables of figures
# read better wider.
_WIDTH = None if sys.stdout.isatty() else 120
out = Console(width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)
T = TypeVar("T")


def run(fn: Callable[[], T]) -> T:
    """Turn a domain error into a one-line message and exit code 2 (usage/data error)."""
    try:
        return fn()
    except TepatError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        raise typer.Exit(2) from None


def settings() -> Settings:
    """The settings, or exit 2 with the reason they are unusable."""
    return run(get_settings)


def parse_date(value: str, option: str) -> date:
    """An ISO date from an option, or exit 2 saying which option is wrong."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[bold red]error:[/] {option} must be a date as YYYY-MM-DD, not {value!r}")
        raise typer.Exit(2) from None
