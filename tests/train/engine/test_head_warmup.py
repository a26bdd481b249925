"""The head warm-up (--head-warmup-epochs): the head learns on frozen features before
fine-tuning, the encoder is untouched by it, and the warmed-up model is a candidate for the
best weights (evaluated before the first step)."""

from __future__ import annotations

import torch
from transformers import AutoModel

from tests.train.conftest import toy_phase3
from train.engine.head_warmup import train_head
from train.models import TaskModel


def test_the_head_learns_separable_features_alone(phase1_dir):
    model = TaskModel.from_pretrained(phase1_dir.model_dir)
    encoder_before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(64, model.config.hidden_size, generator=generator)
    n_out = model.task.n_outputs
    labels = torch.zeros(64, n_out)
    labels[torch.arange(64), (features[:, 0] > 0).long() % n_out] = 1.0
    losses = train_head(
        model, features, labels, None, epochs=30, batch_size=16, lr=1e-3, weight_decay=0, seed=0
    )
    assert len(losses) == 30
    assert losses[-1] < 0.5 * losses[0]
    assert all(p.grad is None for p in model.head.parameters())  # nothing left for step 1
    for key, value in model.encoder.state_dict().items():
        assert torch.equal(value, encoder_before[key]), key


def test_the_warmed_up_model_is_evaluated_first_and_kept_when_fine_tuning_loses(
    tiny_encoder, toy_splits, tmp_path
):
    """At an absurd encoder rate fine-tuning ruins the model (alone: dev macro-F1 0.47 at step
    0, 0.33 at step 6): the warmed-up model is evaluated at step 0 and the kept weights are
    those of the best evaluation, so the encoder is the loaded one exactly when step 0 won
    (the ruined model's score is chaotic: in one full-suite run it beat step 0)."""
    loaded = dict(AutoModel.from_pretrained(tiny_encoder).named_parameters())
    result = toy_phase3(
        tiny_encoder,
        toy_splits,
        tmp_path / "warm",
        max_steps=6,
        lr=50.0,
        head_warmup_epochs=20,
        wise_ft=False,  # the kept weights are one evaluation's, not a mix
    )
    evals = [e for e in result.log_history if "eval_mean_axis_macro_f1" in e]
    assert evals[0]["step"] == 0 and len(evals) >= 2
    best = max(evals, key=lambda e: e["eval_mean_axis_macro_f1"])  # the first on ties
    trained = dict(TaskModel.from_pretrained(result.model_dir).named_parameters())
    encoder = {
        name.split(".", 1)[1]: p for name, p in trained.items() if name.startswith("encoder.")
    }
    common = [name for name in loaded if name in encoder]
    assert len(common) > 10
    as_loaded = all(torch.equal(encoder[name], loaded[name]) for name in common)
    assert as_loaded == (best["step"] == 0)


def test_without_warmup_there_is_no_evaluation_at_step_0(tiny_encoder, toy_splits, tmp_path):
    result = toy_phase3(
        tiny_encoder, toy_splits, tmp_path / "cold", max_steps=2, head_warmup_epochs=0
    )
    evals = [e for e in result.log_history if any(k.startswith("eval_") for k in e)]
    assert all(e["step"] > 0 for e in evals)
