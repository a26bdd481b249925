"""The report of a study, for MBTI as for any task: the task's metrics per arm (MBTI: per axis
too), paired differences, the honest conclusion, metrics.json and the PNGs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from schemas.labels import AXIS_NAMES
from train.study.report import (
    FIGURES,
    comparison,
    conclusion,
    print_comparison,
    recommendation,
    recommendation_text,
    render,
    write_report,
)
from train.study.results import Run
from train.tasks import MbtiTask, SingleLabelTask


def _metrics(rng: random.Random, level: float) -> dict:
    """MBTI metrics around ``level`` axis accuracy (and a per-author copy)."""
    per_axis = {
        axis: {"accuracy": level + rng.uniform(-0.01, 0.01), "macro_f1": level - 0.05}
        for axis in AXIS_NAMES
    }
    mean = sum(m["accuracy"] for m in per_axis.values()) / 4
    metrics = {
        **per_axis,
        "mean_axis_accuracy": mean,
        "mean_axis_macro_f1": level - 0.05,
        "type_accuracy": 0.3,
        "hamming_loss": 1 - mean,
    }
    return {**metrics, "per_author": {**metrics, "n_authors": 10}}


def _study(n_seeds: int, fractions=(1.0,), mlm_gain: float = 0.05) -> list[Run]:
    rng = random.Random(0)
    runs = []
    history = [{"step": s, "loss": 1.0 / s} for s in range(1, 4)] + [{"step": 3, "eval_loss": 0.5}]
    for seed in range(n_seeds):
        phase1 = {"mean_axis_accuracy": 0.6, "dev_metric": "mean_axis_accuracy"}
        phase2 = {
            "dev_loss_own_label": 3.2,
            "label_gain": 0.05,
            "label_accuracy": 0.25,
            "label_chance": 1 / 16,
        }
        runs.append(Run(seed, 1.0, "phase1", phase1, 100, 1.0, None, history))
        runs.append(Run(seed, 1.0, "phase2", phase2, 50, 1.0, None, history))
        for f in fractions:
            levels = (
                ("majority", 0.55),
                ("tfidf", 0.6),
                ("frozen", 0.65),
                ("plain", 0.7),
                ("mlm", 0.7 + mlm_gain),
            )
            for arm, level in levels:
                trained = arm in ("plain", "mlm")
                runs.append(
                    Run(
                        seed, f, arm, _metrics(rng, level * (0.9 + 0.1 * f)), int(200 * f), 1.0,
                        None, history if trained else [],
                    )
                )  # fmt: skip
    return runs


def test_the_mbti_table_has_a_row_per_axis_and_a_column_per_arm() -> None:
    header, rows = comparison(_study(3), MbtiTask(), 1.0)
    arms = ["majority", "TF-IDF + LR", "frozen encoder + LR", "plain fine-tuning", "MLM (3 phases)"]
    assert header[:6] == ["metric", *arms]
    assert "Δ MLM (3 phases) − plain fine-tuning [95% CI]" in header
    names = [r[0] for r in rows]
    assert names[:5] == ["mean_axis_accuracy", *(f"{a}.accuracy" for a in AXIS_NAMES)]
    assert " ± " in rows[0][5]  # MLM column: mean ± sd
    assert rows[0][6].startswith("+") and "[" in rows[0][6]  # Δ MLM − plain with its interval


def test_conclusion_is_honest_about_seed_count() -> None:
    assert "too few to conclude" in conclusion(_study(2), MbtiTask(), 1.0)
    assert "MLM (3 phases) is better than plain" in conclusion(
        _study(3, mlm_gain=0.1), MbtiTask(), 1.0
    )


def test_write_report_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _study(3, fractions=(0.25, 1.0))
    report = write_report(runs, tmp_path, MbtiTask(), {"seeds": 3, "model": "tiny"})
    text = report.read_text()
    assert "## Low-data curve" in text and "| E/I.accuracy" in text and "81.64" in text
    assert "## Per-author test metrics" in text
    assert (
        "| phase 2 (label-conditioned MLM) | 0 | 50 | 1 | 3.2000 | +0.0500 | 25.0% (chance 6.2%) |"
        in text
    )
    for name in FIGURES.values():
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"]({name})" in text
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["summary"]) == {"0.25", "1"}
    cell = metrics["summary"]["1"]["per_post"]["mean_axis_accuracy"]["mlm_minus_plain"]
    assert cell["n"] == 3 and cell["ci_low"] < cell["mean"] < cell["ci_high"]
    assert len(metrics["runs"]) == 3 * (2 + 2 * 5)
    assert "test_probs" not in metrics["runs"][0]
    assert metrics["recommendation"]["best"] == "mlm" and "Use MLM (3 phases):" in text
    print_comparison(runs, "mbti")
    out = capsys.readouterr().out
    assert "E/I" in out and "MLM" in out and "per author" in out


def _curve(levels: dict[str, dict[float, float]], n_seeds: int = 3) -> list[Run]:
    """Single-label runs whose macro-F1 is ``levels[arm][fraction]`` (± a little per seed)."""
    rng = random.Random(1)
    return [
        Run(seed, f, arm, {"macro_f1": level + rng.uniform(-0.005, 0.005)}, int(1000 * f))
        for seed in range(n_seeds)
        for arm, curve in levels.items()
        for f, level in curve.items()
    ]


def test_recommendation_names_a_baseline_that_wins_and_the_measured_gap() -> None:
    runs = _curve(
        {
            "majority": {0.1: 0.1, 0.5: 0.1, 1.0: 0.1},
            "tfidf": {0.1: 0.3, 0.5: 0.4, 1.0: 0.45},
            "frozen": {0.1: 0.5, 0.5: 0.55, 1.0: 0.56},
            "plain": {0.1: 0.3, 0.5: 0.48, 1.0: 0.53},
        }
    )
    rec = recommendation(runs, SingleLabelTask())
    assert rec["best"] == "frozen" and rec["best_fine_tuned"] == "plain"
    assert [g["n_train"] for g in rec["gaps"]] == [100, 500, 1000]
    assert rec["gaps"][0]["gap"] == pytest.approx(0.2, abs=0.02)
    # gap 0.2 at 100 rows, ~0.03 at 1,000: the log-linear trend closes a little above 1,000
    assert 1000 < rec["rows_to_close"] < 3000
    text = recommendation_text(runs, SingleLabelTask())
    assert text.startswith("Use frozen encoder + LR first") and "narrows" in text


def test_recommendation_when_fine_tuning_wins_or_the_gap_does_not_narrow() -> None:
    wins = _curve({"tfidf": {1.0: 0.4}, "frozen": {1.0: 0.5}, "plain": {1.0: 0.6}})
    assert recommendation_text(wins, SingleLabelTask()).startswith("Use plain fine-tuning:")
    widening = _curve({"frozen": {0.5: 0.5, 1.0: 0.6}, "plain": {0.5: 0.45, 1.0: 0.5}})
    rec = recommendation(widening, SingleLabelTask())
    assert rec["rows_to_close"] is None
    assert "does not narrow" in recommendation_text(widening, SingleLabelTask())
    one_size = _curve({"frozen": {1.0: 0.6}, "plain": {1.0: 0.5}})
    assert "--fractions" in recommendation_text(one_size, SingleLabelTask())


def test_a_lead_the_seeds_do_not_separate_is_called_level_at_the_size_that_ran() -> None:
    """Only 10 % of the rows ran, and the frozen arm leads plain fine-tuning by 0.01 on average
    with the seeds' differences on both sides of 0: the text names the size and the tie."""
    runs = [
        Run(seed, 0.1, arm, {"macro_f1": level}, 100)
        for seed, (frozen, plain) in enumerate([(0.50, 0.45), (0.50, 0.52), (0.50, 0.50)])
        for arm, level in (("tfidf", 0.3), ("frozen", frozen), ("plain", plain))
    ]
    text = recommendation_text(runs, SingleLabelTask())
    assert text.startswith("Use frozen encoder + LR first")
    assert "at 10 % of the training rows" in text and "all training rows" not in text
    assert "3 paired seeds do not separate from 0 (Δ +1.00 [" in text and "level with it" in text
    assert "## Test metrics (×100, mean ± sd over 3 seeds, 10 % of the training rows)" in render(
        runs, SingleLabelTask(), {}
    )


