"""Precision-driven cut-offs, the equal per-class quota and the target forms."""

import math
from pathlib import Path

import numpy as np
import pytest

from augment.classification.config import BalanceConfig, growth_cap
from augment.classification.precision import estimate_precision, oof_proba
from augment.classification.selection import Candidates, cap_growth, choose, parse_targets
from augment.classification.teachers import make_teacher
from schemas.errors import InputError
from schemas.labels import MBTI


def test_target_forms():
    counts = {"INFP": 10, "ESTJ": 2, "INTJ": 5}
    assert parse_targets("max", None, counts, MBTI) == {"INFP": 10, "ESTJ": 10, "INTJ": 10}
    assert parse_targets("6", None, counts, MBTI) == {"INFP": 10, "ESTJ": 6, "INTJ": 6}
    assert parse_targets("3x", None, counts, MBTI) == {"INFP": 30, "ESTJ": 6, "INTJ": 15}
    assert parse_targets("1.5X", None, counts, MBTI) == {"INFP": 15, "ESTJ": 3, "INTJ": 8}
    for bad in ("0.5x", "x", "many", "0"):
        with pytest.raises(InputError, match="--target"):
            parse_targets(bad, None, counts, MBTI)


def test_growth_cap():
    counts = {"INFP": 10, "ESTJ": 2, "INTJ": 5}
    wanted = parse_targets("max", None, counts, MBTI)
    assert cap_growth(wanted, counts, 2.0) == {"INFP": 10, "ESTJ": 4, "INTJ": 10}
    assert cap_growth(wanted, counts, math.inf) == wanted
    gold, out = Path("gold.jsonl"), Path("out")
    assert growth_cap(BalanceConfig(gold=gold, out=out)) == 1.5  # the default
    assert growth_cap(BalanceConfig(gold=gold, out=out, target="3x")) == 3.0  # asked growth
    assert growth_cap(BalanceConfig(gold=gold, out=out, target="3x", max_growth=1.5)) == 1.5
    assert math.isinf(growth_cap(BalanceConfig(gold=gold, out=out, max_growth=0)))
    with pytest.raises(InputError, match="--max-growth"):
        BalanceConfig(gold=gold, out=out, max_growth=0.5)


def _estimate():
    # held-out rows of class a: the 6 most confident are a, then b rows creep in
    conf = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.52])
    truth = np.array([0, 0, 0, 0, 0, 0, 1, 1, 0, 1])
    oof = np.c_[conf, 1 - conf]
    oof_b = np.array([[0.1, 0.9]] * 6 + [[0.45, 0.55]] * 4)  # class b: 3 of 10 right
    y_b = np.array([1, 0, 0, 0, 0, 1, 0, 1, 0, 0])
    oof, y = np.r_[oof, oof_b], np.r_[truth, y_b]
    return estimate_precision(oof, y, ["a", "b"], ["a", "b"], threshold=0.0, folds=5)


def test_cutoff_is_the_lowest_confidence_reaching_the_precision():
    est = _estimate()
    cut = est.cutoff_for("a", 0.75)
    assert cut.cutoff == pytest.approx(0.55) and cut.precision == pytest.approx(7 / 9)
    cut = est.cutoff_for("a", 0.8)
    assert cut.cutoff == pytest.approx(0.65) and cut.precision == pytest.approx(6 / 7)
    cut = est.cutoff_for("a", 0.9)
    assert cut.cutoff == pytest.approx(0.7) and cut.precision == 1.0 and cut.support == 6
    assert cut.yield_ == pytest.approx(6 / 14)  # 6 of the 14 held-out a rows pass
    never = est.cutoff_for("b", 0.5)
    assert never.cutoff is None and never.best_precision == pytest.approx(3 / 8)
    at = est.at_cutoff("a", 0.7)
    assert (at.precision, at.support) == (1.0, 6)


def test_equal_quota_gives_every_class_the_scarcest_share():
    cands = Candidates(np.arange(8), np.zeros(8, int), {"a": 6, "b": 6})
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4], [0.2, 0.8], [0.4, 0.6],
                      [0.55, 0.45], [0.52, 0.48]])  # fmt: skip  # a: 6 labelled, b: 2
    counts, targets = {"a": 2, "b": 2}, {"a": 6, "b": 6}
    sel = choose(cands, probs, ["a", "b"], counts, targets, {"a": 0.0, "b": 0.0})
    assert sel.labels.count("a") == sel.labels.count("b") == 2
    assert sel.per_class["a"].limited_by == "b" and "equal quota" in sel.per_class["a"].why_short()
    assert sel.positions[:2].tolist() == [0, 1]  # most confident first
    free = choose(cands, probs, ["a", "b"], counts, targets, {"a": 0.0, "b": 0.0},
                  equal_quota=False)  # fmt: skip
    assert free.labels.count("a") == 4 and free.labels.count("b") == 2
    blocked = choose(cands, probs, ["a", "b"], counts, targets, {"a": 0.0, "b": math.inf})
    assert blocked.labels == [] and "wanted precision" in blocked.per_class["b"].why_short()
    # b never labelled by the teacher: a is not held back for it
    only_a = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])
    alone = choose(Candidates(np.arange(4), np.zeros(4, int), {"a": 4, "b": 4}), only_a,
                   ["a", "b"], counts, targets, {"a": 0.0, "b": 0.0})  # fmt: skip
    assert alone.labels == ["a"] * 4 and "labels none" in alone.per_class["b"].why_short()


def test_oof_probabilities_come_from_teachers_that_never_saw_the_row():
    texts = [f"apple pie recipe {i}" for i in range(6)] + [f"football match {i}" for i in range(6)]
    y = np.array([0] * 6 + [1] * 6)
    oof = oof_proba(lambda: make_teacher("tfidf", ["food", "sport"]), np.zeros((12, 2)), texts, y,
                    folds=3)  # fmt: skip
    assert (oof.argmax(axis=1) == y).all()
    assert oof.max() < 0.999  # held-out rows: not memorised
    grouped = oof_proba(lambda: make_teacher("tfidf", ["food", "sport"]), np.zeros((12, 2)),
                        texts, y, folds=3, groups=[f"u{i % 6}" for i in range(12)])  # fmt: skip
    assert grouped.shape == (12, 2)
