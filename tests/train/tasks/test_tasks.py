"""Each task on its own: targets, bad labels, scores, predictions, cut-offs, metrics, storage."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
import torch

from schemas.errors import InputError
from train.tasks import (
    MbtiTask,
    MultiLabelTask,
    RegressionTask,
    SingleLabelTask,
    task_class,
    task_from_config,
)


def _ds(labels: list, **extra: list) -> datasets.Dataset:
    return datasets.Dataset.from_dict(
        {"text": [f"t{i}" for i in range(len(labels))], "label": labels, **extra}
    )


# --- single -------------------------------------------------------------------------------
def test_single_reads_sorted_labels_and_one_hot_targets():
    task = SingleLabelTask().fit(_ds(["pos", "neg", "neu", "pos"]), file="d.csv")
    assert task.labels == ("neg", "neu", "pos") and task.n_outputs == 3
    assert task.problem_type == "single_label_classification"
    targets = task.targets(_ds(["POS", "neg"]), file="d.csv")
    assert targets.tolist() == [[0, 0, 1], [1, 0, 0]] and targets.dtype == np.float32


def test_single_numeric_labels_sort_numerically_and_ids_index_a_given_set():
    assert SingleLabelTask().fit(_ds([10, 2, 1]), file="f").labels == ("1", "2", "10")
    task = SingleLabelTask(labels=("anger", "joy"))
    assert task.targets(_ds([1, 0]), file="f").tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["pos", "pos"], "fewer than two classes"),
        (["pos", None], "row 2: field 'label': missing label"),
    ],
)
def test_single_bad_training_labels(labels, message):
    with pytest.raises(InputError, match=message) as err:
        SingleLabelTask().fit(_ds(labels), file="train.csv")
    assert str(err.value).startswith("train.csv: ")


def test_single_unknown_label_names_file_row_field():
    task = SingleLabelTask(labels=("neg", "pos"))
    with pytest.raises(InputError) as err:
        task.targets(_ds(["pos", "meh"]), file="dev.csv")
    assert str(err.value).startswith("dev.csv: row 2: field 'label': unknown label 'meh'")


def test_missing_label_column_is_an_input_error():
    ds = datasets.Dataset.from_dict({"text": ["a", "b"]})
    for task in (SingleLabelTask(), MultiLabelTask(), MbtiTask(), RegressionTask()):
        with pytest.raises(InputError, match="field 'label': has no label column"):
            task.fit(ds.add_column("text_pair", ["c", "d"]), file="x.csv")


def test_single_metrics_and_majority():
    task = SingleLabelTask(labels=("a", "b", "c"))
    targets = np.eye(3)[[0, 0, 1, 2]]
    scores = np.eye(3)[[0, 0, 1, 1]] * 0.8 + 0.05
    m = task.metrics(targets, scores, train_targets=np.eye(3)[[0, 0, 0, 1]])
    assert m["accuracy"] == 0.75
    assert m["majority_accuracy"] == 0.5  # always "a"
    assert m["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert m["majority_macro_f1"] == pytest.approx((2 / 3 + 0 + 0) / 3)
    assert task.predictions(scores) == ["a", "a", "b", "b"]


def test_single_softmax_scores_and_loss_matches_cross_entropy():
    task = SingleLabelTask(labels=("a", "b"))
    logits = np.array([[2.0, 0.0], [0.0, 0.0]])
    assert task.scores(logits).sum(axis=1) == pytest.approx([1, 1])
    t_logits, targets = torch.tensor(logits), torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    expected = torch.nn.functional.cross_entropy(t_logits, torch.tensor([0, 1]))
    assert task.loss(t_logits, targets).item() == pytest.approx(expected.item())
    weighted = task.loss(t_logits, targets, torch.tensor([1.0, 0.0]))
    assert weighted.item() == pytest.approx(
        torch.nn.functional.cross_entropy(t_logits[:1], torch.tensor([0])).item()
    )


# --- multi --------------------------------------------------------------------------------
def test_multi_list_and_delimited_cells_give_the_same_targets():
    listed = MultiLabelTask().fit(_ds([["joy"], ["fear", "joy"], []]), file="f")
    delimited = MultiLabelTask(label_sep="|").fit(_ds(["joy", "fear|joy", ""]), file="f")
    assert listed.labels == delimited.labels == ("fear", "joy")
    assert (
        listed.targets(_ds([["joy"], ["fear", "joy"], []]), file="f").tolist()
        == delimited.targets(_ds(["joy", "fear | joy", ""]), file="f").tolist()
        == [[0, 1], [1, 1], [0, 0]]
    )


def test_multi_unknown_label_in_a_row_names_file_row_field():
    task = MultiLabelTask(labels=("fear", "joy"))
    with pytest.raises(InputError) as err:
        task.targets(_ds([["joy"], ["joy", "awe"]]), file="go.jsonl")
    assert str(err.value).startswith("go.jsonl: row 2: field 'label': unknown label 'awe'")


def test_multi_needs_two_labels_and_list_cells():
    with pytest.raises(InputError, match="fewer than two labels"):
        MultiLabelTask().fit(_ds([["joy"], ["joy"]]), file="f")
    with pytest.raises(InputError, match="row 1: field 'label': expected a list"):
        MultiLabelTask(labels=("a", "b")).targets(_ds([1.5]), file="f")


def test_multi_class_weights_are_negatives_over_positives():
    ds = _ds([["a"], ["a"], ["a", "b"], []])
    assert MultiLabelTask().fit(ds, file="f").pos_weight == (1 / 3, 3.0)
    assert MultiLabelTask(class_weights=False).fit(ds, file="f").pos_weight is None


def test_multi_dynamic_cutoffs_maximise_each_labels_f1_and_static_stays_half():
    task = MultiLabelTask(labels=("a", "b"), thresholds="dynamic")
    targets = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)
    scores = np.array([[0.3, 0.8], [0.35, 0.7], [0.1, 0.9], [0.2, 0.95]])
    tuned = task.tune(targets, scores)
    assert 0.2 < tuned.cutoffs[0] <= 0.3 and 0.8 < tuned.cutoffs[1] <= 0.9
    m = tuned.metrics(targets, scores)
    assert m["micro_f1"] == m["macro_f1"] == 1.0 and m["hamming_loss"] == 0.0
    assert m["macro_f1_static"] < 1.0 and m["auc_macro"] == 1.0
    assert (
        MultiLabelTask(labels=("a", "b"), thresholds="static").tune(targets, scores).cutoffs == ()
    )


def test_multi_cut_off_is_one_for_all_labels_by_default_and_mbti_stays_static():
    targets = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)
    scores = np.array([[0.9, 0.8], [0.85, 0.7], [0.6, 0.9], [0.7, 0.95]])
    task = MultiLabelTask(labels=("a", "b"))
    assert task.threshold_mode == "global"
    tuned = task.tune(targets, scores)
    assert tuned.cutoffs[0] == tuned.cutoffs[1] and 0.8 < tuned.cutoffs[0] <= 0.85
    assert tuned.metrics(targets, scores)["micro_f1"] == 1.0
    assert tuned.metrics(targets, scores)["thresholds_mode"] == "global"
    assert MbtiTask().threshold_mode == "static"
    assert MbtiTask().tune(np.zeros((2, 4)), np.zeros((2, 4))).cutoffs == ()


def test_multi_metric_names_predictions_and_majority():
    task = MultiLabelTask(labels=("a", "b", "c"))
    targets = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=float)
    scores = np.array([[0.9, 0.1, 0.2], [0.7, 0.6, 0.1], [0.2, 0.4, 0.3]])
    m = task.metrics(targets, scores, train_targets=np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]]))
    for name in (
        "auc_macro",
        "hamming_loss",
        "micro_f1",
        "macro_f1",
        "micro_f1_static",
        "macro_f1_static",
    ):
        assert isinstance(m[name], float), name
    assert m["hamming_loss"] == pytest.approx(1 / 9)
    assert task.predictions(scores) == [["a"], ["a", "b"], []]
    assert task.majority(np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]])).tolist() == [1, 0, 0]
    assert m["majority_micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))  # TP 2, FP 1, FN 2


def test_unknown_thresholds_mode():
    with pytest.raises(InputError, match="unknown thresholds 'best'"):
        MultiLabelTask(thresholds="best")


# --- regression ---------------------------------------------------------------------------
def _pairs(scores: list) -> datasets.Dataset:
    return _ds(scores, text_pair=[f"p{i}" for i in range(len(scores))])


def test_regression_scales_scores_and_reports_original_scale():
    task = RegressionTask(score_range=(0, 5)).fit(_pairs(["0", "2.5", "5"]), file="f")
    assert task.targets(_pairs(["0", "2.5", "5"]), file="f").ravel().tolist() == [0, 0.5, 1]
    assert task.predictions(np.array([[0.2], [1.0]])) == [1.0, 5.0]
    assert task.n_outputs == 1 and task.problem_type == "regression"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("high", "score 'high' is not a number"),
        (5.5, "outside the score range 0..5"),
        (float("nan"), "outside the score range"),
        (None, "is not a number"),
    ],
)
def test_regression_bad_scores_name_file_row_field(value, message):
    first = "1.0" if isinstance(value, str) else 1.0
    with pytest.raises(InputError, match=message) as err:
        RegressionTask().targets(_pairs([first, value]), file="sts.csv")
    assert str(err.value).startswith("sts.csv: row 2: field 'label': ")


def test_regression_needs_a_pair_column_and_varying_scores():
    with pytest.raises(InputError, match="field 'text_pair'.*--text-pair-col"):
        RegressionTask().fit(_ds([1.0, 2.0]), file="f")
    with pytest.raises(InputError, match="every score is the same"):
        RegressionTask().fit(_pairs([2.0, 2.0]), file="f")
    with pytest.raises(InputError, match="outside the score range"):
        RegressionTask(binary_threshold=7)


def test_regression_metrics_with_binary_threshold():
    task = RegressionTask(score_range=(0, 5), binary_threshold=3.0)
    targets = np.array([[0.0], [0.4], [0.7], [1.0]])
    scores = np.array([[0.1], [0.5], [0.55], [0.9]])
    m = task.metrics(targets, scores, train_targets=np.array([[0.5], [0.5]]))
    assert m["pearson"] > 0.9 and m["spearman"] == pytest.approx(1.0)
    assert (m["binary_precision"], m["binary_recall"], m["binary_f1"]) == (
        1.0,
        0.5,
        pytest.approx(2 / 3),
    )
    assert m["majority_mse"] == pytest.approx(np.mean((targets.ravel() - 0.5) ** 2) * 25)
    assert "binary_f1" not in RegressionTask().metrics(targets, scores)
    constant = task.metrics(targets, np.full((4, 1), 0.5))
    assert constant["pearson"] is None and constant["spearman"] is None


def test_regression_loss_is_mse_of_the_sigmoid():
    logits, targets = torch.tensor([[0.0], [2.0]]), torch.tensor([[0.5], [1.0]])
    expected = ((torch.sigmoid(logits) - targets) ** 2).mean()
    assert RegressionTask().loss(logits, targets).item() == pytest.approx(expected.item())


# --- mbti ---------------------------------------------------------------------------------
def test_mbti_targets_metrics_and_types():
    task = MbtiTask().fit(_ds(["INFJ", "estp", "ISTJ", "ENFP"]), file="posts.jsonl")
    assert task.targets(_ds(["INFJ"]), file="f").tolist() == [[1, 1, 1, 0]]
    assert task.pos_weight == (1.0, 1.0, 1.0, 1.0)
    probs = np.array([[0.9, 0.8, 0.7, 0.2]])
    assert task.predictions(probs) == ["INFJ"]
    m = task.metrics(np.array([[1, 1, 1, 0]]), probs, train_targets=np.array([[0, 0, 0, 0]]))
    assert m["type_accuracy"] == 1.0 and m["E/I"]["majority_accuracy"] == 0.0
    assert "mean_axis_accuracy" in m and "majority_mean_axis_accuracy" in m


def test_mbti_bad_label_and_one_pole_only():
    with pytest.raises(InputError, match="posts.jsonl: row 2: field 'label': unknown label 'XXXX'"):
        MbtiTask().targets(_ds(["INFJ", "XXXX"]), file="posts.jsonl")
    with pytest.raises(InputError, match="axis E/I has one class only"):
        MbtiTask().fit(_ds(["INFJ", "ISTP"]), file="posts.jsonl")


def test_mbti_masks_type_mentions_unless_told_not_to():
    ds = _ds(["INFJ"]).map(lambda r: {"text": "As an INFJ I agree."})
    assert "INFJ" not in MbtiTask().texts(ds)[0]
    assert MbtiTask(mask_types=False).texts(ds) == ["As an INFJ I agree."]


# --- storage ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "task",
    [
        SingleLabelTask(labels=("a", "b")),
        MultiLabelTask(
            labels=("a", "b"), thresholds="dynamic", cutoffs=(0.3, 0.6), pos_weight=(2.0, 1.0)
        ),
        RegressionTask(score_range=(1.0, 4.0), binary_threshold=2.5),
        MbtiTask(thresholds="dynamic", cutoffs=(0.4, 0.5, 0.5, 0.6), mask_types=False),
    ],
)
def test_task_config_round_trips_through_json(task):
    import json

    assert task_from_config(json.loads(json.dumps(task.to_config()))) == task


def test_unknown_task():
    with pytest.raises(InputError, match="field '--task': unknown task 'ner'"):
        task_class("ner")
