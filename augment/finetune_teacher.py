"""``--teacher finetune``: the bi-encoder's transformer fine-tuned as a sequence classifier on
gold (SentAugment style), temperature-calibrated on a held-out fifth of gold."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from schemas.models import resolve_model

#: CPU-feasible defaults: at least MIN_STEPS optimiser steps and EPOCHS passes over gold; the
#: new head learns at HEAD_LR, the pretrained encoder at LR (as ``train``'s --head-lr/--min-steps).
EPOCHS, MIN_STEPS, BATCH, LR, HEAD_LR, MAX_LENGTH = 5, 200, 16, 5e-5, 1e-3, 64


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature (0.25-5, log grid) with the lowest NLL on held-out logits."""
    best, best_t = np.inf, 1.0
    for t in np.exp(np.linspace(np.log(0.25), np.log(5.0), 40)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


class FinetuneTeacher:
    """Fresh classification head on the embedder's transformer; trained on 4/5 of gold for
    ``max(MIN_STEPS, EPOCHS epochs)`` steps (linear decay, 10 % warm-up; the head at HEAD_LR,
    the encoder at LR), temperature fitted on the held-out fifth (no temperature when a class
    has fewer than 5 rows)."""

    name = "finetune"
    trains_on_gold = True

    def __init__(self, labels: Sequence[str], seed: int = 0, *, embedder: str | None = None):
        self.labels = tuple(labels)
        self.seed = seed
        self.path = resolve_model(embedder)
        self.temperature = 1.0

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> FinetuneTeacher:
        train = np.arange(len(y))
        held = np.zeros(0, dtype=np.int64)
        if np.bincount(y, minlength=len(self.labels)).min() >= 5:
            from sklearn.model_selection import train_test_split

            train, held = train_test_split(train, test_size=0.2, stratify=y, random_state=self.seed)
        self._train([texts[i] for i in train], y[train])
        if len(held):
            self.temperature = fit_temperature(self._logits([texts[i] for i in held]), y[held])
        return self

    def _train(self, texts: list[str], y: np.ndarray) -> None:
        import torch
        from transformers import (
            AutoModelForSequenceClassification,
            AutoTokenizer,
            get_linear_schedule_with_warmup,
        )

        from augment.embeddings import no_loading_bar
        from train.engine.logs import quiet_loading

        torch.manual_seed(self.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        with quiet_loading(), no_loading_bar():  # a new head is expected: no load report
            self.model = AutoModelForSequenceClassification.from_pretrained(
                self.path, num_labels=len(self.labels)
            )
        steps = max(MIN_STEPS, math.ceil(EPOCHS * len(y) / BATCH))
        prefix = self.model.base_model_prefix + "."
        named = list(self.model.named_parameters())
        groups = [
            {"params": [p for n, p in named if n.startswith(prefix)], "lr": LR},
            {"params": [p for n, p in named if not n.startswith(prefix)], "lr": HEAD_LR},
        ]
        opt = torch.optim.AdamW(groups, weight_decay=0.01)
        schedule = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
        rng = np.random.default_rng(self.seed)
        order = np.zeros(0, dtype=np.int64)
        self.model.train()
        for _ in range(steps):
            if len(order) < BATCH:
                order = np.r_[order, rng.permutation(len(y))]
            batch, order = order[:BATCH], order[BATCH:]
            enc = self._encode([texts[i] for i in batch])
            loss = self.model(**enc, labels=torch.as_tensor(y[batch])).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            opt.step()
            schedule.step()
            opt.zero_grad()
        self.model.eval()

    def _encode(self, texts: list[str]):
        return self.tokenizer(
            texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
        )

    def _logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        out = [np.zeros((0, len(self.labels)), dtype=np.float32)]
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                enc = self._encode(list(texts[start : start + batch_size]))
                out.append(self.model(**enc).logits.float().numpy())
        return np.concatenate(out)

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        z = self._logits(texts) / self.temperature
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return (z / z.sum(axis=1, keepdims=True)).astype(np.float32)
