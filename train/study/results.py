"""The results of a ``train all`` study: one :class:`Run` per (seed, fraction, arm), summarised.

Arms: ``phase1`` and ``phase2`` (the pre-training phases of the MLM recipe), ``mlm`` (phase 3
from the phase-2 model: the full recipe), ``plain`` (phase 3 from the base model) and
``tfidf`` (TF-IDF + logistic regression). Phase-3 style metrics are dicts with one entry per
axis (``accuracy``, ``macro_f1``, ``auc``, ``majority_accuracy``, ``threshold``) plus
``mean_axis_accuracy``, ``type_accuracy`` and ``hamming_loss``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from schemas.labels import AXIS_NAMES
from train.study.stats import PairedDifference, Summary, paired_difference, summarize

PRETRAINING_ARMS = ("phase1", "phase2")
COMPARED_ARMS = ("tfidf", "plain", "mlm")
TASK_ARMS = ("majority", "tfidf", "plain")
"""The arms of ``train all --task single|multi|regression``."""
ARM_TITLES = {
    "majority": "majority",
    "tfidf": "TF-IDF + LR",
    "plain": "plain fine-tuning",
    "mlm": "MLM (3 phases)",
    "phase1": "phase 1 (type sentences)",
    "phase2": "phase 2 (type-conditioned MLM)",
}
MEAN_ROW = "mean"
ROWS = (*AXIS_NAMES, MEAN_ROW)

# The study's figures (Korean posts, KcELECTRA; DESIGN.md), for context only: accuracy in %.
REFERENCE_ACCURACY = {
    "mlm": {"E/I": 80.86, "S/N": 82.31, "T/F": 81.88, "J/P": 81.50, MEAN_ROW: 81.64},
    "plain": {MEAN_ROW: 81.30},
}


@dataclass
class Run:
    """One trained (or fitted) model's outcome; ``test_*`` are kept only for the report."""

    seed: int
    fraction: float
    arm: str
    metrics: dict[str, Any]
    n_train: int = 0
    seconds: float = 0.0
    model_dir: str | None = None
    log_history: list[dict[str, Any]] = field(default_factory=list)
    test_probs: list[list[float]] | None = None
    test_labels: list[list[int]] | None = None

    def to_dict(self, *, with_predictions: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not with_predictions:
            d.pop("test_probs")
            d.pop("test_labels")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        return cls(**d)


def author_runs(runs: Sequence[Run]) -> list[Run]:
    """The compared runs with their per-author metrics in place of the per-post ones."""
    return [
        replace(r, metrics=r.metrics["per_author"])
        for r in runs
        if r.arm in COMPARED_ARMS and "per_author" in r.metrics
    ]


def metric_value(metrics: dict[str, Any], row: str, key: str) -> float:
    """``key`` (accuracy, macro_f1, ...) of one axis, or of the ``mean`` row (mean over axes;
    ``mean_axis_accuracy`` when reported)."""
    if row == MEAN_ROW:
        if key == "accuracy" and "mean_axis_accuracy" in metrics:
            return float(metrics["mean_axis_accuracy"])
        values = [metric_value(metrics, axis, key) for axis in AXIS_NAMES]
        return sum(values) / len(values)
    value = metrics[row].get(key)
    return math.nan if value is None else float(value)


def select(runs: Sequence[Run], arm: str, fraction: float) -> list[Run]:
    """Runs of one arm and fraction, ordered by seed."""
    return sorted(
        (r for r in runs if r.arm == arm and math.isclose(r.fraction, fraction)),
        key=lambda r: r.seed,
    )


def fractions_of(runs: Sequence[Run]) -> list[float]:
    return sorted({r.fraction for r in runs if r.arm in COMPARED_ARMS})


def arm_summary(runs: Sequence[Run], arm: str, fraction: float, row: str, key: str) -> Summary:
    return summarize([metric_value(r.metrics, row, key) for r in select(runs, arm, fraction)])


def majority_summary(runs: Sequence[Run], fraction: float, row: str) -> Summary:
    """Majority-class accuracy on each seed's test split (the same for every arm of a seed)."""
    reference = select(runs, "mlm", fraction) or select(runs, "plain", fraction)
    return summarize([metric_value(r.metrics, row, "majority_accuracy") for r in reference])


def mlm_minus_plain(runs: Sequence[Run], fraction: float, row: str, key: str) -> PairedDifference:
    """Paired (by seed) difference MLM − plain; seeds missing from either arm are left out."""
    mlm = {r.seed: metric_value(r.metrics, row, key) for r in select(runs, "mlm", fraction)}
    plain = {r.seed: metric_value(r.metrics, row, key) for r in select(runs, "plain", fraction)}
    seeds = sorted(mlm.keys() & plain.keys())
    return paired_difference([mlm[s] for s in seeds], [plain[s] for s in seeds])


def summary_tables(runs: Sequence[Run], keys: Sequence[str] = ("accuracy", "macro_f1", "auc")):
    """Everything the report shows, as plain JSON: per fraction, per metric, per row."""
    out: dict[str, Any] = {}
    for fraction in fractions_of(runs):
        per_key: dict[str, Any] = {}
        for key in keys:
            table = {}
            for row in ROWS:
                cells = {
                    arm: arm_summary(runs, arm, fraction, row, key).to_dict()
                    for arm in COMPARED_ARMS
                }
                if key == "accuracy":
                    cells["majority"] = majority_summary(runs, fraction, row).to_dict()
                cells["mlm_minus_plain"] = mlm_minus_plain(runs, fraction, row, key).to_dict()
                table[row] = cells
            per_key[key] = table
        n_train = [r.n_train for r in select(runs, "plain", fraction)]
        per_key["n_train_posts"] = n_train[0] if n_train else None
        out[f"{fraction:g}"] = per_key
    return out