def test_mbti_recommends_on_macro_f1_not_on_the_majoritys_accuracy() -> None:
    """On imbalanced axes the majority's accuracy leads (Kaggle: 80 % I, 89 % N) while it
    tells nobody apart; MBTI picks and recommends on the mean axis macro-F1."""
    runs = []
    for seed in range(2):
        for arm, accuracy, macro_f1 in (("majority", 0.71, 0.41), ("frozen", 0.62, 0.58),
                                        ("plain", 0.6, 0.45)):  # fmt: skip
            m = _metrics(random.Random(seed), accuracy)
            for view in (m, m["per_author"]):
                view["mean_axis_accuracy"], view["mean_axis_macro_f1"] = accuracy, macro_f1
            runs.append(Run(seed, 1.0, arm, m, 200, 1.0, None, []))
    assert MbtiTask.dev_metric == "mean_axis_macro_f1"
    rec = recommendation(runs, MbtiTask())
    assert (rec["best"], rec["best_fine_tuned"]) == ("frozen", "plain")
    assert recommendation_text(runs, MbtiTask()).startswith("Use frozen encoder + LR first")


def test_with_authors_the_recommendation_and_conclusion_judge_per_author() -> None:
    """Kaggle held-out users: per post plain fine-tuning leads by a little, per author (a
    person's type from all their posts, the report's headline table) the frozen arm leads by
    far; the recommendation and the conclusion follow the per-author view, and say so."""
    runs = []
    for seed in range(3):
        for arm, post, author in (("majority", 0.41, 0.41), ("tfidf", 0.49, 0.48),
                                  ("frozen", 0.50, 0.58), ("plain", 0.52, 0.49)):  # fmt: skip
            m = _metrics(random.Random(seed), 0.6)
            m["mean_axis_macro_f1"] = post + 0.001 * seed
            m["per_author"]["mean_axis_macro_f1"] = author + 0.001 * seed
            runs.append(Run(seed, 1.0, arm, m, 200, 1.0, None, []))
    rec = recommendation(runs, MbtiTask())
    assert rec["per_author"] and (rec["best"], rec["best_fine_tuned"]) == ("frozen", "plain")
    text = recommendation_text(runs, MbtiTask())
    assert text.startswith("Use frozen encoder + LR first: on mean_axis_macro_f1 per author")
    assert "58.10 vs 49.10" in text
    assert (
        "frozen encoder + LR is better than plain fine-tuning on mean_axis_macro_f1 per "
        "author" in conclusion(runs, MbtiTask(), 1.0)
    )
    for run in runs:  # without authors: the per-post view, where plain leads
        del run.metrics["per_author"]
    rec = recommendation(runs, MbtiTask())
    assert not rec["per_author"] and rec["best"] == "plain"
    assert "per author" not in recommendation_text(runs, MbtiTask())
