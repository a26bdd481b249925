"""Run the console scripts as real subprocesses and check their error contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str | Path,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run one of the console scripts (``datagen``, ``augment``, ``train``) as a subprocess."""
    cmd = [str(BIN / str(args[0])), *map(str, args[1:])]
    return subprocess.run(
        cmd, capture_output=True, text=True, env=cli_env(env), cwd=cwd, timeout=timeout
    )


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a console-script subprocess: no API key, this checkout importable."""
    full_env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    # the checkout under test, even when the venv's editable install points at another one
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    full_env.update(env or {})
    return full_env


def assert_clean_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2, one ``error:`` line naming what is wrong, and no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
