from __future__ import annotations

import pytest
import torch

from tests.train.conftest import tiny_args, toy_phase3
from train.engine.trainer import (
    EarlyStoppingAfter,
    PhaseTrainer,
    planned_steps,
    training_arguments,
)
from train.models import TaskModel


@pytest.mark.parametrize("given", [None, 3e-3])
def test_the_new_head_learns_at_its_own_rate(phase1_dir, tmp_path, given):
    args = tiny_args(lr=1e-4, head_lr=given)
    model = TaskModel.from_pretrained(phase1_dir.model_dir)
    trainer = PhaseTrainer(
        model=model,
        args=training_arguments(args, tmp_path / "out", metric=None),
        head_lr=args.head_rate(),
    )
    optimizer = trainer.create_optimizer()
    rate = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    wanted = given if given is not None else 1e-4
    for name, param in model.named_parameters():
        assert rate[id(param)] == pytest.approx(wanted if name.startswith("head.") else 1e-4), name
    assert len(rate) == len(list(model.parameters()))
    assert trainer.create_optimizer() is optimizer  # a second call changes nothing


def test_phase_2s_label_embedding_and_new_head_learn_at_the_head_rate(phase2_dir, tmp_path):
    """What phase 2 trains from scratch (the label embedding, the new MLM head's transform and
    bias) at --head-lr; the encoder and the decoder tied to its word embeddings at --lr."""
    from train.models import TypeConditionedMlm

    args = tiny_args(lr=1e-4, head_lr=3e-3)
    model = TypeConditionedMlm.from_pretrained(phase2_dir.model_dir)
    trainer = PhaseTrainer(
        model=model,
        args=training_arguments(args, tmp_path / "out", metric=None),
        head_lr=args.head_rate(),
    )
    rate = {id(p): g["lr"] for g in trainer.create_optimizer().param_groups for p in g["params"]}
    fresh = {name for name, p in model.named_parameters() if rate[id(p)] == 3e-3}
    assert "type_embedding.weight" in fresh
    assert "mlm.cls.predictions.transform.dense.weight" in fresh
    assert "mlm.cls.predictions.bias" in fresh
    assert not any(name.startswith("mlm.bert.") for name in fresh)  # the tied decoder too
    assert len(rate) == len(list(model.parameters()))


def test_report_to_is_a_list_for_both_trainers():
    assert tiny_args(report_to="none").reporters() == ["none"]
    assert tiny_args(report_to="tensorboard, wandb,").reporters() == ["tensorboard", "wandb"]
    assert training_arguments(tiny_args(), "unused", metric=None).report_to == []  # none


def test_min_steps_lengthen_only_short_runs():
    args = tiny_args(max_steps=-1, epochs=2, batch_size=16, min_steps=200)
    assert planned_steps(args, 133) == 200  # 2 epochs of 9 steps: too few
    assert planned_steps(args, 2660) == -1  # 2 x 167 steps: train by epochs
    assert planned_steps(tiny_args(max_steps=-1, min_steps=0), 133) == -1
    assert planned_steps(tiny_args(max_steps=7, min_steps=200), 133) == 7  # --max-steps wins
    targs = training_arguments(args, "unused", metric=None, n_train=133)
    assert targs.max_steps == 200


def test_the_head_learns_at_1e_3_unless_told_otherwise():
    from train.engine.args import TrainArgs

    assert TrainArgs(lr=5e-5).head_rate() == 1e-3
    assert TrainArgs(lr=5e-5, head_lr=0).head_rate() == 5e-5


def test_patience_counts_only_from_the_minimum_steps():
    from transformers import TrainerControl, TrainerState

    targs = training_arguments(tiny_args(), "unused", metric="macro_f1")
    stopper, state = EarlyStoppingAfter(2, start_step=200), TrainerState(best_metric=0.3)
    for step in (9, 18, 27, 36, 190):  # flat dev metric before the floor: no stop
        state.global_step, control = step, TrainerControl()
        stopper.on_evaluate(targs, state, control, {"eval_macro_f1": 0.1})
        assert not control.should_training_stop
    stops = []
    for step in (200, 209):
        state.global_step, control = step, TrainerControl()
        stopper.on_evaluate(targs, state, control, {"eval_macro_f1": 0.1})
        stops.append(control.should_training_stop)
    assert stops == [False, True]


