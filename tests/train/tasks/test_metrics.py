"""Per-axis metrics, dynamic thresholds and the majority baseline on hand-checked arrays."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from train.tasks.mbti import axis_metrics, majority_baseline
from train.tasks.metrics import (
    predict_bits,
    tune_global_cutoffs,
    tune_global_threshold,
    tune_thresholds,
)

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


@pytest.mark.parametrize("average", ["macro", "binary"])
def test_tune_thresholds_reaches_the_best_f1_of_every_cut_off(average: str) -> None:
    """The vectorised search against sklearn's F1 at every candidate cut-off."""
    rng = np.random.default_rng(1)
    labels = (rng.random((300, 3)) < [0.1, 0.3, 0.5]).astype(int)
    probs = np.round(np.clip(0.3 * labels + rng.random((300, 3)) * 0.7, 0, 1), 2)  # ties
    for j, cut in enumerate(tune_thresholds(labels, probs, average=average)):
        p = np.unique(probs[:, j])
        cands = np.concatenate([[0.5], (p[:-1] + p[1:]) / 2])
        f1 = [f1_score(labels[:, j], probs[:, j] >= t, average=average) for t in cands]
        assert f1_score(labels[:, j], probs[:, j] >= cut, average=average) == pytest.approx(max(f1))


def test_one_global_threshold_keeps_the_predicted_count_near_the_true_count() -> None:
    """Scores inflated as pos_weight inflates rare labels' outputs: per-label cut-offs at
    0.5 over-predict; one cut-off tuned for micro-F1 does not."""
    rng = np.random.default_rng(2)
    labels = (rng.random((2000, 10)) < 0.05).astype(int)
    probs = 1 / (1 + np.exp(-(3.0 * labels + rng.normal(0, 1, labels.shape))))
    cut = tune_global_threshold(labels, probs)
    assert 0.5 < cut < 0.95
    over = predict_bits(probs, [0.5] * 10).sum() / labels.sum()
    tuned = predict_bits(probs, [cut] * 10).sum() / labels.sum()
    assert over > 3 and 0.6 < tuned < 1.5
    micro = [f1_score(labels.ravel(), probs.ravel() >= t) for t in (cut, 0.5, cut + 0.05)]
    assert micro[0] >= max(micro[1:])


def test_global_cut_offs_take_the_class_weights_shift_out() -> None:
    """Scores of a model trained with pos_weight w (odds times w): the cut-offs decide as one
    cut-off on the unweighted scores would, and count near the truth where one raw cut-off
    over-predicts the rare label."""
    rng = np.random.default_rng(3)
    labels = np.stack([rng.random(3000) < 0.3, rng.random(3000) < 0.01], axis=1).astype(int)
    logits = (
        2.5 * (2 * labels - 1) + rng.normal(0, 1.5, labels.shape) + np.log([0.3 / 0.7, 0.01 / 0.99])
    )
    calibrated = 1 / (1 + np.exp(-logits))
    pos_weight = (1 - labels.mean(axis=0)) / labels.mean(axis=0)
    weighted = 1 / (1 + np.exp(-(logits + np.log(pos_weight))))
    cuts = tune_global_cutoffs(labels, weighted, pos_weight)
    same = predict_bits(calibrated, [tune_global_threshold(labels, calibrated)] * 2)
    assert (predict_bits(weighted, cuts) == same).all()
    assert cuts[1] > cuts[0]  # the rarer label's scores were pushed up more
    raw = predict_bits(weighted, [tune_global_threshold(labels, weighted)] * 2)[:, 1].sum()
    shifted = predict_bits(weighted, cuts)[:, 1].sum()
    assert raw > 1.5 * labels[:, 1].sum() > shifted
    assert (
        tune_global_cutoffs(labels, calibrated) == [tune_global_threshold(labels, calibrated)] * 2
    )
