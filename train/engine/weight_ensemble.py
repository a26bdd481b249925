"""Weight-space ensembling of the warmed-up and the fine-tuned model (WiSE-FT, Wortsman et
al. 2022): after fine-tuning, the weights ``(1 - a) * start + a * end`` for a few mixes ``a``
(0: the model before the first step, with its warmed-up head; 1: the fine-tuned one), and the
mix that is best on dev is kept.

Both ends share the encoder they started from and a head fitted to it (the head warm-up), so
their average is a model too (the paper's condition); the mix keeps more of the pretrained
features where fine-tuning on little data moved them away from what transfers (MBTI: a
logistic regression on the base encoder's features beat fine-tuning per author).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch

MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)
T = TypeVar("T")


def cpu_copy(model: Any) -> dict[str, torch.Tensor]:
    """A CPU copy of ``model``'s state dict."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def mix(
    start: dict[str, torch.Tensor], end: dict[str, torch.Tensor], alpha: float
) -> dict[str, torch.Tensor]:
    """``(1 - alpha) * start + alpha * end`` for every floating-point tensor (others: ``end``'s)."""
    out = {}
    for key, value in end.items():
        if value.is_floating_point():
            out[key] = torch.lerp(start[key].to(value.dtype), value, alpha)
        else:
            out[key] = value
    return out


def best_mix(
    model: Any,
    start: dict[str, torch.Tensor],
    evaluate: Callable[[], tuple[float, T]],
    mixes: Sequence[float] = MIXES,
    end: dict[str, torch.Tensor] | None = None,
) -> tuple[float, dict[float, float], T]:
    """Load each mix of ``start`` and ``model``'s current (fine-tuned) weights, evaluate it
    (``evaluate()``: its score, greater is better, and what the score came from, e.g. the dev
    predictions), and leave ``model`` holding the best (on ties the one nearer the fine-tuned
    end). Returns the chosen mix, every mix's score and the chosen mix's evaluation (when the
    two ends are the same weights, that model is evaluated once). ``end``: a CPU copy of the
    weights ``model`` holds, when one is at hand (:func:`~train.engine.trainer.best_weights`);
    else one is taken."""
    end = cpu_copy(model) if end is None else end
    if all(torch.equal(start[key], value) for key, value in end.items()):
        # fine-tuning kept the model it started from (step 0 was best): one model, one score
        score, evaluation = evaluate()
        return 1.0, dict.fromkeys(mixes, float(score)), evaluation
    scores: dict[float, float] = {}
    evaluations: dict[float, T] = {}
    for alpha in mixes:
        model.load_state_dict(mix(start, end, alpha))
        score, evaluations[alpha] = evaluate()
        scores[alpha] = float(score)
    chosen = max(scores, key=lambda a: (scores[a], a))
    model.load_state_dict(mix(start, end, chosen))
    return chosen, scores, evaluations[chosen]
