"""Prediction with a saved :class:`~train.models.TaskModel`: scores and predictions for new
texts (or sentence pairs), with the task (labels, tuned cut-offs) the model was saved with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from schemas.errors import InputError
from train.tasks.base import Task


def batched_logits(
    model: Any,
    tokenizer: Any,
    texts: list[str],
    pairs: list[str] | None = None,
    *,
    batch_size: int = 32,
    max_length: int = 256,
    device: str = "cpu",
) -> np.ndarray:
    """``[n, n_outputs]`` logits of ``model`` for ``texts`` (each with its pair, if given)."""
    out = []
    for start in range(0, len(texts), batch_size):
        chunk = slice(start, start + batch_size)
        enc = tokenizer(
            texts[chunk],
            pairs[chunk] if pairs is not None else None,
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        ).to(device)
        with torch.inference_mode():
            out.append(model(**enc).logits.float().cpu().numpy())
    n_out = model.config.num_labels if not out else out[0].shape[1]
    return np.concatenate(out) if out else np.zeros((0, n_out))


class Predictor:
    """What a task predictor answers: ``scores(texts, pairs)`` (``[n, n_outputs]``) and
    ``predict(texts, pairs)`` (one ``{"prediction", "scores"}`` per text)."""

    task: Task

    def scores(
        self, texts: list[str], pairs: list[str] | None = None, batch_size: int = 32
    ) -> np.ndarray:
        raise NotImplementedError

    def check_pairs(self, texts: list[str], pairs: list[str] | None) -> None:
        """A pair task needs one second sentence per text; any other task none."""
        if self.task.needs_pair and (pairs is None or len(pairs) != len(texts)):
            raise InputError("a pair model needs one second sentence per text", field="text_pair")
        if not self.task.needs_pair and pairs is not None:
            raise InputError(
                f"the {self.task.name} model scores single texts, not pairs", field="text_pair"
            )

    def predict(
        self, texts: list[str], pairs: list[str] | None = None, batch_size: int = 32
    ) -> list[dict[str, Any]]:
        """One ``{"prediction", "scores": {output: score}}`` per text."""
        scores = self.scores(texts, pairs, batch_size)
        names = self.task.output_names
        return [
            {
                "prediction": pred,
                "scores": {n: round(float(s), 6) for n, s in zip(names, row, strict=True)},
            }
            for pred, row in zip(self.task.predictions(scores), scores, strict=True)
        ]


class TaskPredictor(Predictor):
    """A loaded task model (:class:`~train.models.TaskModel`, a cross-encoder for pairs)."""

    def __init__(self, model_dir: str | Path, device: str | None = None, max_length: int = 256):
        from transformers import AutoTokenizer

        from train.models import TaskModel

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = TaskModel.from_pretrained(model_dir).to(self.device).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.task: Task = self.model.config.task
        self.max_length = max_length

    def scores(
        self, texts: list[str], pairs: list[str] | None = None, batch_size: int = 32
    ) -> np.ndarray:
        """``[n, n_outputs]`` scores (probabilities, or a [0, 1] score for regression)."""
        self.check_pairs(texts, pairs)
        from datasets import Dataset

        masked = self.task.texts(Dataset.from_dict({"text": list(texts)}))
        logits = batched_logits(
            self.model,
            self.tokenizer,
            masked,
            pairs,
            batch_size=batch_size,
            max_length=self.max_length,
            device=self.device,
        )
        return self.task.scores(logits)


class BiEncoderPredictor(Predictor):
    """A ``--pair-model bi`` output: the clipped cosine of the two sentences' embeddings is
    the [0, 1] score, reported on the task's score range."""

    def __init__(self, model_dir: str | Path, device: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        from train.tasks import task_from_config
        from train.tasks.bi_encoder import read_bi_spec

        self.task = task_from_config(read_bi_spec(Path(model_dir))["task"])
        self.model = SentenceTransformer(str(model_dir), device=device)

    def scores(
        self, texts: list[str], pairs: list[str] | None = None, batch_size: int = 32
    ) -> np.ndarray:
        """``[n, 1]`` pair scores in [0, 1]."""
        self.check_pairs(texts, pairs)
        from datasets import Dataset

        from train.tasks.bi_encoder import pair_scores

        rows = Dataset.from_dict({"text": list(texts), "text_pair": list(pairs or [])})
        return pair_scores(self.model, rows, batch_size)


def load_task_predictor(model_dir: str | Path, device: str | None = None) -> Predictor:
    """The predictor of a saved task model: a bi-encoder or a :class:`TaskModel`."""
    from train.tasks.bi_encoder import is_bi_encoder

    if is_bi_encoder(Path(model_dir)):
        return BiEncoderPredictor(model_dir, device)
    return TaskPredictor(model_dir, device)
