"""WiSE-FT (--wise-ft): mixes of the warmed-up and the fine-tuned weights, the one best on
dev kept; dev judged over authors when the dev rows name them; evaluation in the given order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.train.conftest import tiny_args, toy_phase3
from train.engine.weight_ensemble import MIXES, best_mix, mix
from train.tasks.mbti import MbtiTask


def test_a_mix_is_the_weighted_mean_of_float_tensors_and_end_s_integers():
    start = {"w": torch.zeros(3), "ids": torch.tensor([1, 2])}
    end = {"w": torch.full((3,), 4.0), "ids": torch.tensor([5, 6])}
    assert torch.equal(mix(start, end, 0.0)["w"], start["w"])
    assert torch.equal(mix(start, end, 1.0)["w"], end["w"])
    assert torch.allclose(mix(start, end, 0.25)["w"], torch.full((3,), 1.0))
    assert torch.equal(mix(start, end, 0.5)["ids"], end["ids"])


def test_the_best_mix_on_dev_is_left_in_the_model_ties_going_to_the_fine_tuned_end():
    model = torch.nn.Linear(2, 1, bias=False)
    start = {"weight": torch.zeros(1, 2)}
    with torch.no_grad():
        model.weight.fill_(4.0)  # the fine-tuned end

    def closeness_to_one() -> tuple[float, float]:
        weight = float(model.weight[0, 0].detach())
        return -abs(weight - 1.0), weight

    chosen, scores, weight = best_mix(model, start, closeness_to_one)
    assert chosen == 0.25 and set(scores) == set(MIXES)
    assert weight == 1.0  # the chosen mix's own evaluation, not the last one's (a = 1: 4.0)
    assert torch.allclose(model.weight, torch.ones(1, 2))
    chosen, _, _ = best_mix(model, start, lambda: (0.0, None))
    assert chosen == 1.0 and torch.allclose(model.weight, torch.ones(1, 2))


def test_equal_ends_are_one_model_scored_once():
    model = torch.nn.Linear(2, 1, bias=False)
    calls = []
    chosen, scores, _ = best_mix(
        model, {"weight": model.weight.detach().clone()}, lambda: (calls.append(1) or 0.5, None)
    )
    assert calls == [1] and chosen == 1.0 and scores == dict.fromkeys(MIXES, 0.5)


def test_dev_is_judged_per_author_when_rows_name_authors():
    """Posts that a cut-off cannot separate, authors whose mean posts it can: 1.0 over authors,
    less over rows."""
    posts = {
        "a": (1, [0.9, 0.4, 0.4]),
        "b": (0, [0.45, 0.1, 0.1]),
        "c": (1, [0.8, 0.8, 0.3]),
        "d": (0, [0.35, 0.35, 0.2]),
    }
    authors = [name for name, (_, ps) in posts.items() for _ in ps]
    targets = np.asarray([[y] * 4 for y, ps in posts.values() for _ in ps], dtype=np.float32)
    scores = np.asarray([[p] * 4 for _, ps in posts.values() for p in ps])
    task = MbtiTask()
    assert task.dev_value(targets, scores, authors) == pytest.approx(1.0)
    assert task.dev_value(targets, scores) < 0.9


def test_evaluation_keeps_the_rows_order_under_length_grouping(tmp_path):
    """compute_metrics joins dev predictions to the rows' authors by position."""
    import datasets
    from torch.utils.data import SequentialSampler

    from train.engine.trainer import PhaseTrainer, training_arguments

    args = tiny_args()
    assert args.group_by_length
    rows = datasets.Dataset.from_dict({"length": [30, 1, 20, 2]})
    trainer = PhaseTrainer(
        model=torch.nn.Linear(2, 2),
        args=training_arguments(args, tmp_path / "out", metric="mean_axis_macro_f1"),
        head_lr=1e-3,
        eval_dataset=rows,
    )
    assert isinstance(trainer._get_eval_sampler(rows), SequentialSampler)


def test_the_kept_model_is_the_mix_that_was_best_on_dev(tiny_encoder, toy_splits, tmp_path):
    """Phase 3 with the defaults (warm-up, WiSE-FT): every mix was scored on dev over authors,
    the chosen one is the best, and the saved model scores that on dev again."""
    from train.engine.data import authors_of
    from train.predict.predictor import load_predictor

    result = toy_phase3(tiny_encoder, toy_splits, tmp_path / "p3", max_steps=6)
    wise = result.metrics["wise_ft"]
    assert result.metrics["dev_by_author"] is True
    assert set(wise["dev"]) == {f"{a:g}" for a in MIXES}
    assert wise["dev"][f"{wise['mix']:g}"] == max(wise["dev"].values())
    dev = toy_splits["dev"]
    predictor = load_predictor(result.model_dir, precision="fp32")
    scores = predictor.scores(dev["text"])
    targets = predictor.task.targets(dev, file="dev")
    again = predictor.task.dev_value(targets, scores, authors_of(dev))
    assert again == pytest.approx(wise["dev"][f"{wise['mix']:g}"], abs=1e-6)


def test_without_wise_ft_nothing_is_mixed(tiny_encoder, toy_splits, tmp_path):
    result = toy_phase3(tiny_encoder, toy_splits, tmp_path / "p3", max_steps=2, wise_ft=False)
    assert "wise_ft" not in result.metrics


def test_a_given_end_is_mixed_towards_instead_of_a_copy_of_the_model():
    model = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(4.0)
    start, end = {"weight": torch.zeros(1, 2)}, {"weight": torch.full((1, 2), 2.0)}
    chosen, _, _ = best_mix(
        model, start, lambda: (-abs(float(model.weight[0, 0].detach()) - 1.0), None), end=end
    )
    assert chosen == 0.5 and torch.allclose(model.weight, torch.ones(1, 2))
