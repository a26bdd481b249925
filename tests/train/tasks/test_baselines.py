"""Majority, TF-IDF and frozen-encoder baselines of every task, scored by the task's metrics."""

from __future__ import annotations

import pytest

from tests.train.tasks.test_columns import SENTIMENT_COLS
from train.tasks import MbtiTask, MultiLabelTask, RegressionTask, SingleLabelTask
from train.tasks.baselines import (
    FrozenEncoder,
    frozen_baseline,
    majority_baseline,
    tfidf_baseline,
)
from train.tasks.columns import DataOptions, load_task_data


def test_single_tfidf_beats_the_majority_on_keyword_data(sentiment):
    data = load_task_data(sentiment, SingleLabelTask(), SENTIMENT_COLS, seed=0)
    tfidf, major = tfidf_baseline(data), majority_baseline(data)
    assert tfidf.metrics["accuracy"] >= 0.9
    assert major.metrics["accuracy"] == tfidf.metrics["majority_accuracy"] < 0.5
    assert tfidf.test_scores.shape == (len(data.test), 3)


def test_multi_tfidf_with_dynamic_cutoffs(emotions):
    data = load_task_data(emotions, MultiLabelTask(thresholds="dynamic"), DataOptions(), seed=0)
    result = tfidf_baseline(data)
    assert len(result.task.cutoffs) == 4
    assert result.metrics["auc_macro"] > 0.9 and result.metrics["micro_f1"] > 0.8
    assert result.metrics["micro_f1"] > majority_baseline(data).metrics["micro_f1"]


def test_regression_ridge_on_pair_similarities_correlates(sts):
    data = load_task_data(sts, RegressionTask(binary_threshold=3.0), DataOptions(), seed=0)
    result = tfidf_baseline(data)
    assert result.metrics["pearson"] > 0.3 and result.metrics["spearman"] > 0.3
    assert result.test_scores.min() >= 0 and result.test_scores.max() <= 1
    major = majority_baseline(data).metrics
    assert major["pearson"] is None and result.metrics["mse"] < major["mse"]


def test_mbti_tfidf_matches_the_axis_layout(mbti_posts):
    data = load_task_data(mbti_posts, MbtiTask(), DataOptions(dev="0.25", test="0.25"), seed=0)
    m = tfidf_baseline(data).metrics
    assert set(m["E/I"]) >= {"accuracy", "macro_f1", "auc", "majority_accuracy"}
    assert m["mean_axis_accuracy"] > m["majority_mean_axis_accuracy"]


def test_a_label_missing_from_train_gets_a_constant_score_and_no_dev_is_fine():
    import datasets

    rows = [{"text": f"smile {i}", "label": ["joy"]} for i in range(6)]
    rows += [{"text": f"scared {i}", "label": ["fear"]} for i in range(6)]
    ds = datasets.Dataset.from_list(rows)
    task = MultiLabelTask(labels=("joy", "fear", "awe"))
    data = load_task_data(ds, task, DataOptions(dev="0", test="0.3"), seed=0)
    result = tfidf_baseline(data)
    assert (result.test_scores[:, 2] == 0).all() and len(data.dev) == 0
    assert result.metrics["micro_f1"] == 1.0


@pytest.fixture(scope="module")
def minilm(minilm_path):
    return FrozenEncoder(minilm_path)


def test_the_frozen_encoder_arm_beats_chance_on_every_task(
    minilm, sentiment, emotions, sts, mbti_posts
):
    """The linear model on MiniLM's frozen embeddings, for each task, on separable data."""
    single = load_task_data(sentiment, SingleLabelTask(), SENTIMENT_COLS, seed=0)
    assert frozen_baseline(single, minilm).metrics["accuracy"] >= 0.8
    multi = load_task_data(emotions, MultiLabelTask(thresholds="dynamic"), DataOptions(), seed=0)
    assert frozen_baseline(multi, minilm).metrics["auc_macro"] > 0.8
    pairs = load_task_data(sts, RegressionTask(), DataOptions(), seed=0)
    result = frozen_baseline(pairs, minilm)
    assert result.metrics["spearman"] > 0.3 and result.test_scores.min() >= 0
    mbti = load_task_data(mbti_posts, MbtiTask(), DataOptions(dev="0.25", test="0.25"), seed=0)
    m = frozen_baseline(mbti, minilm).metrics
    assert m["mean_axis_accuracy"] > max(0.6, m["majority_mean_axis_accuracy"])


def test_the_frozen_encoder_embeds_each_text_once(minilm):
    first = minilm.embed(["a cat", "a dog", "a cat"])
    assert first.shape[0] == 3 and (first[0] == first[2]).all()
    assert abs(float((first[0] ** 2).sum()) - 1) < 1e-5  # normalised
    assert len(minilm._seen) >= 2 and minilm.embed([]).shape == (0, first.shape[1])
