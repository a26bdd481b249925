from __future__ import annotations

import pytest

from tests.train.conftest import tiny_args
from train.models import TypeSentenceClassifier
from train.phases.trainer import PhaseTrainer, head_lr, training_arguments


@pytest.mark.parametrize("given", [None, 3e-3])
def test_the_new_head_learns_at_its_own_rate(phase1_dir, tmp_path, given):
    args = tiny_args(lr=1e-4, head_lr=given)
    model = TypeSentenceClassifier.from_pretrained(phase1_dir.model_dir)
    trainer = PhaseTrainer(
        model=model,
        args=training_arguments(args, tmp_path / "out", metric=None),
        head_lr=head_lr(args),
    )
    optimizer = trainer.create_optimizer()
    rate = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    wanted = given if given is not None else 1e-4
    for name, param in model.named_parameters():
        assert rate[id(param)] == pytest.approx(wanted if name.startswith("head.") else 1e-4), name
    assert len(rate) == len(list(model.parameters()))
    assert trainer.create_optimizer() is optimizer  # a second call changes nothing


def test_report_to_is_a_list_for_both_trainers():
    assert tiny_args(report_to="none").reporters() == ["none"]
    assert tiny_args(report_to="tensorboard, wandb,").reporters() == ["tensorboard", "wandb"]
    assert training_arguments(tiny_args(), "unused", metric=None).report_to == []  # none
