"""``python -m train`` reaches the real CLI (what torchrun and ``accelerate launch -m`` run)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.cli import ROOT


def test_python_m_train_all_shows_the_study_options():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "train", "all", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for flag in ("--type-sentences", "--masked", "--posts", "--seeds", "--epochs", "--config"):
        assert flag in proc.stdout