def test_freeze_encoder_steps_trains_only_the_new_head_first(tiny_encoder, toy_splits, tmp_path):
    """For the first --freeze-encoder-steps the pretrained weights stay as loaded and the new
    head learns; after them the encoder learns too."""
    from transformers import AutoModel

    loaded = dict(AutoModel.from_pretrained(tiny_encoder).named_parameters())

    def moved(steps: int, freeze: int) -> tuple[bool, bool]:
        out = toy_phase3(
            tiny_encoder,
            toy_splits,
            tmp_path / f"{steps}-{freeze}",
            max_steps=steps,
            freeze_encoder_steps=freeze,
        )
        trained = dict(TaskModel.from_pretrained(out.model_dir).named_parameters())
        encoder = [
            not torch.equal(p, loaded[name.split(".", 1)[1]])
            for name, p in trained.items()
            if name.split(".", 1)[1] in loaded and "word_embeddings" not in name
        ]
        assert len(encoder) > 10
        return any(encoder), any(name.startswith("head.") for name in trained)

    assert moved(steps=3, freeze=3) == (False, True)
    assert moved(steps=4, freeze=3)[0]


def test_epochs_default_to_the_tasks():
    """Multi-label trains 5 epochs unless --epochs says otherwise; the other tasks 3."""
    from train.engine.args import TrainArgs
    from train.tasks import MbtiTask, MultiLabelTask, SingleLabelTask

    assert TrainArgs().for_task(MultiLabelTask()).epochs == 5
    assert TrainArgs(epochs=2).for_task(MultiLabelTask()).epochs == 2
    assert TrainArgs().for_task(SingleLabelTask()).epoch_count == 3
    assert TrainArgs().for_task(MbtiTask()).epoch_count == 3
    assert planned_steps(TrainArgs(min_steps=0).for_task(MultiLabelTask()), 160) == -1
    targs = training_arguments(TrainArgs().for_task(MultiLabelTask()), "unused", metric=None)
    assert targs.num_train_epochs == 5


def test_freeze_word_embeddings_keeps_them_as_loaded(tiny_encoder, toy_splits, tmp_path):
    """--freeze-word-embeddings: the word embeddings stay as loaded, the rest learns."""
    from transformers import AutoModel

    loaded = dict(AutoModel.from_pretrained(tiny_encoder).named_parameters())
    out = toy_phase3(
        tiny_encoder,
        toy_splits,
        tmp_path / "fwe",
        max_steps=3,
        freeze_word_embeddings=True,
        head_warmup_epochs=0,  # else the warmed-up model (encoder as loaded) may be kept
    )
    trained = dict(TaskModel.from_pretrained(out.model_dir).named_parameters())
    words = "embeddings.word_embeddings.weight"
    assert torch.equal(trained[f"encoder.{words}"], loaded[words])
    assert not torch.equal(
        trained["encoder.embeddings.position_embeddings.weight"],
        loaded["embeddings.position_embeddings.weight"],
    )


def test_best_weights_are_the_best_evaluation_s_and_what_the_model_holds_at_the_end():
    """WiSE-FT mixes towards them without a copy of its own (:func:`best_weights`)."""
    from types import SimpleNamespace

    from train.engine.trainer import BestWeights, best_weights

    model = torch.nn.Linear(2, 1)
    callback = BestWeights("macro_f1", greater_is_better=True)
    trainer = SimpleNamespace(callback_handler=SimpleNamespace(callbacks=[callback]))
    assert best_weights(trainer) is None  # no evaluation yet
    for value, score in ((1.0, 0.4), (2.0, 0.7), (3.0, 0.5)):
        with torch.no_grad():
            model.weight.fill_(value)
        callback.on_evaluate(None, None, None, metrics={"eval_macro_f1": score}, model=model)
    callback.on_train_end(None, None, None, model=model)
    kept = best_weights(trainer)
    assert torch.equal(kept["weight"], torch.full((1, 2), 2.0))
    assert all(torch.equal(kept[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("native", [True, False])
def test_bf16_is_on_by_default_where_the_cpu_multiplies_it_natively(monkeypatch, native):
    from train.engine import hardware

    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: native)
    assert training_arguments(tiny_args(bf16=None), "unused", metric=None).bf16 is native
    for given in (True, False):  # --bf16 / --no-bf16 win
        assert training_arguments(tiny_args(bf16=given), "unused", metric=None).bf16 is given
