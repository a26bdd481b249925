"""Data-parallel training: two gloo ranks on CPU (a real ``torchrun``) train what one process
trains with the same global batch, and rank 0 alone writes the outputs and the report.

Why the two runs can be compared closely: every process seeds the new head the same way (and
warms it up on every rank's features, gathered in one process's order), the
seeded sampler gives rank r the batches r, r+2, ... of one shuffled order (so a step of two
ranks with batch 3 sees the same six posts as one process with batch 6), the encoder has no
dropout (``--head-dropout 0`` and a dropout-free tiny BERT), and DDP averages the two ranks'
gradients as one process averages its batch. What is left is floating-point order (shorter
padded batches, a gradient all-reduce): ~1e-6 relative per step. A loss scaled by the world
size shows as a 2x training loss; ranks that shuffle differently or see every post already
move the dev loss by ~1e-2 in four steps; the tolerance, 1e-4, sits between the two.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import BIN, cli_env
from tests.support.tiny_models import tiny_encoder
from tests.train.conftest import BASES, toy_masked, toy_posts, toy_type_sentences, write_jsonl

TRAINING = [
    "--device",
    "cpu",
    "--no-bf16",  # fp32: two ranks and one process sum the same numbers
    "--no-group-by-length",
    "--head-dropout",
    "0",
    "--lr",
    "1e-3",
    "--warmup-ratio",
    "0",
    "--logging-steps",
    "1",
    "--max-length",
    "32",
    "--no-progress",
]
REL_TOL = 1e-4


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Toy data (four posts per author: a 24-post dev split that two ranks share evenly) and
    a dropout-free tiny BERT."""
    d = tmp_path_factory.mktemp("ddp")
    posts = toy_posts(posts_per_author=4)
    write_jsonl(d / "posts.jsonl", posts)
    write_jsonl(d / "type_sentences.jsonl", toy_type_sentences())
    write_jsonl(d / "masked.jsonl", toy_masked())
    texts = [r["text"] for r in toy_type_sentences() + posts] + BASES
    tiny_encoder(d / "tiny", texts, dropout=0.0)
    return d


def launch(*args: str | Path, ranks: int) -> subprocess.Popen[str]:
    """``python -m train ...`` in one process, or under ``torchrun`` with ``ranks`` processes."""
    launcher = (
        [str(BIN / "torchrun"), "--standalone", f"--nproc_per_node={ranks}"]
        if ranks > 1
        else [sys.executable]
    )
    return subprocess.Popen(
        [*launcher, "-m", "train", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env({"OMP_NUM_THREADS": "1"}),
    )


def finished(proc: subprocess.Popen[str]) -> str:
    """Wait for ``proc``; its standard output (it must have succeeded)."""
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return out


def losses(model_dir: Path) -> tuple[list[float], float]:
    """The training loss of every step and the final dev loss of a phase directory."""
    history = json.loads((model_dir / "log_history.json").read_text())
    train = [e["loss"] for e in history if "loss" in e]
    dev = [e["eval_loss"] for e in history if "eval_loss" in e]
    return train, dev[-1]


def leftovers(directory: Path) -> list[str]:
    """Staging, temporary or checkpoint folders left beside the outputs."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_phase3_two_ranks_train_what_one_process_trains(inputs: Path, tmp_path: Path) -> None:
    common = [
        "phase3",
        inputs / "posts.jsonl",
        "--init",
        inputs / "tiny",
        "--thresholds",
        "dynamic",
        *TRAINING,
        "--max-steps",
        "4",
    ]
    two = launch(*common, "--out", tmp_path / "two", "--batch-size", "3", ranks=2)
    one = launch(*common, "--out", tmp_path / "one", "--batch-size", "6", ranks=1)
    stdout_two, _ = finished(two), finished(one)

    assert stdout_two.count("test (") == 1  # rank 0 alone reports
    assert leftovers(tmp_path) == []
    assert json.loads((tmp_path / "two" / "manifest.json").read_text())["command"] == (
        "train phase3"
    )
    (train_one, dev_one), (train_two, dev_two) = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert len(train_two) == len(train_one) == 4
    for a, b in zip(train_two, train_one, strict=True):
        assert math.isclose(a, b, rel_tol=REL_TOL), (train_two, train_one)
    assert math.isclose(dev_two, dev_one, rel_tol=REL_TOL), (dev_two, dev_one)
    # the test posts' probabilities are gathered from both ranks, in order
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("two", "one")]
    assert metrics[0]["n_test"] == metrics[1]["n_test"] == 24
    for axis in ("E/I", "S/N", "T/F", "J/P"):
        assert metrics[0][axis]["auc"] == pytest.approx(metrics[1][axis]["auc"], abs=0.05)


def test_train_all_under_two_ranks_publishes_once(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "study"
    stdout = finished(
        launch(
            "all",
            "--type-sentences",
            inputs / "type_sentences.jsonl",
            "--masked",
            inputs / "masked.jsonl",
            "--posts",
            inputs / "posts.jsonl",
            "--model",
            inputs / "tiny",
            "--out",
            out,
            "--seeds",
            "1",
            *TRAINING,
            "--max-steps",
            "2",
            "--batch-size",
            "4",
            ranks=2,
        )
    )
    assert stdout.count("Test metrics per text") == 1  # rank 0 alone reports
    assert leftovers(tmp_path) == []
    assert (out / "report.md").exists()
    records = sorted(p.name for p in (out / "seed0").rglob("*.run.json"))
    assert len(records) == 9, records  # phases 1 and 2, then the seven arms
    assert (out / "seed0" / "fraction1" / "mlm" / "model.safetensors").exists()


def test_progress_bars_show_on_rank_0_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from train.engine.args import TrainArgs
    from train.engine.distributed import shows_progress

    monkeypatch.setenv("RANK", "1")
    assert not shows_progress(TrainArgs(progress=True))
    monkeypatch.setenv("RANK", "0")
    assert shows_progress(TrainArgs(progress=True))
    assert not shows_progress(TrainArgs(progress=False))
