"""Batch collators: dynamic padding for classification, and phase 2's soft-target batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import DataCollatorForLanguageModeling, DataCollatorWithPadding

from train.engine.data import MODEL_INPUTS


def _pad_inputs(pad: DataCollatorWithPadding, features: list[dict[str, Any]]) -> dict:
    return dict(pad([{k: f[k] for k in MODEL_INPUTS if k in f} for f in features]))


@dataclass
class ClassificationCollator:
    """Pads the token inputs to the longest row of the batch; stacks ``extra`` columns."""

    tokenizer: Any
    extra: tuple[str, ...] = ("labels",)
    pad_to_multiple_of: int | None = None
    _pad: DataCollatorWithPadding = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pad = DataCollatorWithPadding(
            self.tokenizer, pad_to_multiple_of=self.pad_to_multiple_of
        )

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        batch = _pad_inputs(self._pad, features)
        for key in self.extra:
            if key in features[0]:
                batch[key] = torch.tensor([f[key] for f in features])
        return batch


@dataclass
class TypeMlmCollator:
    """Phase-2 batches: padded inputs, ``type_ids``, ``mask_positions``, the soft targets
    padded to the batch's most candidates (probability 0), and, with ``mlm_mix``, a randomly
    masked copy of the filled-in sentences (15 %, 80/10/10) as ``mlm_*``."""

    tokenizer: Any
    mlm_mix: float = 0.0
    pad_to_multiple_of: int | None = None
    _pad: DataCollatorWithPadding = field(init=False, repr=False)
    _mlm: DataCollatorForLanguageModeling | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._pad = DataCollatorWithPadding(
            self.tokenizer, pad_to_multiple_of=self.pad_to_multiple_of
        )
        if self.mlm_mix > 0:
            self._mlm = DataCollatorForLanguageModeling(
                self.tokenizer,
                mlm_probability=0.15,
                pad_to_multiple_of=self.pad_to_multiple_of,
            )

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        batch = _pad_inputs(self._pad, features)
        batch["type_ids"] = torch.tensor([f["type_id"] for f in features])
        batch["mask_positions"] = torch.tensor([f["mask_position"] for f in features])
        k = max(len(f["target_ids"]) for f in features)
        ids = torch.zeros(len(features), k, dtype=torch.long)
        probs = torch.zeros(len(features), k)
        for i, f in enumerate(features):
            n = len(f["target_ids"])
            ids[i, :n] = torch.tensor(f["target_ids"])
            probs[i, :n] = torch.tensor(f["target_probs"])
        batch["target_ids"], batch["target_probs"] = ids, probs
        if self._mlm is not None:
            mlm = self._mlm([{"input_ids": f["mlm_input_ids"]} for f in features])
            batch["mlm_input_ids"] = mlm["input_ids"]
            batch["mlm_attention_mask"] = mlm["attention_mask"]
            batch["mlm_labels"] = mlm["labels"]
        return batch
