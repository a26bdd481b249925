"""Linear probing, then fine-tuning (LP-FT, Kumar et al. 2022): before the first optimiser
step, the new head is trained alone on the encoder's frozen pooled features, so that
fine-tuning starts from a head that already fits instead of a random one (a random head's
gradients distort the pretrained features in the first steps, most of all on small data and
when the test data differ from the training data).

The features are computed once (one forward pass over the training set, no dropout); the head
then trains on them for ``--head-warmup-epochs`` at the head's rate, in the global batch size
(with several processes, each gathers every row's features and trains the same head). Only
models with a pooled head (``encode``, ``head``, ``head_loss``: phases 1 and 3, ``train all``'s
fine-tuned arms) are warmed up.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from transformers import TrainerCallback

from train.engine.weight_ensemble import cpu_copy


def has_pooled_head(model: Any) -> bool:
    """Whether ``model`` has what the warm-up trains: a head on mean-pooled features."""
    return all(hasattr(model, name) for name in ("encode", "head", "head_loss"))


class HeadWarmup(TrainerCallback):
    """Trains ``model.head`` (a model with :func:`has_pooled_head`) on frozen features when
    training begins (not on a resume: the resumed weights already hold the warmed-up head);
    ``start`` then holds a CPU copy of the warmed-up model (one end of
    :mod:`train.engine.weight_ensemble`'s mixes)."""

    def __init__(self, epochs: float, lr: float, weight_decay: float, seed: int) -> None:
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.seed = seed
        self.start: dict[str, torch.Tensor] | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model, loader = kwargs["model"], kwargs["train_dataloader"]
        if state.global_step > 0:
            return
        features, labels, weights = pooled_features(model, loader)
        train_head(
            model,
            features,
            labels,
            weights,
            epochs=self.epochs,
            batch_size=args.per_device_train_batch_size * args.world_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            seed=self.seed,
        )
        _same_head_everywhere(model)
        self.start = cpu_copy(model)


@torch.no_grad()
def pooled_features(
    model: Any, loader: Any
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The frozen encoder's pooled features of every training row, with labels and (when the
    batches carry them) sample weights; with several processes, every process gets all of them,
    in the order one process would see them (:func:`_in_global_order`)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    feats, labels, weights = [], [], []
    try:
        for batch in loader:
            types = batch.get("token_type_ids")
            feats.append(
                model.encode(
                    batch["input_ids"].to(device),
                    batch["attention_mask"].to(device),
                    None if types is None else types.to(device),
                ).float()
            )
            labels.append(batch["labels"].to(device))
            if "sample_weight" in batch:
                weights.append(batch["sample_weight"].to(device))
    finally:
        model.train(was_training)
    n = len(loader.dataset) if hasattr(loader, "dataset") else None
    columns = _in_global_order([feats, labels, *([weights] if weights else [])], device, n)
    return columns[0], columns[1], columns[2] if weights else None


def _in_global_order(
    columns: list[list[torch.Tensor]], device: torch.device, rows: int | None
) -> list[torch.Tensor]:
    """One process's per-batch tensors of each column, concatenated; with several processes,
    every process's (one ``all_gather_object`` for all columns), step by step and rank by rank:
    the global batch of a step is its ranks' batches in rank order (the seeded sampler's
    split), so the rows come in one process's order at the global batch size. ``rows`` drops
    the repeats that even out the last step's batches."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return [torch.cat(parts) for parts in columns]
    everyone: list[Any] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(everyone, [[p.cpu() for p in c] for c in columns])
    out = []
    for column in range(len(columns)):
        per_rank = [rank[column] for rank in everyone]
        steps = max(len(batches) for batches in per_rank)
        ordered = [b[step] for step in range(steps) for b in per_rank if step < len(b)]
        out.append(torch.cat(ordered)[:rows].to(device))
    return out


def train_head(
    model: Any,
    features: torch.Tensor,
    labels: torch.Tensor,
    weights: torch.Tensor | None,
    *,
    epochs: float,
    batch_size: int,
    lr: float,
    weight_decay: float,
    seed: int,
) -> list[float]:
    """AdamW on ``model.head`` alone for ``epochs`` passes over ``features`` (shuffled with
    ``seed``); returns the mean loss of each pass."""
    head = model.head
    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    n = len(features)
    per_epoch = math.ceil(n / batch_size)
    steps = math.ceil(epochs * per_epoch)
    was_training = head.training
    head.train()
    losses: list[float] = []
    order = torch.randperm(n, generator=generator)
    for step in range(steps):
        if step and step % per_epoch == 0:
            order = torch.randperm(n, generator=generator)
        rows = order[(step % per_epoch) * batch_size :][:batch_size].to(features.device)
        loss = model.head_loss(
            head(features[rows]), labels[rows], None if weights is None else weights[rows]
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % per_epoch == 0:
            losses.append(0.0)
        losses[-1] += float(loss.detach()) / per_epoch
    head.zero_grad(set_to_none=True)  # the first fine-tuning step must not add these
    head.train(was_training)
    return losses


def _same_head_everywhere(model: Any) -> None:
    """With several processes (each warmed the head on all rows, the same way): rank 0's head,
    so that devices' rounding cannot leave the replicas apart."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        for param in model.head.parameters():
            torch.distributed.broadcast(param.data, src=0)
