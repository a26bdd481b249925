"""Fixtures of the datagen tests."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def datagen_in_process(monkeypatch, capsys):
    """``datagen_in_process("ingest", ...)`` -> CompletedProcess, run through ``datagen.cli.main``.

    The same entry point as the console script (typer parsing, the InputError -> one line +
    exit 2 wrapper) without a new interpreter, for the many bad-input cases; a few tests per
    command still go through a real subprocess with the ``cli`` fixture.
    """
    from datagen.cli import main

    def run(*args: object) -> subprocess.CompletedProcess[str]:
        argv = ["datagen", *map(str, args)]
        monkeypatch.setattr(sys, "argv", argv)
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, out, err)

    return run
