"""Phase 3: metrics, thresholds, silver weights, lineage 1 -> 2 -> 3, bad input."""

from __future__ import annotations

import numpy as np
import torch

from schemas.labels import AXIS_NAMES
from tests.support.cli import assert_clean_error
from tests.train.conftest import toy_phase3, toy_posts, write_jsonl
from train.models import TaskModel, TaskModelConfig
from train.tasks.base import pos_weight_of


def test_phase3_metrics_thresholds_and_lineage(phase3_dir, toy_splits):
    m = phase3_dir.metrics
    for axis in AXIS_NAMES:
        assert set(m[axis]) >= {"accuracy", "macro_f1", "auc", "majority_accuracy", "threshold"}
    assert 0 <= m["mean_axis_accuracy"] <= 1 and 0 <= m["type_accuracy"] <= 1
    assert m["n_train"] == len(toy_splits["train"]) and m["n_test"] == len(toy_splits["test"])
    assert m["n_masked"] >= 1  # the "As an INFJ" posts
    assert m["n_silver"] == 4
    assert phase3_dir.test_probs.shape == (len(toy_splits["test"]), 4)
    assert phase3_dir.test_labels.shape == (len(toy_splits["test"]), 4)
    model = TaskModel.from_pretrained(phase3_dir.model_dir)
    assert [e["phase"] for e in model.config.lineage] == [1, 2, 3]
    task = model.config.task
    assert task.name == "mbti" and list(task.cutoffs) == [m[a]["threshold"] for a in AXIS_NAMES]
    assert task.pos_weight is not None and len(task.pos_weight) == 4
    assert (phase3_dir.model_dir / "tokenizer_config.json").is_file()


def test_class_pos_weight_is_negatives_over_positives():
    bits = np.array([[1, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 1, 0]])
    assert pos_weight_of(bits) == (1 / 3, 1.0, 1.0, 3.0)


def test_phase3_cli_rejects_one_class_axis(cli, phase2_dir, tmp_path):
    rows = [r for r in toy_posts() if r["label"][0] == "I"]
    data = write_jsonl(tmp_path / "posts.jsonl", rows)
    out = tmp_path / "out"
    proc = cli("train", "phase3", data, "--init", phase2_dir.model_dir, "--out", out)
    assert_clean_error(proc, "posts.jsonl", "E/I", "one class")
    assert not out.exists()


def test_a_linear_head_is_one_layer_and_the_saved_model_answers_alike(
    phase1_dir, toy_splits, tmp_path
):
    """``--head linear``: phase 3's head is dropout + one linear layer on the pooled vector,
    recorded in the config so that the saved model rebuilds it (and answers as in training);
    phase 1 keeps the study's MLP; a config written before the option rebuilds the MLP."""
    from train.predict.predictor import load_predictor

    result = toy_phase3(phase1_dir.model_dir, toy_splits, tmp_path / "p3", head="linear")
    model = TaskModel.from_pretrained(result.model_dir)
    layers = [m for m in model.head if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in layers] == [(model.config.hidden_size, 4)]
    assert model.config.head_sizes == []
    scores = load_predictor(result.model_dir, precision="fp32").scores(toy_splits["test"]["text"])
    np.testing.assert_allclose(scores, result.test_probs, atol=1e-5)
    phase1 = TaskModel.from_pretrained(phase1_dir.model_dir)
    assert sum(isinstance(m, torch.nn.Linear) for m in phase1.head) == 4
    assert TaskModelConfig().head_sizes == [512, 256, 128]
