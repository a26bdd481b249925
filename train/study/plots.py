"""The report's figures (matplotlib, Agg): loss curves, the metrics per arm, the low-data curve."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from train.study.results import ARM_TITLES, Run  # noqa: E402
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
