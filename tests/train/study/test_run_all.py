"""``train all`` end to end (real subprocess, real training steps of a tiny BERT) and its errors."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from schemas.errors import InputError
from schemas.io import save_dataset, to_dataset
from schemas.labels import MBTI
from tests.support.cli import assert_clean_error
from tests.train.conftest import save_tiny_bert
from train.study.config import parse_fractions

WORDS = ["blue", "music", "coffee", "books", "rain", "friends", "ideas", "plans", "home", "work"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, minilm_path: str) -> Path:
    """A 2-layer, 32-wide BERT with the MiniLM tokenizer (random weights, saved locally)."""
    from transformers import AutoTokenizer

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    return save_tiny_bert(path, tokenizer, vocab_size=tokenizer.vocab_size, max_positions=128)


@pytest.fixture(scope="module")
def study_inputs(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> dict[str, Path]:
    """Tiny phase-1/phase-2 sets and 120 sample posts (by author) as saved data sets."""
    root = tmp_path_factory.mktemp("inputs")
    rng = random.Random(0)
    sentences = [
        {
            "id": f"s{i}",
            "text": f"The {t} type loves {rng.choice(WORDS)}.",
            "label": t,
            "article_id": f"a{t}",
        }
        for i, t in enumerate(MBTI.labels * 2)
    ]
    masked = [
        {
            "id": f"m{i}",
            "base_id": f"b{i // 16}",
            "text": f"I like [MASK] on {w}.",
            "label": t,
            "target": "music",
            "candidates": [{"word": "music", "prob": 0.7}, {"word": "books", "prob": 0.3}],
            "backend": "test",
            "model": "none",
            "prompt_sha": "0",
        }
        for i, (w, t) in enumerate((w, t) for w in WORDS[:2] for t in MBTI.labels)
    ]
    posts = [
        {**json.loads(line), "is_silver": False}
        for line in (sample_dir / "posts.jsonl").read_text().splitlines()
    ]
    paths = {}
    for kind, rows in (("type_sentences", sentences), ("masked", masked), ("posts", posts[:120])):
        paths[kind] = root / kind
        paths[kind].mkdir()
        save_dataset(to_dataset(rows, kind), paths[kind])
    return paths


def _train_all(cli, inputs: dict[str, Path], out: Path, model: Path, *extra: str):
    return cli(
        "train",
        "all",
        "--type-sentences",
        inputs["type_sentences"],
        "--masked",
        inputs["masked"],
        "--posts",
        inputs["posts"],
        "--out",
        out,
        "--model",
        model,
        "--max-steps",
        "2",
        "--batch-size",
        "8",
        "--max-length",
        "32",
        "--no-progress",
        *extra,
    )


def test_train_all_end_to_end(cli, study_inputs, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "study"
    # --lr 5e-3: at the default rate two steps move the tiny encoder so little that a linear
    # model on its frozen features can decide every test row as on the base model's
    proc = _train_all(cli, study_inputs, out, tiny_model, "--seeds", "2", "--fractions", "0.5,1",
                      "--lr", "5e-3")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    for needle in ("E/I", "J/P", "mean_axis", "MLM", "TF-IDF", "majority", "too few to conclude"):
        assert needle in proc.stdout, (needle, proc.stdout)
    report = (out / "report.md").read_text()
    assert "| mean_axis_accuracy |" in report and "Low-data curve" in report
    for png in ("loss_curves", "comparison", "low_data_curve"):
        assert (out / f"{png}.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((out / "metrics.json").read_text())
    runs = metrics["runs"]
    assert {(r["fraction"], r["arm"]) for r in runs} == {
        (1.0, "phase1"),
        (1.0, "phase2"),
        *(
            (f, arm)
            for f in (0.5, 1.0)
            for arm in ("mlm", "p13", "frozen_mlm", "plain", "tfidf", "frozen", "majority")
        ),
    }
    # the phase-2 encoder's frozen features: another encoder than the base model's
    frozen, frozen_mlm = (
        next(r for r in runs if r["arm"] == arm and r["fraction"] == 1.0)
        for arm in ("frozen", "frozen_mlm")
    )
    assert 0 <= frozen_mlm["metrics"]["E/I"]["accuracy"] <= 1
    assert frozen_mlm["metrics"] != frozen["metrics"]
    assert "phases 1+2 frozen + LR" in report
    low, full = (
        next(r for r in runs if r["arm"] == "plain" and r["fraction"] == f) for f in (0.5, 1.0)
    )
    assert 0 < low["n_train"] < full["n_train"]
    mlm = next(r for r in runs if r["arm"] == "mlm" and r["fraction"] == 1.0)
    assert 0 <= mlm["metrics"]["E/I"]["accuracy"] <= 1
    # Full-data models are kept and load with transformers; low-data ones are not kept.
    from transformers import AutoModel

    import train.models  # noqa: F401  (registers the phase models)

    model = AutoModel.from_pretrained(out / mlm["model_dir"])
    assert [e["phase"] for e in model.config.lineage] == [1, 2, 3]
    assert not (out / "seed0" / "fraction0.5" / "mlm").exists()
    assert not (out / "seed0" / "fraction1" / "p13").exists()  # a diagnostic arm: not kept
    assert (out / "seed0" / "fraction0.5" / "mlm.run.json").exists()
    assert not list(tmp_path.glob(".study.*"))


def test_parse_fractions() -> None:
    assert parse_fractions("1.0,0.05,0.25,0.25") == (0.05, 0.25, 1.0)
    for bad, needle in (
        ("0.5,1.5", "1.5 is outside (0, 1]"),
        ("0", "0 is outside"),
        ("-0.1", "-0.1 is outside"),
        ("nan", "is outside"),
        ("half", "'half' is not a number"),
    ):
        with pytest.raises(InputError, match=re.escape(needle)):
            parse_fractions(bad)


def test_bad_fractions_are_a_clean_error(cli, study_inputs, tiny_model, tmp_path) -> None:
    proc = _train_all(cli, study_inputs, tmp_path / "study", tiny_model, "--fractions", "0.5,1.5")
    assert_clean_error(proc, "--fractions", "1.5 is outside (0, 1]")
    assert list(tmp_path.iterdir()) == []


def test_fraction_too_small_for_both_classes(cli, study_inputs, tiny_model, tmp_path) -> None:
    proc = _train_all(cli, study_inputs, tmp_path / "study", tiny_model, "--fractions", "0.01")
    assert_clean_error(proc, "one class only", "fraction 0.01")
    assert list(tmp_path.iterdir()) == []
