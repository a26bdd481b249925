"""Shared CLI plumbing: bad input becomes one line on stderr and exit code 2."""

from __future__ import annotations

import os
import sys

import typer

from schemas.errors import InputError


def run_app(app: typer.Typer) -> None:
    """Run a typer app; :class:`InputError` -> ``error: <one line>``, exit 2, no traceback.

    Usage errors are click's own (exit 2); everything else is a bug and keeps its traceback.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app()
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
