"""Per-axis metrics, dynamic thresholds and the majority baseline on hand-checked arrays."""

from __future__ import annotations

import numpy as np
import pytest

from train.tasks.mbti import axis_metrics, majority_baseline
from train.tasks.metrics import tune_thresholds

LABELS = np.array([[0, 0, 1, 1], [1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 0]])
PROBS = np.array(
    [
        [0.2, 0.1, 0.9, 0.6],  # all right
        [0.8, 0.2, 0.6, 0.4],  # T/F and J/P wrong
        [0.7, 0.3, 0.1, 0.2],  # S/N wrong
        [0.4, 0.2, 0.7, 0.3],  # all right
    ]
)


def test_axis_metrics_by_hand():
    m = axis_metrics(LABELS, PROBS)
    assert m["E/I"]["accuracy"] == 1.0
    assert m["S/N"]["accuracy"] == 0.75
    assert m["T/F"]["accuracy"] == 0.75
    assert m["J/P"]["accuracy"] == 0.75
    assert m["mean_axis_accuracy"] == pytest.approx(0.8125)
    assert m["type_accuracy"] == 0.5
    assert m["hamming_loss"] == pytest.approx(3 / 16)
    assert m["E/I"]["auc"] == 1.0
    # S/N: one positive (0.3) ranked above all three negatives
    assert m["S/N"]["auc"] == 1.0
    assert m["S/N"]["macro_f1"] == pytest.approx((6 / 7 + 0) / 2)


def test_auc_is_none_for_one_class_axis():
    labels = LABELS.copy()
    labels[:, 0] = 1
    assert axis_metrics(labels, PROBS)["E/I"]["auc"] is None


def test_thresholds_change_the_prediction():
    m = axis_metrics(LABELS, PROBS, thresholds=[0.5, 0.25, 0.5, 0.5])
    assert m["S/N"]["accuracy"] == 1.0
    assert m["S/N"]["threshold"] == 0.25


def test_tune_thresholds_finds_the_separating_cut():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=(200, 4))
    probs = np.clip(0.15 + 0.3 * labels + rng.normal(0, 0.03, size=labels.shape), 0, 1)
    thr = tune_thresholds(labels, probs)
    assert all(0.2 < t < 0.45 for t in thr)
    assert axis_metrics(labels, probs, thr)["mean_axis_accuracy"] == 1.0
    assert axis_metrics(labels, probs)["mean_axis_accuracy"] < 0.8


def test_tune_thresholds_prefers_half_on_ties():
    labels = np.array([[0] * 4, [1] * 4])
    probs = np.array([[0.1] * 4, [0.9] * 4])
    assert tune_thresholds(labels, probs) == [0.5] * 4


def test_majority_baseline_uses_the_training_majority():
    train = np.array([[1, 0, 0, 1]] * 3 + [[0, 1, 1, 0]])
    test = np.array([[1, 1, 0, 0], [0, 0, 0, 0]])
    m = majority_baseline(train, test)
    assert m["E/I"]["majority"] == 1 and m["E/I"]["accuracy"] == 0.5
    assert m["T/F"]["accuracy"] == 1.0
    assert m["T/F"]["macro_f1"] == 0.5
    assert m["J/P"]["accuracy"] == 0.0
    assert m["mean_axis_accuracy"] == pytest.approx((0.5 + 0.5 + 1.0 + 0.0) / 4)
