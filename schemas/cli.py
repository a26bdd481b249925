"""Shared CLI plumbing: bad input becomes one line on stderr and exit code 2."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from schemas.errors import InputError
from schemas.options import show_version


def run_app(app: typer.Typer) -> None:
    """Run a typer app; :class:`InputError` -> ``error: <one line>``, exit 2, no traceback.

    Usage errors are click's own (exit 2); everything else is a bug and keeps its traceback.
    """
    if app.registered_callback is None:
        app.callback()(_app_options)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app()
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def _app_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """The app-level options (``--version``)."""
