"""The report of a study: tables, the honest conclusion, metrics.json and the PNGs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from schemas.labels import AXIS_NAMES
from train.study.report import FIGURES, comparison_rows, conclusion, print_comparison, write_report
from train.study.results import Run, metric_value, summary_tables


def _metrics(rng: random.Random, level: float, n: int = 40):
    """Phase-3 style metrics around ``level`` accuracy, with matching test predictions."""
    labels = [[rng.randint(0, 1) for _ in AXIS_NAMES] for _ in range(n)]
    probs = [[min(1.0, max(0.0, b + rng.uniform(-0.7, 0.7))) for b in row] for row in labels]
    per_axis = {
        axis: {
            "accuracy": level + rng.uniform(-0.01, 0.01),
            "macro_f1": level - 0.05,
            "auc": level + 0.05,
            "majority_accuracy": 0.55,
            "threshold": 0.5,
        }
        for axis in AXIS_NAMES
    }
    mean = sum(m["accuracy"] for m in per_axis.values()) / 4
    metrics = {**per_axis, "mean_axis_accuracy": mean, "type_accuracy": 0.3, "hamming_loss": 0.2}
    return metrics, probs, labels


def _study(n_seeds: int, fractions=(1.0,), mlm_gain: float = 0.05) -> list[Run]:
    rng = random.Random(0)
    runs = []
    for seed in range(n_seeds):
        history = [{"step": s, "loss": 1.0 / s} for s in range(1, 4)] + [
            {"step": 3, "eval_loss": 0.5}
        ]
        runs.append(Run(seed, 1.0, "phase1", {"eval_accuracy": 0.6}, 100, 1.0, None, history))
        runs.append(Run(seed, 1.0, "phase2", {"eval_loss": 3.2}, 50, 1.0, None, history))
        for f in fractions:
            for arm, level in (("tfidf", 0.6), ("plain", 0.7), ("mlm", 0.7 + mlm_gain)):
                metrics, probs, labels = _metrics(rng, level * (0.9 + 0.1 * f))
                runs.append(
                    Run(seed, f, arm, metrics, int(200 * f), 1.0, None, history, probs, labels)
                )
    return runs


def test_metric_value_mean_row_uses_mean_axis_accuracy() -> None:
    metrics, _, _ = _metrics(random.Random(1), 0.8)
    assert metric_value(metrics, "mean", "accuracy") == metrics["mean_axis_accuracy"]
    expected_f1 = sum(metrics[a]["macro_f1"] for a in AXIS_NAMES) / 4
    assert metric_value(metrics, "mean", "macro_f1") == pytest.approx(expected_f1)


def test_comparison_table_has_the_study_layout() -> None:
    header, rows = comparison_rows(_study(3), 1.0, "accuracy")
    assert header[:2] == ["axis", "majority"]
    assert header[-1] == "study: MLM / plain"
    assert [r[0] for r in rows] == [*AXIS_NAMES, "mean"]
    assert rows[-1][-1] == "81.64 / 81.30"
    assert rows[0][1] == "55.00 ± 0.00"
    assert " ± " in rows[0][4]  # MLM column: mean ± sd
    assert rows[-1][5].startswith("+")  # Δ with its interval
    assert "[" in rows[-1][5]


def test_conclusion_is_honest_about_seed_count() -> None:
    assert "too few to conclude" in conclusion(_study(2), 1.0)
    assert "MLM fine-tuning is better" in conclusion(_study(3, mlm_gain=0.1), 1.0)


def test_write_report_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _study(3, fractions=(0.25, 1.0))
    report = write_report(runs, tmp_path, {"seeds": 3, "model": "tiny"})
    text = report.read_text()
    assert "## Low-data transfer curve" in text
    assert "| E/I |" in text
    for name in FIGURES.values():
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"]({name})" in text
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["summary"]) == {"0.25", "1"}
    cell = metrics["summary"]["1"]["accuracy"]["mean"]["mlm_minus_plain"]
    assert cell["n"] == 3 and cell["ci_low"] < cell["mean"] < cell["ci_high"]
    assert len(metrics["runs"]) == 3 * (2 + 2 * 3)
    assert "test_probs" not in metrics["runs"][0]
    print_comparison(runs)
    out = capsys.readouterr().out
    assert "E/I" in out and "MLM" in out


def test_summary_tables_count_seeds() -> None:
    table = summary_tables(_study(2))["1"]
    assert table["accuracy"]["E/I"]["plain"]["n"] == 2
    assert table["n_train_posts"] == 200
