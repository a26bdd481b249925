import json

import datasets
import numpy as np

from augment.pairs.histogram import choose_balanced
from tests.augment.conftest import write_jsonl
from tests.support.cli import assert_clean_error


def test_pairs_mode_adds_scored_silver_pairs(cli, gold_pairs, tmp_path):
    out = tmp_path / "pairs"
    proc = cli("augment", "pairs", gold_pairs, "--out", out,
               "--top-k", "3", "--n-silver", "20", "--bins", "4",
               "--ce-min-steps", "8", "--ce-epochs", "1", "--pair-teacher", "cross",
               "--no-progress")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # a quiet console: no load report for the new head, no CPU pin_memory warning, no bars
    for noise in ("MISSING", "newly initialized", "pin_memory", "it/s]", "widget examples"):
        assert noise not in proc.stderr, proc.stderr
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
    assert manifest["teacher"] == "cross"
    assert (out / "scores.png").stat().st_size > 0
    assert "wanted silver" in (out / "report.md").read_text()
    assert manifest["ce_steps"] == 8  # 1 epoch = 48 pairs x 2 orders / batch 16 = 6 < 8
    assert set(manifest["sources"]) == {"semantic", "bm25", "random"}


def test_pairs_eval_compares_bi_encoders_over_three_seeds(
    cli, gold_pairs, sample_dir, tiny_embedder, tmp_path
):
    """A tiny embedder (seconds a run): the mean teacher, 3 seeds of both students."""
    rows = [json.loads(line) for line in (sample_dir / "sts_test.jsonl").read_text().splitlines()]
    test_pairs = write_jsonl(tmp_path / "test.jsonl", rows[:24])
    out = tmp_path / "pairs"
    proc = cli("augment", "pairs", gold_pairs, "--out", out, "--top-k", "3", "--n-silver", "20",
               "--ce-min-steps", "2", "--ce-epochs", "0", "--bi-min-steps", "2",
               "--pair-teacher", "mean", "--embedder", tiny_embedder,
               "--eval", test_pairs, "--no-progress")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "widget examples" not in proc.stderr and "it/s]" not in proc.stderr, proc.stderr
    ev = json.loads((out / "manifest.json").read_text())["eval"]
    assert ev["seeds"] == [0, 1, 2] and len(ev["a"]) == len(ev["b"]) == 3
    assert all(-100 <= x <= 100 for x in ev["a"] + ev["b"] + [ev["teacher"]])
    assert ev["ci95"][0] <= ev["mean_diff"] <= ev["ci95"][1]
    report = (out / "report.md").read_text()
    assert "| mean |" in report and f"the teacher (`mean`): {ev['teacher']:.2f}" in report


def test_a_pretrained_cross_encoder_scores_the_candidates_as_it_is(
    cli, gold_pairs, tiny_embedder, tmp_path
):
    """``--pair-teacher PATH``: the user's own cross-encoder (AugSBERT's teacher) is not
    trained again; a bi-encoder given there is refused."""
    from sentence_transformers.cross_encoder import CrossEncoder

    teacher = tmp_path / "cross-encoder"
    CrossEncoder(tiny_embedder, num_labels=1).save(str(teacher))
    out = tmp_path / "pairs"
    proc = cli("augment", "pairs", gold_pairs, "--out", out, "--top-k", "3", "--n-silver", "20",
               "--embedder", tiny_embedder, "--pair-teacher", teacher, "--no-progress")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "MISSING" not in proc.stderr and "it/s]" not in proc.stderr, proc.stderr
    silver = datasets.load_from_disk(str(out)).filter(lambda r: r["is_silver"])
    assert len(silver) > 0
    pairs = list(zip(silver["sentence1"], silver["sentence2"], strict=True))
    expected = np.clip(CrossEncoder(str(teacher)).predict(pairs), 0, 1)
    np.testing.assert_allclose(silver["silver_score"], expected, atol=1e-4)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["teacher"] == str(teacher) and manifest["ce_steps"] is None
    assert "a pretrained cross-encoder, used as it is" in (out / "report.md").read_text()
    refused = tmp_path / "refused"
    proc = cli("augment", "pairs", gold_pairs, "--out", refused, "--pair-teacher", tiny_embedder)
    assert_clean_error(proc, "--pair-teacher", "not a cross-encoder")
    assert not refused.exists()


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
    proc = cli("augment", "silver", gold, "--pairs", "--out", out)  # pair mode's 0,5 scale
    assert_clean_error(proc, "row 2", "score", "outside")
    assert not out.exists()


def test_augment_pairs_is_pair_mode_as_its_own_command(cli, tmp_path):
    """``augment pairs`` takes the pair options (not the classification ones); ``augment
    silver`` takes none of them."""
    rows = [{"id": "a", "sentence1": "x y", "sentence2": "y x", "score": 4.0}]
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    out = tmp_path / "out"
    proc = cli("augment", "pairs", gold, "--out", out, "--balance", "flat")
    assert_clean_error(proc, "--balance", "uniform, gold", "'flat'")
    assert not out.exists()
    proc = cli("augment", "pairs", gold, "--out", out, "--pair-teacher", "gpt")
    assert_clean_error(proc, "--pair-teacher", "bi, cross, mean or a cross-encoder", "'gpt'")
    assert not out.exists()
    assert "--pool" not in cli("augment", "pairs", "--help").stdout
    silver_help = cli("augment", "silver", "--help", env={"COLUMNS": "200"}).stdout
    assert "--pairs" in silver_help
    for pair_option in ("Pair mode", "--bins", "--scale", "--pair-teacher"):
        assert pair_option not in silver_help, pair_option


def test_bm25_neighbours_share_words():
    from augment.search.bm25 import bm25_neighbours

    sents = [
        "A man is slicing a tomato.",
        "A man cuts a tomato on a board.",
        "Stock markets fell sharply today.",
        "Markets fell after the news.",
        "It is what it is.",
    ]
    nb = bm25_neighbours(sents, 2)
    assert nb[0, 0] == 1 and nb[1, 0] == 0 and nb[2, 0] == 3 and nb[3, 0] == 2
    assert (nb[4] == -1).all()  # only stop words: no neighbour
    assert all(i not in row for i, row in enumerate(nb))


def test_sampling_reaches_low_and_high_pairs(gold_pairs, minilm_path):
    from augment.pairs.options import PairConfig, PairOptions
    from augment.pairs.reading import read_pairs
    from augment.pairs.sampling import sample_pairs
    from augment.search.embeddings import load_embedder
    from train.tasks.bi_encoder import pair_cosine

    gold = read_pairs(gold_pairs, (0.0, 5.0))
    cfg = PairConfig(gold=gold_pairs, out=gold_pairs.parent / "x", embedder=minilm_path,
                     top_k=3, pair=PairOptions())  # fmt: skip
    pairs, sources, n = sample_pairs(gold, cfg)
    assert {"semantic", "bm25", "random"} == set(sources) and len(pairs) == len(sources)
    known = {frozenset(p) for p in zip(gold["sentence1"], gold["sentence2"], strict=True)}
    assert len({frozenset(p) for p in pairs}) == len(pairs)
    assert not any(frozenset(p) in known or p[0] == p[1] for p in pairs)
    cosine = pair_cosine(load_embedder(minilm_path), [a for a, _ in pairs], [b for _, b in pairs])
    sem = cosine[np.array(sources) == "semantic"].mean()
    rnd = cosine[np.array(sources) == "random"].mean()
    assert sem > rnd + 0.1  # neighbours are closer than random pairs
