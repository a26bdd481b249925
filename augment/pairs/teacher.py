"""Who scores the candidate pairs (``--pair-teacher``): the embedder fine-tuned on gold
(cosine), a cross-encoder trained on gold, the mean of both, or a pretrained cross-encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from augment.pairs.fitting import bi_teacher_args, fine_tuned_embedder, trained_cross_encoder
from augment.pairs.options import PAIR_TEACHERS, PairConfig
from augment.pairs.reading import Pairs
from schemas.errors import InputError
from schemas.models import resolve_model


def teacher_trains(teacher: str, model: str) -> bool:
    """Whether ``--pair-teacher teacher`` trains ``model`` ("cross" or "bi") on gold."""
    return teacher in (model, "mean")


def pretrained_cross_encoder(name: str) -> Any:
    """A pretrained cross-encoder with one output named by ``--pair-teacher`` (AugSBERT's own
    teacher, where one exists for the domain); its scores are clipped to [0, 1]."""
    from transformers import AutoConfig

    from train.engine.sentence_fit import load_cross_encoder

    path = resolve_model(name)
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    else:
        reason = None
    if reason is not None:  # raised here, not in the handler: this message, not the Hub's
        raise InputError(
            f"--pair-teacher must be one of {', '.join(PAIR_TEACHERS)} or a cross-encoder, "
            f"got {name!r} ({reason})"
        )
    architectures = config.architectures or []
    if config.num_labels != 1 or not any(
        a.endswith("ForSequenceClassification") for a in architectures
    ):
        raise InputError(
            f"--pair-teacher {name!r} is not a cross-encoder with one output "
            f"(architectures {architectures}, {config.num_labels} labels)"
        )
    return load_cross_encoder(path)


class PairTeacher:
    """Scores pairs in [0, 1]: a cross-encoder trained on gold, the embedder fine-tuned on gold
    (cosine), the mean of both, or a pretrained cross-encoder (``--pair-teacher``)."""

    def __init__(
        self, kind: str, gold: Pairs, scale: tuple[float, float], cfg: PairConfig, work: Path
    ) -> None:
        self.batch_size = cfg.batch_size
        if kind not in PAIR_TEACHERS:
            self.cross, self.bi = pretrained_cross_encoder(kind), None
            return
        self.cross = (
            trained_cross_encoder(gold, scale, cfg, work) if teacher_trains(kind, "cross") else None
        )
        self.bi = (
            fine_tuned_embedder(gold, scale, cfg, work, bi_teacher_args(cfg))
            if teacher_trains(kind, "bi")
            else None
        )

    def score(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        if not pairs:
            return np.zeros(0, np.float32)
        parts = []
        if self.cross is not None:
            scores = self.cross.predict(pairs, batch_size=self.batch_size)
            parts.append(np.clip(np.asarray(scores), 0.0, 1.0))
        if self.bi is not None:
            from train.tasks.bi_encoder import pair_cosine

            first, second = [p[0] for p in pairs], [p[1] for p in pairs]
            parts.append(np.clip(pair_cosine(self.bi, first, second, self.batch_size), 0.0, 1.0))
        return np.mean(parts, axis=0).astype(np.float32)

    def spearman(self, pairs: Pairs) -> float:
        """Spearman x 100 of the teacher's scores on ``pairs``: silver can only teach the
        student what the teacher knows better than it."""
        from scipy.stats import spearmanr

        scores = self.score(list(zip(pairs["sentence1"], pairs["sentence2"], strict=True)))
        return float(spearmanr(scores, pairs["score"]).statistic * 100)
