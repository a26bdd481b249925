"""Pair mode's ``--eval`` check: the embedder fine-tuned on gold and on gold + silver over
several seeds, scored by Spearman on a test file, as a paired comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from augment.common.paired import PairedResult
from augment.pairs.fitting import fine_tuned_embedder, student_args
from augment.pairs.options import PairConfig
from augment.pairs.reading import Pairs


def spearman_of(model: Any, pairs: Pairs, batch_size: int) -> float:
    """Spearman x 100 between the bi-encoder ``model``'s cosine and the pairs' scores."""
    from scipy.stats import spearmanr

    from train.tasks.bi_encoder import pair_cosine

    cosine = pair_cosine(model, pairs["sentence1"], pairs["sentence2"], batch_size)
    return float(spearmanr(cosine, pairs["score"]).statistic * 100)


def student_check(
    gold: Pairs,
    combined: Pairs,
    test: Pairs,
    scale: tuple[float, float],
    cfg: PairConfig,
    work: Path,
) -> PairedResult:
    """Per seed of ``--eval-seeds``, a student fine-tuned on ``gold`` and one on ``combined``
    (gold + silver), each scored on ``test``."""
    seeds = list(range(cfg.seed, cfg.seed + cfg.eval_seeds))
    arms = [
        [
            spearman_of(
                fine_tuned_embedder(data, scale, cfg, work, student_args(cfg, seed)),
                test,
                cfg.batch_size,
            )
            for seed in seeds
        ]
        for data in (gold, combined)
    ]
    return PairedResult(
        "spearman",
        seeds,
        arms[0],
        arms[1],
        n_train_a=[len(gold["score"])] * len(seeds),
        n_train_b=[len(combined["score"])] * len(seeds),
    )
