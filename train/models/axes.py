"""Phase-3 model: four sigmoid MBTI axis heads on posts; the type is composed from them.

The loss is binary cross-entropy per axis with ``pos_weight`` (class weights from the
training frequencies, stored in the config) and an optional per-sample weight (silver rows
weighted by ``--silver-weight``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from schemas.labels import MBTI
from train.models.encoder import EncoderHeadConfig, PooledHeadModel


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


class MbtiAxisClassifier(PooledHeadModel):
    """Encoder + mean pooling + the study's head with 4 outputs (E/I, S/N, T/F, J/P logits)."""

    config_class = AxisClassifierConfig

    def __init__(self, config: AxisClassifierConfig) -> None:
        super().__init__(config, 4)

    def head_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, sample_weight: torch.Tensor | None
    ) -> torch.Tensor:
        pos_weight = None
        if self.config.pos_weight:
            pos_weight = torch.tensor(self.config.pos_weight, device=logits.device)
        per_item = nn.functional.binary_cross_entropy_with_logits(
            logits.float(), labels.float(), pos_weight=pos_weight, reduction="none"
        ).mean(dim=1)
        if sample_weight is None:
            return per_item.mean()
        w = sample_weight.float()
        return (per_item * w).sum() / w.sum().clamp(min=1e-8)
