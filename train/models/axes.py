"""Phase-3 model: four sigmoid MBTI axis heads on posts; the type is composed from them.

The loss is binary cross-entropy per axis with ``pos_weight`` (class weights from the
training frequencies, stored in the config) and an optional per-sample weight (silver rows
weighted by ``--silver-weight``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from schemas.labels import MBTI
from train.models.encoder import EncoderHeadConfig, EncoderModel, StudyHead, build_encoder


class AxisClassifierConfig(EncoderHeadConfig):
    """Adds ``pos_weight`` (class weights), ``thresholds`` (per axis, used by the predictor)
    and ``mask_types`` (whether inputs get their type mentions masked)."""

    model_type = "mbti_axis_classifier"

    def __init__(
        self,
        pos_weight: list[float] | None = None,
        thresholds: list[float] | None = None,
        mask_types: bool = True,
        **kwargs: Any,
    ) -> None:
        self.mask_types = mask_types
        self.pos_weight = list(pos_weight) if pos_weight else None
        self.thresholds = list(thresholds) if thresholds else [0.5] * 4
        kwargs.setdefault("labels", list(MBTI.labels))
        super().__init__(**kwargs)


class MbtiAxisClassifier(EncoderModel):
    """Encoder + mean pooling + the study's head with 4 outputs (E/I, S/N, T/F, J/P logits)."""

    config_class = AxisClassifierConfig

    def __init__(self, config: AxisClassifierConfig) -> None:
        super().__init__(config)
        self.encoder = build_encoder(config.encoder_config())
        self.head = StudyHead(config.hidden_size, 4, config.head_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> SequenceClassifierOutput:
        logits = self.head(self.encode(input_ids, attention_mask, token_type_ids))
        loss = None
        if labels is not None:
            pos_weight = None
            if self.config.pos_weight:
                pos_weight = torch.tensor(self.config.pos_weight, device=logits.device)
            per_item = nn.functional.binary_cross_entropy_with_logits(
                logits.float(), labels.float(), pos_weight=pos_weight, reduction="none"
            ).mean(dim=1)
            if sample_weight is None:
                loss = per_item.mean()
            else:
                w = sample_weight.float()
                loss = (per_item * w).sum() / w.sum().clamp(min=1e-8)
        return SequenceClassifierOutput(loss=loss, logits=logits)
