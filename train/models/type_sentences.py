"""Phase-1 model: classify type-article sentences with the study's head.

``target="axes"``: four sigmoid outputs (the MBTI axes, BCE loss); ``target="type"``: one
softmax over the label set (16 types for MBTI, cross-entropy).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from train.models.encoder import EncoderHeadConfig, PooledHeadModel


class TypeSentenceConfig(EncoderHeadConfig):
    model_type = "mbti_type_sentence_classifier"

    def __init__(self, target: str = "axes", **kwargs: Any) -> None:
        self.target = target
        super().__init__(**kwargs)

    @property
    def n_outputs(self) -> int:
        return 4 if self.target == "axes" else len(self.labels)


class TypeSentenceClassifier(PooledHeadModel):
    """Encoder + mean pooling + the study's head; loss by ``config.target`` (unweighted)."""

    config_class = TypeSentenceConfig

    def __init__(self, config: TypeSentenceConfig) -> None:
        super().__init__(config, config.n_outputs)

    def head_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, sample_weight: torch.Tensor | None
    ) -> torch.Tensor:
        if self.config.target == "axes":
            return nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
        return nn.functional.cross_entropy(logits, labels.long())
