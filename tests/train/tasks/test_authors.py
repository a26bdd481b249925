"""Per-author evaluation and one MBTI type from several texts."""

from __future__ import annotations

import numpy as np
import pytest

from train.tasks import MbtiTask, SingleLabelTask
from train.tasks.authors import author_metrics, per_author, person_type


def test_scores_are_averaged_per_author_in_first_seen_order():
    names, targets, scores = per_author(
        ["b", "a", "b", None],
        np.array([[1.0], [0.0], [1.0], [0.0]]),
        np.array([[0.2], [0.6], [0.8], [0.9]]),
    )
    assert names == ["b", "a"]
    assert targets.ravel().tolist() == [1.0, 0.0] and scores.ravel().tolist() == [0.5, 0.6]


def test_author_metrics_judge_people_not_posts():
    task = SingleLabelTask(labels=("x", "y"))
    targets = np.eye(2)[[0, 0, 0, 1, 1]]
    # author a: two posts right, one wrong; the mean still says x
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8], [0.4, 0.6]])
    authors = ["a", "a", "a", "b", "b"]
    per_post = task.metrics(targets, scores)["accuracy"]
    per_person = author_metrics(task, authors, targets, scores)
    assert per_post == 0.8 and per_person["accuracy"] == 1.0 and per_person["n_authors"] == 2


def test_mbti_author_targets_are_the_majority_of_their_posts():
    task = MbtiTask()
    targets = np.array([[1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 1]], dtype=float)
    probs = np.array([[0.9, 0.9, 0.9, 0.1], [0.7, 0.6, 0.8, 0.3], [0.2, 0.1, 0.3, 0.6]])
    m = author_metrics(task, ["u1", "u1", "u2"], targets, probs)
    assert m["type_accuracy"] == 1.0 and m["n_authors"] == 2


def test_person_type_composes_the_mean_and_counts_votes():
    probs = np.array(
        [[0.9, 0.8, 0.3, 0.1], [0.6, 0.7, 0.6, 0.2], [0.4, 0.9, 0.2, 0.45], [0.8, 0.2, 0.1, 0.3]]
    )
    out = person_type(probs)
    assert out["type"] == "INTJ" and out["n_texts"] == 4
    assert out["agreement"]["E/I"] == {"E": 1, "I": 3}
    assert out["agreement"]["T/F"] == {"T": 3, "F": 1}
    assert out["probs"]["E/I"] == pytest.approx(0.675)
    assert person_type(probs, thresholds=(0.5, 0.5, 0.5, 0.05))["type"] == "INTP"
