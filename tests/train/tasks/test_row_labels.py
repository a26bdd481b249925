"""Phase-1/2 labels of any label set: the task layer's parsing, one label a row, the MBTI
path unchanged, and a label outside the set as an error naming its row."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.errors import InputError
from schemas.labels import MBTI
from train.tasks.options import LabelOptions
from train.tasks.row_labels import row_labels


def test_single_reads_the_label_set_from_the_data_case_insensitively():
    rows = row_labels(["neg", "pos", "NEG", "neutral"], LabelOptions(task="single"), file="d")
    assert rows.label_set == ("neg", "neutral", "pos")
    assert rows.ids == [0, 2, 0, 1]
    assert rows.names == ["neg", "pos", "neg", "neutral"]


def test_a_fixed_label_set_keeps_its_order_and_rejects_other_labels():
    fixed = ("pos", "neg", "neutral")
    assert row_labels(
        ["neg", "pos"], LabelOptions(task="single"), file="d", label_set=fixed
    ).ids == [1, 0]
    with pytest.raises(InputError) as err:
        row_labels(["neg", "angry"], LabelOptions(task="single"), file="d.jsonl", label_set=fixed)
    assert str(err.value).startswith("d.jsonl: row 2: field 'label': unknown label 'angry'")


def test_labels_file_is_the_label_set(tmp_path: Path):
    labels = tmp_path / "labels.txt"
    labels.write_text("joy\nanger\nfear\n", encoding="utf-8")
    opts = LabelOptions(task="multi", labels=labels)
    assert row_labels(["fear", "joy"], opts, file="d").ids == [2, 0]
    with pytest.raises(InputError, match="row 1: field 'label': unknown label 'calm'"):
        row_labels(["calm"], opts, file="d")
    with pytest.raises(
        InputError, match="the phase-1 model knows the labels joy, fear, not those of --task multi"
    ):
        row_labels(["joy"], opts, file="d", label_set=("joy", "fear"))


def test_multi_row_is_about_one_label():
    opts = LabelOptions(task="multi", label_sep="|")
    assert row_labels(["joy", " fear "], opts, file="d").names == ["joy", "fear"]
    with pytest.raises(InputError, match="row 2: field 'label': .*one label, got 2"):
        row_labels(["joy", "joy|fear"], opts, file="d")


def test_mbti_path_is_the_16_types_and_refuses_another_phase1_label_set():
    rows = row_labels(["infj", "ESTP"], LabelOptions(), file="d")
    assert rows.label_set == MBTI.labels
    assert rows.ids == [MBTI.index("INFJ"), MBTI.index("ESTP")]
    assert row_labels(["INFJ"], LabelOptions(), file="d", label_set=MBTI.labels).ids == rows.ids[:1]
    with pytest.raises(InputError, match="knows the labels pos, neg, not those of --task mbti"):
        row_labels(["INFJ"], LabelOptions(), file="d", label_set=("pos", "neg"))


def test_regression_has_no_label_set_for_phases_1_2():
    with pytest.raises(InputError, match="--task regression learns scores"):
        row_labels(["1.5"], LabelOptions(task="regression"), file="d")
