"""The three-phase recipe for any label set: ``train all --task single`` with label-description
and masked sentences runs phase 1 -> phase 2 -> the task's model beside plain fine-tuning and
the baselines; labels outside the task's set are one-line errors with nothing written."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.support.cli import assert_clean_error
from tests.train.conftest import write_jsonl
from tests.train.tasks.conftest import FILLER, SENTIMENT_WORDS, sentiment_rows

STUDY = ("--seeds", "1", "--max-steps", "2", "--batch-size", "8", "--max-length", "24")
STUDY += ("--device", "cpu", "--no-progress")
COLUMNS = ("--text-col", "tweet", "--label-col", "sentiment")


def description_rows(per_label: int = 4, seed: int = 0) -> list[dict]:
    """Phase-1 rows: sentences about one sentiment each."""
    rng = random.Random(seed)
    return [
        {
            "id": f"d-{lab}-{i}",
            "text": " ".join([rng.choice(words), *rng.sample(FILLER, 4)]) + ".",
            "label": lab,
            "article_id": f"a-{lab}",
        }
        for lab, words in SENTIMENT_WORDS.items()
        for i in range(per_label)
    ]


def masked_rows() -> list[dict]:
    """Phase-2 rows: each base sentence with every label's candidate words."""
    bases = ("the meeting in town was [MASK].", "after the day we went home [MASK].")
    return [
        {
            "id": f"m-{b}-{lab}",
            "base_id": f"b{b}",
            "text": text,
            "label": lab,
            "target": words[0],
            "candidates": [{"word": words[0], "prob": 0.7}, {"word": words[1], "prob": 0.3}],
            "backend": "offline",
            "model": "toy",
            "prompt_sha": "0" * 8,
        }
        for b, text in enumerate(bases)
        for lab, words in SENTIMENT_WORDS.items()
    ]


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    return {
        "posts": write_jsonl(tmp_path / "tweets.jsonl", sentiment_rows(per_label=10)),
        "type_sentences": write_jsonl(tmp_path / "descriptions.jsonl", description_rows()),
        "masked": write_jsonl(tmp_path / "masked.jsonl", masked_rows()),
    }


def train_all_single(cli, task_encoder, inputs: dict[str, Path], out: Path):
    """``train all --task single`` on ``inputs`` with the tiny study's settings."""
    return cli(
        "train", "all", "--task", "single", "--posts", inputs["posts"], *COLUMNS,
        "--type-sentences", inputs["type_sentences"], "--masked", inputs["masked"],
        "--model", task_encoder, "--out", out, *STUDY,
    )  # fmt: skip


def test_train_all_single_runs_the_three_phase_arm(cli, task_encoder, inputs, tmp_path):
    out = tmp_path / "study"
    proc = train_all_single(cli, task_encoder, inputs, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "MLM (3 phases)" in proc.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert {r["arm"] for r in metrics["runs"]} == {
        "phase1", "phase2", "mlm", "p13", "frozen_mlm", "plain", "tfidf", "frozen", "majority",
    }  # fmt: skip
    table = metrics["summary"]["1"]["per_post"]["macro_f1"]
    assert table["mlm"]["n"] == table["plain"]["n"] == 1 and "mlm_minus_plain" in table
    assert "MLM (3 phases)" in (out / "report.md").read_text()
    phase2 = json.loads((out / "seed0" / "phase2" / "config.json").read_text())
    assert phase2["labels"] == ["negative", "neutral", "positive"]
    model = json.loads((out / "seed0" / "fraction1" / "mlm" / "config.json").read_text())
    assert [e["phase"] for e in model["lineage"]] == [1, 2, 3]


def test_a_phase_2_label_outside_the_tasks_set_is_a_clean_error(
    cli, task_encoder, inputs, tmp_path
):
    rows = masked_rows()
    rows[2]["label"] = "sarcastic"
    write_jsonl(inputs["masked"], rows)
    out = tmp_path / "study"
    proc = train_all_single(cli, task_encoder, inputs, out)
    assert_clean_error(proc, "masked.jsonl: row 3: field 'label': unknown label 'sarcastic'")
    assert not out.exists() and not list(tmp_path.glob(".study*"))


def test_a_phase_1_label_outside_the_tasks_set_fails_before_training(
    task_encoder, inputs, tmp_path
):
    from schemas.errors import InputError
    from train.study.config import StudyConfig
    from train.study.run import prepare
    from train.tasks.columns import DataOptions
    from train.tasks.options import TaskOptions

    rows = description_rows()
    rows[5]["label"] = "sarcastic"
    write_jsonl(inputs["type_sentences"], rows)
    cfg = StudyConfig(
        posts=inputs["posts"],
        out=tmp_path / "study",
        model=str(task_encoder),
        seeds=1,
        type_sentences=inputs["type_sentences"],
        masked=inputs["masked"],
        task_options=TaskOptions(task="single"),
        columns=DataOptions(text_col="tweet", label_col="sentiment"),
    )
    with pytest.raises(InputError, match="descriptions.jsonl: row 6: field 'label': unknown"):
        prepare(cfg)


def test_regression_says_why_it_has_no_phases_1_2(inputs, tmp_path):
    from schemas.errors import InputError
    from train.study.config import StudyConfig
    from train.tasks.options import TaskOptions

    with pytest.raises(InputError, match="--task regression learns scores"):
        StudyConfig(
            posts=inputs["posts"],
            out=tmp_path / "out",
            type_sentences=inputs["type_sentences"],
            masked=inputs["masked"],
            task_options=TaskOptions(task="regression"),
        )
