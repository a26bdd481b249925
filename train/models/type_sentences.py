"""Phase-1 model: classify type-article sentences with the study's head.

``target="axes"``: four sigmoid outputs (the MBTI axes, BCE loss); ``target="type"``: one
softmax over the label set (16 types for MBTI, cross-entropy).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from train.models.encoder import EncoderHeadConfig, EncoderModel, StudyHead, build_encoder


class TypeSentenceConfig(EncoderHeadConfig):
    model_type = "mbti_type_sentence_classifier"

    def __init__(self, target: str = "axes", **kwargs: Any) -> None:
        self.target = target
        super().__init__(**kwargs)

    @property
    def n_outputs(self) -> int:
        return 4 if self.target == "axes" else len(self.labels)


class TypeSentenceClassifier(EncoderModel):
    """Encoder + mean pooling + the study's head; loss by ``config.target``."""

    config_class = TypeSentenceConfig

    def __init__(self, config: TypeSentenceConfig) -> None:
        super().__init__(config)
        self.encoder = build_encoder(config.encoder_config())
        self.head = StudyHead(config.hidden_size, config.n_outputs, config.head_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> SequenceClassifierOutput:
        logits = self.head(self.encode(input_ids, attention_mask, token_type_ids))
        loss = None
        if labels is not None:
            if self.config.target == "axes":
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
            else:
                loss = nn.functional.cross_entropy(logits, labels.long())
        return SequenceClassifierOutput(loss=loss, logits=logits)
