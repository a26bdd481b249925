"""``train predict``: the Python predictor and the CLI in both formats."""

from __future__ import annotations

import json

from schemas.labels import AXIS_NAMES, MBTI
from train.predict import load_predictor


def test_predictor_composes_the_type_with_the_model_thresholds(phase3_dir):
    predictor = load_predictor(phase3_dir.model_dir.parent)  # finds the model below a run dir
    preds = predictor.predict(["party crowd ideas logic plans", "alone quiet facts feelings"])
    assert len(preds) == 2
    for p in preds:
        assert set(p["probs"]) == set(AXIS_NAMES)
        bits = [p["probs"][a] >= t for a, t in zip(AXIS_NAMES, predictor.thresholds, strict=True)]
        assert p["type"] == "".join(pair[b] for b, pair in zip(bits, MBTI.axes, strict=True))


def test_predictor_masks_type_mentions(phase3_dir):
    predictor = load_predictor(phase3_dir.model_dir)
    a = predictor.probabilities(["i am an INFJ"])
    b = predictor.probabilities(["i am an ESTP"])
    assert (a == b).all()


def test_predict_cli_jsonl_and_table(cli, phase3_dir, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("party crowd\n\nalone quiet\n")
    proc = cli("train", "predict", phase3_dir.model_dir, "--file", texts, "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["party crowd", "alone quiet"]
    assert all(r["type"] in MBTI for r in rows)
