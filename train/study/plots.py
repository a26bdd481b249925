"""The report's figures (matplotlib, Agg): loss curves, confusion matrices, comparison, low data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from schemas.labels import MBTI_AXES  # noqa: E402
from train.study.results import (  # noqa: E402
    ARM_TITLES,
    COMPARED_ARMS,
    MEAN_ROW,
    ROWS,
    Run,
    arm_summary,
    fractions_of,
    majority_summary,
    select,
)
from train.study.stats import Summary  # noqa: E402

LOSS_ARMS = ("phase1", "phase2", "plain", "mlm")


def loss_curves(runs: Sequence[Run], path: Path, arms: Sequence[str] = LOSS_ARMS) -> Path:
    """Training (solid) and dev (dashed) loss per step, one panel per phase, one line per seed."""
    full = max((r.fraction for r in runs if r.arm in arms), default=1.0)
    fig, axes = plt.subplots(1, len(arms), figsize=(4 * len(arms), 3.2), squeeze=False)
    for ax, arm in zip(axes[0], arms, strict=True):
        chosen = [
            r
            for r in runs
            if r.arm == arm and (arm in ("phase1", "phase2") or math.isclose(r.fraction, full))
        ]
        for run in sorted(chosen, key=lambda r: r.seed):
            for key, style in (("loss", "-"), ("eval_loss", "--")):
                points = [(e["step"], e[key]) for e in run.log_history if key in e and "step" in e]
                if points:
                    xs, ys = zip(*points, strict=True)
                    label = f"seed {run.seed} {'train' if key == 'loss' else 'dev'}"
                    ax.plot(xs, ys, style, marker=".", label=label)
        ax.set_title(ARM_TITLES[arm] if arm in ("phase1", "phase2") else f"phase 3: {arm}")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        if ax.lines:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "no logged steps", ha="center", va="center", transform=ax.transAxes)
    return _save(fig, path)


def confusion_matrices(runs: Sequence[Run], path: Path, fraction: float = 1.0) -> Path:
    """Per-axis 2×2 confusion matrices, summed over seeds, one row per fine-tuning arm."""
    arms = [arm for arm in ("plain", "mlm") if select(runs, arm, fraction)]
    fig, axes = plt.subplots(
        max(len(arms), 1),
        len(MBTI_AXES),
        figsize=(3 * len(MBTI_AXES), 3 * max(len(arms), 1)),
        squeeze=False,
    )
    for i, arm in enumerate(arms):
        counts = np.zeros((len(MBTI_AXES), 2, 2), dtype=int)
        for run in select(runs, arm, fraction):
            if run.test_probs is None or run.test_labels is None:
                continue
            probs, labels = np.asarray(run.test_probs), np.asarray(run.test_labels)
            for a, (axis_name, _) in enumerate(_axis_items()):
                threshold = run.metrics[axis_name].get("threshold", 0.5)
                pred = (probs[:, a] >= threshold).astype(int)
                for t, p in zip(labels[:, a], pred, strict=True):
                    counts[a, int(t), int(p)] += 1
        for a, (axis_name, poles) in enumerate(_axis_items()):
            ax = axes[i][a]
            ax.imshow(counts[a], cmap="Blues")
            for t in range(2):
                for p in range(2):
                    ax.text(p, t, str(counts[a, t, p]), ha="center", va="center")
            ax.set_xticks([0, 1], poles)
            ax.set_yticks([0, 1], poles)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title(f"{axis_name} — {arm}")
    return _save(fig, path)


def comparison_chart(runs: Sequence[Run], path: Path, fraction: float = 1.0) -> Path:
    """Accuracy per axis and mean: majority, TF-IDF, plain and MLM (mean ± sd over seeds)."""
    series = {"majority": [majority_summary(runs, fraction, row) for row in ROWS]}
    for arm in COMPARED_ARMS:
        series[arm] = [arm_summary(runs, arm, fraction, row, "accuracy") for row in ROWS]
    x = np.arange(len(ROWS))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(8, 4))
    for k, (arm, summaries) in enumerate(series.items()):
        means = [100 * s.mean for s in summaries]
        sds = [100 * s.sd for s in summaries]
        ax.bar(
            x + (k - (len(series) - 1) / 2) * width,
            means,
            width,
            yerr=sds,
            capsize=3,
            label=ARM_TITLES[arm],
        )
    ax.set_xticks(x, [r if r != MEAN_ROW else "mean" for r in ROWS])
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"Test accuracy per axis ({len(select(runs, 'plain', fraction))} seeds)")
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def low_data_curve(runs: Sequence[Run], path: Path) -> Path:
    """Mean-axis accuracy against the fraction of training posts, mean ± sd band per arm."""
    fractions = fractions_of(runs)
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm in COMPARED_ARMS:
        summaries = [arm_summary(runs, arm, f, MEAN_ROW, "accuracy") for f in fractions]
        means = np.array([100 * s.mean for s in summaries])
        sds = np.array([100 * s.sd for s in summaries])
        ax.plot(fractions, means, marker="o", label=ARM_TITLES[arm])
        ax.fill_between(fractions, means - sds, means + sds, alpha=0.2)
    majority = [100 * majority_summary(runs, f, MEAN_ROW).mean for f in fractions]
    ax.plot(fractions, majority, ":", color="grey", label="majority")
    if len(fractions) > 1 and min(fractions) > 0:
        ax.set_xscale("log")
    ax.set_xlabel("fraction of training posts")
    ax.set_ylabel("mean axis accuracy (%)")
    ax.set_title("Low-data transfer curve")
    ax.legend(fontsize=8)
    return _save(fig, path)


def _axis_items() -> list[tuple[str, tuple[str, str]]]:
    return [(f"{a}/{b}", (a, b)) for a, b in MBTI_AXES]


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def metric_bars(
    table: dict[str, dict[str, Summary]], path: Path, *, title: str, ylabel: str
) -> Path:
    """Grouped bars: one group per metric, one bar per arm (mean ± sd over seeds)."""
    metrics = list(table)
    arms = list(dict.fromkeys(arm for cells in table.values() for arm in cells))
    x = np.arange(len(metrics))
    width = 0.8 / max(len(arms), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(metrics)), 4))
    for k, arm in enumerate(arms):
        cells = [table[m].get(arm) for m in metrics]
        ax.bar(
            x + (k - (len(arms) - 1) / 2) * width,
            [100 * c.mean if c and c.n else 0 for c in cells],
            width,
            yerr=[100 * c.sd if c and c.n else 0 for c in cells],
            capsize=3,
            label=ARM_TITLES.get(arm, arm),
        )
    ax.set_xticks(x, metrics)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def metric_curve(
    curves: dict[str, list[tuple[float, Summary]]], path: Path, *, ylabel: str
) -> Path:
    """One line (mean ± sd band) per arm against the fraction of training rows."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm, points in curves.items():
        xs = np.array([f for f, _ in points])
        means = np.array([100 * s.mean for _, s in points])
        sds = np.array([100 * s.sd for _, s in points])
        ax.plot(xs, means, marker="o", label=ARM_TITLES.get(arm, arm))
        ax.fill_between(xs, means - sds, means + sds, alpha=0.2)
    if all(f > 0 for pts in curves.values() for f, _ in pts):
        ax.set_xscale("log")
    ax.set_xlabel("fraction of training rows")
    ax.set_ylabel(ylabel)
    ax.set_title("Low-data curve")
    ax.legend(fontsize=8)
    return _save(fig, path)
