"""Model cards: every phase output gets a README.md with task, labels, lineage and metrics."""

from __future__ import annotations

import yaml


def test_every_phase_model_has_a_card(phase1_dir, phase2_dir, phase3_dir):
    cards = {}
    for result in (phase1_dir, phase2_dir, phase3_dir):
        text = (result.model_dir / "README.md").read_text()
        header = yaml.safe_load(text.split("---\n")[1])
        assert header["library_name"] == "transformers" and "mbtikit" in header["tags"]
        cards[result.model_dir.name] = (header, text)
    assert cards["phase2"][0]["pipeline_tag"] == "fill-mask"
    header, card = cards["phase3"]
    assert header["pipeline_tag"] == "text-classification"
    assert "predicts the four MBTI axes" in card
    assert "`INFJ`" in card and "Cut-offs (one per output)" in card
    lineage = card.split("## Lineage")[1].split("##")[0]
    assert [line.split("|")[1].strip() for line in lineage.splitlines() if line.startswith("| ")][
        2:
    ] == ["1", "2", "3"]
    metrics = phase3_dir.metrics
    assert f"| E/I | {metrics['E/I']['accuracy']:.4g} |" in card
    assert "majority accuracy" in card and "`majority_mean_axis_accuracy`" in card
    assert "Do not use it to make decisions about people" in card
    assert "train serve phase3" in card
