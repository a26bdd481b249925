"""``train predict``: the Python predictor and the CLI in both formats."""

from __future__ import annotations

import json

import pytest

from schemas.labels import AXIS_NAMES, MBTI
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
