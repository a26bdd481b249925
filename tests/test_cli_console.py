"""One console rule for every command (``schemas.console``): results on stdout, progress and
summaries on stderr; no progress bar unless stderr is a terminal or ``--progress`` asks; ``-q``
leaves nothing but errors and results. Real subprocess runs, stderr to a file (not a
terminal), as a log or CI would capture it."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.support.cli import BIN, cli_env
from tests.support.tiny_models import tiny_encoder
from tests.train.conftest import toy_posts, write_jsonl

BAR = re.compile(r"\d+%\||it/s]|s/it]|Loading weights|Writing model shards")


def run_logged(tmp_path, *args) -> tuple[subprocess.CompletedProcess, str]:
    """Run a console script with stderr written to a file; (process, the file's text)."""
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.run(
            [str(BIN / str(args[0])), *map(str, args[1:])],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=cli_env({"COLUMNS": "120"}),
            timeout=600,
        )
    return proc, log.read_text()


@pytest.fixture(scope="module")
def articles(tmp_path_factory, sample_dir):
    out = tmp_path_factory.mktemp("console") / "articles"
    proc, stderr = run_logged(
        out.parent, "datagen", "ingest", sample_dir / "articles", "--label-from", "path",
        "--out", out,
    )  # fmt: skip
    assert proc.returncode == 0, stderr
    return out


def test_a_summary_goes_to_stderr_and_quiet_prints_nothing(tmp_path, sample_dir, articles):
    proc, stderr = run_logged(tmp_path, "datagen", "sentences", articles, "--out", tmp_path / "s")
    assert proc.returncode == 0, stderr
    assert proc.stdout == ""
    assert "wrote" in stderr and not BAR.search(stderr), stderr

    out = tmp_path / "quiet"
    for args in (
        ("datagen", "ingest", sample_dir / "articles", "--label-from", "path", "--out", out),
        ("datagen", "sentences", articles, "--out", tmp_path / "q2"),
    ):
        proc, stderr = run_logged(tmp_path, *args, "-q")
        assert proc.returncode == 0, stderr
        assert (proc.stdout, stderr) == ("", ""), args


def test_progress_forces_bars_into_a_file(tmp_path, articles):
    proc, stderr = run_logged(
        tmp_path, "datagen", "sentences", articles, "--out", tmp_path / "s", "--progress"
    )
    assert proc.returncode == 0, stderr
    assert BAR.search(stderr), stderr


def test_quiet_and_verbose_exclude_each_other(tmp_path, articles):
    proc, stderr = run_logged(
        tmp_path, "datagen", "sentences", articles, "--out", tmp_path / "s", "-q", "-v"
    )
    assert proc.returncode == 2 and "exclude each other" in stderr, stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny phase-3 run: (its model directory, posts, encoder, stderr of the run)."""
    d = tmp_path_factory.mktemp("console-train")
    posts = write_jsonl(d / "posts.jsonl", toy_posts())
    encoder = tiny_encoder(d / "bert", [r["text"] for r in toy_posts()])
    out = d / "run"
    proc, stderr = run_logged(
        d, "train", "phase3", posts, "--init", encoder, "--out", out, "--max-steps", "2",
        "--batch-size", "8", "--max-length", "32", "--device", "cpu",
    )  # fmt: skip
    assert proc.returncode == 0, stderr
    return out, posts, encoder, stderr


def test_training_into_a_log_draws_no_bar(trained):
    *_, stderr = trained
    assert not BAR.search(stderr), stderr


def test_quiet_training_and_prediction_print_errors_and_results_only(trained, tmp_path):
    model, posts, encoder, _ = trained
    proc, stderr = run_logged(
        tmp_path, "train", "phase3", posts, "--init", encoder, "--out", tmp_path / "again",
        "--max-steps", "2", "--batch-size", "8", "--max-length", "32", "--device", "cpu", "-q",
    )  # fmt: skip
    assert proc.returncode == 0 and stderr == "", stderr

    proc, stderr = run_logged(
        tmp_path, "train", "predict", model, "one text", "--format", "jsonl", "-q"
    )
    assert proc.returncode == 0 and stderr == "", stderr
    assert "label" in json.loads(proc.stdout)

    proc, stderr = run_logged(tmp_path, "train", "predict", model, "one text")
    assert proc.returncode == 0 and not BAR.search(stderr), stderr
