"""Every task end to end with a tiny encoder: a few real Trainer steps, test metrics under
the task's names, save/load, and the predictor's output."""

from __future__ import annotations

import numpy as np
import pytest

from tests.train.conftest import tiny_args
from tests.train.tasks.test_columns import SENTIMENT_COLS
from train.phases.phase3 import finetune
from train.predict.predictor import TaskPredictor
from train.tasks import MbtiTask, MultiLabelTask, RegressionTask, SingleLabelTask
from train.tasks.columns import DataOptions, load_task_data

CASES = {
    "single": (
        "sentiment",
        SingleLabelTask(),
        SENTIMENT_COLS,
        ("accuracy", "macro_f1", "majority_accuracy", "majority_macro_f1"),
    ),
    "multi": (
        "emotions",
        MultiLabelTask(thresholds="dynamic"),
        DataOptions(),
        ("auc_macro", "hamming_loss", "micro_f1", "macro_f1", "micro_f1_static", "macro_f1_static"),
    ),
    "regression": (
        "sts",
        RegressionTask(binary_threshold=3.0),
        DataOptions(),
        ("pearson", "spearman", "binary_precision", "binary_recall", "binary_f1"),
    ),
    "mbti": (
        "mbti_posts",
        MbtiTask(thresholds="dynamic"),
        DataOptions(dev="0.25", test="0.25"),
        ("mean_axis_accuracy", "type_accuracy", "hamming_loss", "majority_mean_axis_accuracy"),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_task_trains_evaluates_saves_and_predicts(name, request, task_encoder, tmp_path):
    fixture, task, columns, metric_names = CASES[name]
    data = load_task_data(request.getfixturevalue(fixture), task, columns, seed=0)
    result = finetune(data, str(task_encoder), tmp_path / "out", tiny_args(max_steps=4))

    for metric in metric_names:
        assert metric in result.metrics, metric
    assert result.metrics["task"] == name and result.metrics["n_test"] == len(data.test)
    assert result.test_scores.shape == (len(data.test), result.task.n_outputs)
    losses = [e["loss"] for e in result.trainer.state.log_history if "loss" in e]
    assert len(losses) >= 4 and all(np.isfinite(losses))
    if getattr(task, "thresholds", "static") == "dynamic":
        assert len(result.task.cutoffs) == result.task.n_outputs

    model_dir = tmp_path / "model"
    result.trainer.model.save_pretrained(model_dir)
    result.tokenizer.save_pretrained(model_dir)
    predictor = TaskPredictor(model_dir, "cpu", max_length=32, precision="fp32")  # as trained
    assert predictor.task == result.task  # labels and tuned cut-offs travel with the model
    texts = list(data.test["text"][:3])
    pairs = list(data.test["text_pair"][:3]) if task.needs_pair else None
    preds = predictor.predict(texts, pairs)
    scores = predictor.scores(texts, pairs)
    np.testing.assert_allclose(scores, result.test_scores[:3], atol=1e-4)
    assert len(preds) == 3 and preds[0] == result.task.describe(scores[0])
    assert result.task.prediction_key in preds[0]
