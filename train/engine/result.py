"""What every phase returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class PhaseResult:
    """What a phase returns: where the model went, its metrics and its training log.

    ``test_probs``/``test_labels`` are the phase-3 test-set axis probabilities and bits
    (``[n, 4]``); ``None`` for phases 1 and 2.
    """

    model_dir: Path
    metrics: dict
    log_history: list[dict]
    test_probs: np.ndarray | None = None
    test_labels: np.ndarray | None = None
