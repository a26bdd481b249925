"""``--version`` on every program and every command."""

from __future__ import annotations

import pytest

from tests.support.cli import run_cli


@pytest.mark.parametrize(
    "argv",
    [
        ("train", "--version"),
        ("datagen", "ingest", "--version"),
        ("augment", "silver", "--version"),
    ],
)
def test_version_on_every_program_and_command(argv):
    proc = run_cli(*argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{argv[0]} (mbtikit) ") and proc.stdout.strip()[-1].isdigit()
