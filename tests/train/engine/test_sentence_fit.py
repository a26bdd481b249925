"""The engine's sentence-transformers fits: the optimiser-step rule, and a tiny bi-encoder and
cross-encoder that learn which pairs share a topic, with no bars or loss dicts on the console."""

from __future__ import annotations

import itertools
from pathlib import Path

import datasets
import numpy as np
import pytest

from tests.support.tiny_models import tiny_encoder
from train.engine.args import TrainArgs
from train.engine.sentence_fit import (
    fit_bi_encoder,
    fit_cross_encoder,
    load_bi_encoder,
    load_cross_encoder,
    optimiser_steps,
)
from train.tasks.bi_encoder import pair_cosine

TOPICS = {
    "food": [f"we ate {a} with {b}" for a in ("pasta", "soup", "rice", "cake")
             for b in ("bread", "cheese")],
    "sport": [f"they played {a} {b}" for a in ("tennis", "hockey", "golf", "chess")
              for b in ("late", "hard")],
}  # fmt: skip


def topic_pairs(rows: slice) -> datasets.Dataset:
    """Pairs of the ``rows`` of each topic: score 1 within a topic, 0 across."""
    food, sport = TOPICS["food"][rows], TOPICS["sport"][rows]
    same = list(itertools.combinations(food, 2)) + list(itertools.combinations(sport, 2))
    across = list(itertools.product(food, sport))
    pairs = same + across
    return datasets.Dataset.from_dict(
        {
            "sentence1": [a for a, _ in pairs],
            "sentence2": [b for _, b in pairs],
            "score": [1.0] * len(same) + [0.0] * len(across),
        }
    )


def separation(scores: np.ndarray, pairs: datasets.Dataset) -> float:
    """Mean score of same-topic pairs minus the mean of cross-topic pairs."""
    target = np.asarray(pairs["score"])
    return float(scores[target == 1].mean() - scores[target == 0].mean())


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> str:
    texts = [t for rows in TOPICS.values() for t in rows]
    return str(tiny_encoder(tmp_path_factory.mktemp("pair-bert"), texts, vocab_size=120))


def fit_args(**overrides) -> TrainArgs:
    base = dict(
        epochs=1, max_steps=40, batch_size=8, lr=1e-3, warmup_ratio=0.0, min_steps=0,
        device="cpu", progress=False, logging_steps=5, bf16=False,
    )  # fmt: skip
    return TrainArgs(**{**base, **overrides})


def test_optimiser_steps_are_epochs_with_a_floor():
    args = TrainArgs(epochs=4, min_steps=400, batch_size=16)
    assert optimiser_steps(args, 2 * 575) == 400  # 4 x 72 steps < the floor
    assert optimiser_steps(args, 2 * 5749) == 4 * 719
    assert optimiser_steps(TrainArgs(epochs=1, min_steps=0, batch_size=16), 48) == 3
    assert optimiser_steps(TrainArgs(max_steps=7, min_steps=400), 10_000) == 7


def test_bi_encoder_learns_the_pair_scores(encoder, tmp_path, capfd):
    model = load_bi_encoder(encoder, device="cpu", max_length=16)
    assert model.max_seq_length == 16
    train, held_out = topic_pairs(slice(0, 6)), topic_pairs(slice(6, None))

    def held_out_separation() -> float:
        cosine = pair_cosine(model, held_out["sentence1"], held_out["sentence2"], batch_size=4)
        return separation(cosine, held_out)

    before = held_out_separation()
    assert fit_bi_encoder(model, train, fit_args(), tmp_path / "bi") is model
    assert held_out_separation() > before + 0.2
    err = capfd.readouterr().err
    for noise in ("it/s]", "{'loss'", "widget examples", "pin_memory"):
        assert noise not in err, err


def test_cross_encoder_learns_the_pair_scores(encoder, tmp_path, capfd):
    """A new one-output head on the tiny encoder learns its training pairs (at the 1e-3 of
    the bi-encoder above, 60 steps leave it at the prior)."""
    model = load_cross_encoder(encoder, device="cpu")
    train = topic_pairs(slice(0, 6))
    pairs = list(zip(train["sentence1"], train["sentence2"], strict=True))
    before = separation(model.predict(pairs), train)
    fit_cross_encoder(model, train, fit_args(max_steps=100, lr=3e-3), tmp_path / "cross")
    scores = model.predict(pairs)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert separation(scores, train) > before + 0.5
    err = capfd.readouterr().err
    for noise in ("it/s]", "{'loss'", "widget examples", "newly initialized", "MISSING"):
        assert noise not in err, err


@pytest.mark.parametrize("bf16", [True, False])
def test_fits_train_in_the_asked_precision(encoder, tmp_path, bf16):
    """``--bf16`` reaches the sentence-transformers fits as the product's Trainer: the
    encoder's linear layers compute in bf16 under it (CPU autocast), in fp32 without it."""
    import torch

    model = load_bi_encoder(encoder, device="cpu")
    seen: set[torch.dtype] = set()
    layer = next(m for m in model.modules() if isinstance(m, torch.nn.Linear))
    hook = layer.register_forward_hook(lambda _m, _i, out: seen.add(out.dtype))
    try:
        fit_bi_encoder(model, topic_pairs(slice(0, 3)), fit_args(max_steps=2, bf16=bf16),
                       tmp_path / "bi")  # fmt: skip
    finally:
        hook.remove()
    assert seen == ({torch.bfloat16} if bf16 else {torch.float32})


def test_pair_cosine_is_the_cosine_of_the_embeddings(encoder):
    model = load_bi_encoder(encoder, device="cpu")
    first, second = TOPICS["food"][:3], TOPICS["sport"][:3]
    a = model.encode(first, normalize_embeddings=True)
    b = model.encode(second, normalize_embeddings=True)
    np.testing.assert_allclose(pair_cosine(model, first, second), (a * b).sum(axis=1), atol=1e-6)
    assert pair_cosine(model, [], []).shape == (0,)


def test_fits_write_nothing_beside_out(encoder, tmp_path):
    fit_bi_encoder(load_bi_encoder(encoder), topic_pairs(slice(0, 3)), fit_args(max_steps=2),
                   tmp_path / "bi")  # fmt: skip
    assert not any(Path(tmp_path).rglob("*.safetensors"))
