import json

import datasets
import numpy as np

from augment.pairs import choose_balanced
from tests.augment.conftest import write_jsonl
from tests.support.cli import assert_clean_error


def test_pairs_mode_adds_scored_silver_pairs(cli, gold_pairs, tmp_path):
    out = tmp_path / "pairs"
    proc = cli("augment", "silver", gold_pairs, "--pairs", "--out", out,
               "--top-k", "3", "--n-silver", "20", "--bins", "4")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_from_disk(str(out))
    gold = [json.loads(line) for line in gold_pairs.read_text().splitlines()]
    assert ds.filter(lambda r: not r["is_silver"])["id"] == [r["id"] for r in gold]
    silver = ds.filter(lambda r: r["is_silver"])
    assert 0 < len(silver) <= 20
    gold_keys = {frozenset((r["sentence1"], r["sentence2"])) for r in gold}
    for r in silver:
        assert r["sentence1"] != r["sentence2"]
        assert frozenset((r["sentence1"], r["sentence2"])) not in gold_keys
        assert 0.0 <= r["score"] <= 5.0 and 0.0 <= r["silver_score"] <= 1.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mode"] == "pairs" and manifest["counts"]["silver"] == len(silver)
    assert (out / "scores.png").stat().st_size > 0
    assert "wanted silver" in (out / "report.md").read_text()


def test_balance_uniform_fills_thin_bins_first():
    edges = np.linspace(0, 5, 6)
    gold = np.array([0.5] * 6 + [4.5] * 2)
    cands = np.array([0.2, 0.4, 1.5, 2.5, 2.6, 3.5, 4.2, 4.4, 4.8, 4.9])
    chosen, per_bin = choose_balanced(gold, cands, edges, "uniform", 7, seed=0)
    # want 15/5 = 3 per bin minus gold, scaled to the 7 allowed: [0, 2, 2, 2, 0]
    assert [b["wanted"] for b in per_bin] == [0, 2, 2, 2, 0]
    assert [b["silver"] for b in per_bin] == [0, 1, 2, 1, 0]
    assert per_bin[0]["silver"] == 0  # the gold-heavy bin gets no silver
    assert all(b["silver"] <= b["available"] for b in per_bin)
    assert len(chosen) == sum(b["silver"] for b in per_bin)


def test_scores_outside_scale_are_rejected(cli, tmp_path):
    rows = [{"id": "a", "sentence1": "x y", "sentence2": "y x", "score": 4.0},
            {"id": "b", "sentence1": "p q", "sentence2": "q r", "score": 7.5}]  # fmt: skip
    gold = write_jsonl(tmp_path / "bad.jsonl", rows)
    out = tmp_path / "out"
    proc = cli("augment", "silver", gold, "--pairs", "--out", out, "--scale", "0,5")
    assert_clean_error(proc, "row 2", "score", "outside")
    assert not out.exists()


def test_augment_pairs_is_pair_mode_as_its_own_command(cli, tmp_path):
    """``augment pairs`` takes the pair options (not the classification ones) and checks
    them the same way as ``augment silver --pairs``."""
    rows = [{"id": "a", "sentence1": "x y", "sentence2": "y x", "score": 4.0}]
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    out = tmp_path / "out"
    proc = cli("augment", "pairs", gold, "--out", out, "--balance", "flat")
    assert_clean_error(proc, "--balance", "uniform, gold", "'flat'")
    assert not out.exists()
    assert "--pool" not in cli("augment", "pairs", "--help").stdout
