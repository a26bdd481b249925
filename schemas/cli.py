"""Shared CLI plumbing: bad input becomes one line on stderr and exit code 2."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from schemas.errors import InputError
from schemas.options import show_version


def run_app(app: typer.Typer) -> None:
    """Run a typer app; :class:`InputError` -> ``error: <one line>``, exit 2, no traceback.

    A model the Hugging Face Hub could not give (offline and not cached, no such repository,
    the Hub unreachable) is bad input too: one line naming the model and how to log in or work
    offline (:func:`schemas.hub.hub_failure`). The environment is the user's: the CLI sets no
    ``HF_HUB_OFFLINE``. Usage errors are click's own (exit 2); everything else is a bug and
    keeps its traceback.
    """
    if app.registered_callback is None:
        app.callback()(_app_options)
    from schemas.hub import hub_failure

    try:
        app()
    except InputError as err:
        print(f"error: {hub_failure(err) or err}", file=sys.stderr)
        sys.exit(2)
    except Exception as err:
        failure = hub_failure(err)
        if failure is None:
            raise
        print(f"error: {failure}", file=sys.stderr)
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
