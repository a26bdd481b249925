"""The results of a ``train all`` study: one :class:`Run` per (seed, fraction, arm).

Arms: ``phase1`` and ``phase2`` (the pre-training phases of the recipe), ``mlm`` (phase 3
from the phase-2 model: the full recipe), ``plain`` (phase 3 from the base model), ``tfidf``
(TF-IDF + the task's linear model), ``frozen`` (the linear model on the encoder's frozen
embeddings), ``frozen_mlm`` (the same on the phase-2 model's frozen encoder: what phases 1
and 2 put into the features) and ``majority``; the metrics are the task's own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PRETRAINING_ARMS = ("phase1", "phase2")
TASK_ARMS = ("majority", "tfidf", "frozen", "plain")
"""The arms every study compares; the three-phase recipe (``mlm``) joins them when phase-1/2
data are given."""
RECIPE = "mlm"
FROZEN_RECIPE = "frozen_mlm"
RECIPE_ARMS = ("p13", RECIPE, FROZEN_RECIPE)
"""What the phase-1/2 data add: phase 3 from the phase-1 model (``p13``) and from the phase-2
model (``mlm``, the full recipe), and the linear model on the phase-2 model's frozen encoder
(``frozen_mlm``)."""
FINE_TUNED_ARMS = ("plain", "p13", RECIPE)
"""The arms that train a model with the engine (the others fit a linear model or count)."""
ARM_TITLES = {
    "majority": "majority",
    "tfidf": "TF-IDF + LR",
    "frozen": "frozen encoder + LR",
    "plain": "plain fine-tuning",
    "p13": "phases 1+3",
    "mlm": "MLM (3 phases)",
    "frozen_mlm": "phases 1+2 frozen + LR",
    "phase1": "phase 1 (label sentences)",
    "phase2": "phase 2 (label-conditioned MLM)",
}


@dataclass
class Run:
    """One trained (or fitted) model's outcome; ``test_*`` are kept only for the report."""

    seed: int
    fraction: float
    arm: str
    metrics: dict[str, Any]
    n_train: int = 0
    seconds: float = 0.0
    model_dir: str | None = None
    log_history: list[dict[str, Any]] = field(default_factory=list)
    test_probs: list[list[float]] | None = None
    test_labels: list[list[int]] | None = None

    def to_dict(self, *, with_predictions: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not with_predictions:
            d.pop("test_probs")
            d.pop("test_labels")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        return cls(**d)


def select(runs: Sequence[Run], arm: str, fraction: float) -> list[Run]:
    """Runs of one arm and fraction, ordered by seed."""
    return sorted(
        (r for r in runs if r.arm == arm and math.isclose(r.fraction, fraction)),
        key=lambda r: r.seed,
    )
