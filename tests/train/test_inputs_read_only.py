"""Commands never write under their inputs: a saved posts data set hashes the same before and
after ``train phase3`` and ``augment silver`` read it (``datasets.map`` used to drop
``cache-*.arrow`` files into it)."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from schemas.manifest import sha256_path
from tests.train.conftest import toy_posts


@pytest.fixture
def saved_posts(tmp_path: Path) -> Path:
    path = tmp_path / "posts"
    datasets.Dataset.from_list(toy_posts()).save_to_disk(str(path))
    return path


def _files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_train_phase3_leaves_its_input_untouched(cli, saved_posts, tiny_encoder, tmp_path):
    before, files = sha256_path(saved_posts), _files(saved_posts)
    proc = cli(
        "train", "phase3", saved_posts, "--init", tiny_encoder, "--out", tmp_path / "out",
        "--max-steps", "2", "--batch-size", "8", "--max-length", "32", "--device", "cpu",
        "--no-progress",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert _files(saved_posts) == files
    assert sha256_path(saved_posts) == before


def test_augment_silver_leaves_its_inputs_untouched(cli, saved_posts, tmp_path):
    pool = tmp_path / "pool"
    rows = [{"id": f"q{i}", "text": r["text"]} for i, r in enumerate(toy_posts(seed=1))]
    datasets.Dataset.from_list(rows).save_to_disk(str(pool))
    hashes = {p: sha256_path(p) for p in (saved_posts, pool)}
    files = {p: _files(p) for p in (saved_posts, pool)}
    proc = cli(
        "augment", "silver", saved_posts, "--pool", pool, "--out", tmp_path / "out",
        "--target", "20", "--folds", "0",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {p: _files(p) for p in hashes} == files
    assert {p: sha256_path(p) for p in hashes} == hashes
