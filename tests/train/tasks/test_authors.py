"""Per-author evaluation and one MBTI type from several texts."""

from __future__ import annotations

import numpy as np
import pytest

from train.tasks import MbtiTask, SingleLabelTask
from train.tasks.authors import person
from train.tasks.base import per_author


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
    per_person = task.author_metrics(authors, targets, scores)
    assert per_post == 0.8 and per_person["accuracy"] == 1.0 and per_person["n_authors"] == 2


def test_mbti_author_targets_are_the_majority_of_their_posts():
    task = MbtiTask()
    targets = np.array([[1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 1]], dtype=float)
    probs = np.array([[0.9, 0.9, 0.9, 0.1], [0.7, 0.6, 0.8, 0.3], [0.2, 0.1, 0.3, 0.6]])
    m = task.author_metrics(["u1", "u1", "u2"], targets, probs)
    assert m["type_accuracy"] == 1.0 and m["n_authors"] == 2


def test_a_person_is_the_type_of_the_mean_with_the_votes_per_axis():
    probs = np.array(
        [[0.9, 0.8, 0.3, 0.1], [0.6, 0.7, 0.6, 0.2], [0.4, 0.9, 0.2, 0.45], [0.8, 0.2, 0.1, 0.3]]
    )
    out = person(MbtiTask(), probs)
    assert out["label"] == "INTJ" and out["n_texts"] == 4
    assert out["axes"]["E/I"]["votes"] == {"E": 1, "I": 3}
    assert out["axes"]["T/F"]["votes"] == {"T": 3, "F": 1}
    assert out["axes"]["E/I"]["mean_probability"]["I"] == pytest.approx(0.675)
    assert person(MbtiTask(cutoffs=(0.5, 0.5, 0.5, 0.05)), probs)["label"] == "INTP"


def test_the_mean_decides_where_the_votes_say_otherwise():
    # two texts lean I a little, one is sure of E: two votes for I, the mean says E
    probs = np.array([[0.55, 0.9, 0.1, 0.1], [0.55, 0.9, 0.1, 0.1], [0.02, 0.9, 0.1, 0.1]])
    out = person(MbtiTask(), probs)
    axis = out["axes"]["E/I"]
    assert axis["votes"] == {"E": 1, "I": 2}
    assert out["label"][0] == axis["pole"] == "E" and axis["agreement"] == pytest.approx(1 / 3)
    # the per-author metrics judge the same person the same way
    metrics = MbtiTask().author_metrics(["u"] * 3, np.array([[0, 1, 0, 0]] * 3), probs)
    assert metrics["E/I"]["accuracy"] == 1.0


def test_a_single_label_person_counts_votes_per_label():
    task = SingleLabelTask(labels=("x", "y"))
    out = person(task, np.array([[0.9, 0.1], [0.4, 0.6], [0.45, 0.55]]))
    assert out["label"] == "x" and out["agreement"] == {"y": 2, "x": 1}
