"""The downstream check's answer in both modes: a student's scores trained on gold (arm a) and
on gold + silver (arm b), per seed, their paired difference with a t interval, and its table
in the reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class PairedResult:
    """Per-seed scores of two arms and their paired difference (b - a)."""

    metric: str
    seeds: list[int]
    a: list[float]
    b: list[float]
    n_train_a: list[int] | None = None
    """Per seed, the rows arm a (gold) trained on; ``n_train_b``: arm b (gold + silver)."""
    n_train_b: list[int] | None = None
    all_gold: tuple[float, float] | None = None
    """The scores of the student trained once on all of gold (a) and on all of gold + all of
    silver (b): the user's case, beside the seeds' resampled ones (``None``: not measured)."""

    @property
    def diff(self) -> np.ndarray:
        return np.asarray(self.b) - np.asarray(self.a)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Student-t interval of the mean paired difference."""
        from scipy.stats import t

        d = self.diff
        half = t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        return float(d.mean() - half), float(d.mean() + half)

    @property
    def all_gold_diff(self) -> float | None:
        """b - a of :attr:`all_gold`."""
        return None if self.all_gold is None else self.all_gold[1] - self.all_gold[0]

    def summary(self) -> dict:
        low, high = self.interval()
        return {
            **asdict(self),
            "mean_a": float(np.mean(self.a)),
            "mean_b": float(np.mean(self.b)),
            "mean_diff": float(self.diff.mean()),
            "ci95": [low, high],
            "all_gold_diff": self.all_gold_diff,
        }


def paired_table(ev: Mapping) -> list[str]:
    """Per-seed rows of a paired gold vs gold + silver comparison (a
    :meth:`PairedResult.summary`), then the mean and CI."""
    rows = ["| seed | gold only | gold + silver | difference |", "|---:|---:|---:|---:|"]
    rows += [
        f"| {s} | {a:.2f} | {b:.2f} | {b - a:+.2f} |"
        for s, a, b in zip(ev["seeds"], ev["a"], ev["b"], strict=True)
    ]
    rows.append(
        f"| mean | {ev['mean_a']:.2f} | {ev['mean_b']:.2f} | **{ev['mean_diff']:+.2f}** "
        f"(95% CI {ev['ci95'][0]:+.2f} to {ev['ci95'][1]:+.2f}) |"
    )
    return rows
