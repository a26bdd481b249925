"""``train predict``: the Python predictor and the CLI in both formats."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from schemas.labels import AXIS_NAMES, MBTI
from tests.support.cli import assert_clean_error
from train.predict.predictor import load_predictor


def test_predictor_composes_the_type_with_the_model_cutoffs(phase3_dir):
    predictor = load_predictor(phase3_dir.model_dir.parent)  # finds the model below a run dir
    preds = predictor.predict(["party crowd ideas logic plans", "alone quiet facts feelings"])
    cutoffs = predictor.task.active_cutoffs
    assert len(preds) == 2
    for p in preds:
        assert list(p["axes"]) == list(AXIS_NAMES)
        second = [p["axes"][a][pair[1]] for a, pair in zip(AXIS_NAMES, MBTI.axes, strict=True)]
        bits = [s >= t for s, t in zip(second, cutoffs, strict=True)]
        assert p["label"] == "".join(pair[b] for b, pair in zip(bits, MBTI.axes, strict=True))
        assert sum(p["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_predictor_masks_type_mentions(phase3_dir):
    predictor = load_predictor(phase3_dir.model_dir)
    a = predictor.scores(["i am an INFJ"])
    b = predictor.scores(["i am an ESTP"])
    assert (a == b).all()


def test_predict_cli_jsonl_and_table(cli, phase3_dir, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("party crowd\n\nalone quiet\n")
    proc = cli("train", "predict", phase3_dir.model_dir, "--file", texts, "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["party crowd", "alone quiet"]
    assert all(r["label"] in MBTI for r in rows)
    table = cli("train", "predict", phase3_dir.model_dir, "--file", texts)
    assert table.returncode == 0, table.stderr
    assert [line.split()[0] for line in table.stdout.splitlines()] == [r["label"] for r in rows]


def test_scores_come_back_in_the_order_given_whatever_the_lengths(phase3_dir):
    """The forward passes take the texts shortest first; each text's scores are its own, as
    when it goes through the model alone."""
    predictor = load_predictor(phase3_dir.model_dir, precision="fp32")
    texts = [
        "party crowd ideas logic plans schedule harmony feelings details facts " * 3,
        "alone",
        "quiet facts feelings",
        "dreams " * 20,
        "logic plans",
    ]
    together = predictor.scores(texts, batch_size=2)
    alone = np.concatenate([predictor.scores([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert len({tuple(row.round(4)) for row in together}) > 1  # the texts score differently


def test_bf16_predicts_as_fp32_does_within_bf16_rounding(phase3_dir):
    texts = ["party crowd ideas logic plans", "alone quiet facts feelings", "dreams harmony"]
    full = load_predictor(phase3_dir.model_dir, precision="fp32")
    half = load_predictor(phase3_dir.model_dir, precision="bf16")
    assert (full.precision, half.precision) == ("fp32", "bf16")
    assert next(half.model.parameters()).dtype == torch.bfloat16
    a, b = full.scores(texts), half.scores(texts)
    np.testing.assert_allclose(a, b, atol=0.02)
    assert not np.array_equal(a, b)  # it did run in bf16


def test_predict_cli_takes_the_precision_and_refuses_devices_and_other_runtimes(cli, phase3_dir):
    proc = cli("train", "predict", phase3_dir.model_dir, "alone quiet", "--format", "jsonl",
               "--encode-precision", "fp32")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    expected = load_predictor(phase3_dir.model_dir, precision="fp32").predict(["alone quiet"])
    assert json.loads(proc.stdout)["label"] == expected[0]["label"]
    refused = cli("train", "predict", phase3_dir.model_dir, "alone quiet", "--devices", "cpu,cpu")
    assert_clean_error(refused, "--devices")
    int8 = cli("train", "predict", phase3_dir.model_dir, "hi", "--encode-precision", "int8")
    assert_clean_error(int8, "--encode-precision")
    openvino = cli("train", "predict", phase3_dir.model_dir, "hi", "--encode-backend", "openvino")
    assert_clean_error(openvino, "--encode-backend")
