"""Column mapping, given vs made splits, and the task options."""

from __future__ import annotations

import pytest

from schemas.errors import InputError
from schemas.options import build
from tests.train.conftest import write_jsonl
from tests.train.tasks.conftest import emotion_rows, sts_rows
from train.tasks import MbtiTask, MultiLabelTask, RegressionTask, SingleLabelTask
from train.tasks.columns import DataOptions, load_task_data, map_columns
from train.tasks.options import TaskOptions, build_task

SENTIMENT_COLS = DataOptions(text_col="tweet", label_col="sentiment", author_col="user")


def test_map_columns_renames_to_the_canonical_names(sentiment):
    ds = map_columns(sentiment, SENTIMENT_COLS, SingleLabelTask(), file="t.csv")
    assert sorted(ds.column_names) == ["author", "id", "label", "text"]
    assert ds[0]["text"] == sentiment[0]["tweet"] and ds[0]["author"] == sentiment[0]["user"]


def test_pairs_default_to_the_pairs_schema_columns(sts):
    ds = map_columns(sts, DataOptions(), RegressionTask(), file="sts.jsonl")
    assert sorted(ds.column_names) == ["id", "label", "text", "text_pair"]
    assert ds[0]["label"] == sts[0]["score"] and ds[0]["text_pair"] == sts[0]["sentence2"]


def test_missing_columns_and_a_pair_column_outside_regression(sentiment):
    with pytest.raises(InputError) as err:
        map_columns(sentiment, DataOptions(text_col="tweet"), SingleLabelTask(), file="t.csv")
    assert str(err.value).startswith("t.csv: field 'label': has no column 'label'")
    assert "--label-col" in str(err.value)
    with pytest.raises(InputError, match="--text-pair-col needs --task regression"):
        map_columns(sentiment, DataOptions(text_pair_col="user"), SingleLabelTask(), file="t")
    unlabelled = map_columns(
        sentiment, DataOptions(text_col="tweet"), SingleLabelTask(), file="t", require_label=False
    )
    assert "label" not in unlabelled.column_names


def test_made_splits_keep_authors_apart_and_know_every_label(sentiment):
    data = load_task_data(sentiment, SingleLabelTask(), SENTIMENT_COLS, seed=1)
    assert data.task.labels == ("negative", "neutral", "positive")
    authors = [set(ds["author"]) for ds in (data.train, data.dev, data.test)]
    assert not (authors[0] & authors[1] or authors[0] & authors[2] or authors[1] & authors[2])
    assert len(data.train) + len(data.dev) + len(data.test) == len(sentiment)
    assert len(data.test) > 0 and len(data.train) > len(data.test)


def test_given_dev_and_test_files_are_used_as_they_are(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", sts_rows())
    test = write_jsonl(tmp_path / "test.jsonl", sts_rows("sts_test.jsonl"))
    data = load_task_data(train, RegressionTask(), DataOptions(dev="0.2", test=str(test)), seed=0)
    assert len(data.test) == 60 and len(data.train) + len(data.dev) == 151
    assert data.source == str(train)


def test_bad_rows_are_named_by_the_files_own_row_numbers(tmp_path):
    rows = emotion_rows(20)
    rows[13]["label"] = ["joy", "awe"]
    path = write_jsonl(tmp_path / "emo.jsonl", rows)
    task = MultiLabelTask(labels=("joy", "anger", "fear", "surprise"))
    with pytest.raises(InputError) as err:
        load_task_data(path, task, DataOptions())
    assert str(err.value).startswith(f"{path}: row 14: field 'label': unknown label 'awe'")
    test = write_jsonl(tmp_path / "test.jsonl", [{"text": "x", "label": ["joy", "awe"]}])
    with pytest.raises(InputError, match=r"test.jsonl: row 1: field 'label': unknown label"):
        load_task_data(
            write_jsonl(tmp_path / "ok.jsonl", emotion_rows(20)),
            MultiLabelTask(),
            DataOptions(test=str(test)),
        )


def test_split_spec_errors(sentiment):
    with pytest.raises(InputError, match="field '--dev': a fraction must be in"):
        load_task_data(
            sentiment, SingleLabelTask(), DataOptions(**{**vars(SENTIMENT_COLS), "dev": "1.5"})
        )
    with pytest.raises(InputError, match="nope.jsonl: field '--test': no such file"):
        load_task_data(
            sentiment,
            SingleLabelTask(),
            DataOptions(**{**vars(SENTIMENT_COLS), "test": "nope.jsonl"}),
        )


def test_class_weights_come_from_the_training_split_only(emotions):
    data = load_task_data(emotions, MultiLabelTask(), DataOptions(), seed=0)
    from train.tasks.base import pos_weight_of

    expected = pos_weight_of(data.task.targets(data.train, file="t"))
    assert data.task.pos_weight == expected


def test_task_options_build_each_task(tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("joy\nanger\n\nfear\n", encoding="utf-8")
    multi = build_task(build(TaskOptions, {"task": "multi", "labels": labels, "label_sep": "|"}))
    assert multi == MultiLabelTask(labels=("joy", "anger", "fear"), label_sep="|")
    reg = build_task(
        build(TaskOptions, {"task": "regression", "score_range": "1,4", "binary_threshold": 3})
    )
    assert reg == RegressionTask(score_range=(1.0, 4.0), binary_threshold=3)
    assert build_task(TaskOptions(thresholds="dynamic"), mask_types=False) == MbtiTask(
        thresholds="dynamic", mask_types=False
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"task": "single", "binary_threshold": 3.0}, "--binary-threshold needs --task regression"),
        ({"task": "multi", "pair_model": "bi"}, "--pair-model needs --task regression"),
        ({"task": "mbti", "labels": "l.txt"}, "--labels needs --task single or multi"),
        ({"task": "regression", "score_range": "5,0"}, "--score-range needs LOW < HIGH"),
        ({"task": "regression", "score_range": "five"}, "--score-range must be LOW,HIGH"),
    ],
)
def test_task_option_errors(values, message):
    with pytest.raises(InputError, match=message):
        build(TaskOptions, values)


def test_label_file_errors(tmp_path):
    one = tmp_path / "one.txt"
    one.write_text("joy\n", encoding="utf-8")
    twice = tmp_path / "twice.txt"
    twice.write_text("joy\nanger\nJoy\n", encoding="utf-8")
    with pytest.raises(InputError, match="fewer than two labels"):
        build_task(TaskOptions(task="single", labels=one))
    with pytest.raises(
        InputError, match="twice.txt: row 3: field '--labels': label 'Joy' listed twice"
    ):
        build_task(TaskOptions(task="single", labels=twice))


def test_pair_model_auto_is_bi_for_a_sentence_transformers_checkpoint(tmp_path) -> None:
    from train.tasks.options import pair_model_for

    plain = tmp_path / "bert"
    plain.mkdir()
    (plain / "config.json").write_text("{}")
    sbert = tmp_path / "sbert"
    sbert.mkdir()
    (sbert / "modules.json").write_text("[]")
    auto = TaskOptions(task="regression")
    assert auto.pair_model == "auto"
    assert pair_model_for(auto, None) == "bi"  # the bundled MiniLM
    assert pair_model_for(auto, sbert) == "bi" and pair_model_for(auto, plain) == "cross"
    assert pair_model_for(TaskOptions(task="regression", pair_model="cross"), sbert) == "cross"
