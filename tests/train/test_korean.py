"""Korean through the three phases from the command line: a WordPiece vocabulary trained on
the Korean sample keeps Hangul words whole, so phase 2's candidate words are single pieces
(the bundled English MiniLM breaks them into jamo: 0 %)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.korean import MASKED, POSTS, TYPE_SENTENCES, korean_corpus
from tests.support.tiny_models import tiny_encoder

TRAINING = ["--device", "cpu", "--max-steps", "2", "--max-length", "48", "--no-progress"]


def test_korean_phases_1_to_3_with_a_korean_vocabulary(cli, tmp_path: Path) -> None:
    encoder = tiny_encoder(
        tmp_path / "ko-electra", korean_corpus(), family="electra", vocab_size=2000
    )
    p1, p2, p3 = (tmp_path / f"phase{i}" for i in (1, 2, 3))
    for args in (
        ("phase1", TYPE_SENTENCES, "--model", encoder, "--out", p1),
        ("phase2", MASKED, "--init", p1, "--out", p2),
        ("phase3", POSTS, "--init", p2, "--out", p3),
    ):
        proc = cli("train", *args, *TRAINING)
        assert proc.returncode == 0, proc.stderr[-3000:]

    soft = json.loads((p2 / "metrics.json").read_text())["soft_targets"]
    assert soft["single_piece_share"] >= 0.9, soft
    assert json.loads((p2 / "config.json").read_text())["encoder"]["model_type"] == "electra"
    lineage = json.loads((p3 / "config.json").read_text())["lineage"]
    assert [step["phase"] for step in lineage] == [1, 2, 3]
    metrics = json.loads((p3 / "metrics.json").read_text())
    assert metrics["n_test"] > 0 and 0 <= metrics["mean_axis_accuracy"] <= 1
