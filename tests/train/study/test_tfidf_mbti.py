"""TF-IDF + logistic regression per axis (the MBTI task's TF-IDF baseline, as ``train all``
runs it): learns real signal, masks type leaks, clean errors."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

from schemas.errors import InputError
from schemas.io import to_dataset
from schemas.labels import AXIS_NAMES, MBTI
from train.tasks import MbtiTask
from train.tasks.baselines import tfidf_baseline
from train.tasks.columns import TaskData

# One cue word per pole of each axis: the text carries the label, honestly learnable.
CUES = {
    "E": "party",
    "I": "quiet",
    "S": "facts",
    "N": "ideas",
    "T": "logic",
    "F": "feelings",
    "J": "plans",
    "P": "spontaneous",
}
FILLER = [
    "today",
    "the",
    "weather",
    "was",
    "fine",
    "and",
    "we",
    "had",
    "some",
    "tea",
    "with",
    "friends",
    "at",
    "home",
]


@dataclass
class Result:
    metrics: dict
    test_probs: np.ndarray
    test_labels: np.ndarray


def tfidf_logreg(train, dev, test, *, thresholds: str = "static", mask: bool = True) -> Result:
    task = MbtiTask(thresholds=thresholds, mask_types=mask).fit(train, file="<training posts>")
    res = tfidf_baseline(TaskData(task, train, dev, test, "<posts>"))
    return Result(res.metrics, res.test_scores, task.targets(test, file="t").astype(int))


def _posts(n: int, seed: int, *, cues: bool = True, leak: bool = False):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = rng.choice(MBTI.labels)
        words = rng.sample(FILLER, 5)
        if cues:
            words += [CUES[letter] for letter in label]
        if leak:
            words.append(label.lower())
        rng.shuffle(words)
        rows.append({"id": f"p{seed}-{i}", "text": " ".join(words), "label": label})
    return to_dataset(rows, "posts")


def test_learns_axis_cues_far_above_majority() -> None:
    result = tfidf_logreg(_posts(120, 0), _posts(30, 1), _posts(60, 2))
    m = result.metrics
    for axis in AXIS_NAMES:
        assert m[axis]["accuracy"] > 0.9, (axis, m[axis])
        assert m[axis]["accuracy"] > m[axis]["majority_accuracy"] + 0.2
        assert m[axis]["threshold"] == 0.5
    assert m["mean_axis_accuracy"] > 0.9
    assert result.test_probs.shape == (60, 4)
    assert result.test_labels.tolist()[0] == MBTI.to_bits(_posts(60, 2)[0]["label"])


def test_type_mentions_are_masked_unless_disabled() -> None:
    train, dev, test = (_posts(120, s, cues=False, leak=True) for s in (3, 4, 5))
    leaked = tfidf_logreg(train, dev, test, mask=False).metrics["mean_axis_accuracy"]
    masked = tfidf_logreg(train, dev, test).metrics["mean_axis_accuracy"]
    assert leaked > 0.9
    assert masked < 0.7


def test_dynamic_thresholds_are_tuned_on_dev() -> None:
    result = tfidf_logreg(_posts(80, 6), _posts(40, 7), _posts(40, 8), thresholds="dynamic")
    cuts = [result.metrics[a]["threshold"] for a in AXIS_NAMES]
    assert all(0 < c < 1 for c in cuts)
    assert cuts != [0.5] * 4


def test_one_class_axis_is_a_clean_error() -> None:
    rows = [
        {"id": f"p{i}", "text": f"post {i}", "label": t}
        for i, t in enumerate(["INFJ", "INTJ", "INFP", "INTP"] * 3)
    ]
    only_i = to_dataset(rows, "posts")
    with pytest.raises(InputError, match="E/I has one class only"):
        tfidf_logreg(only_i, only_i, only_i)
