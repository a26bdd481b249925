"""Prediction with a saved phase-3 model of any task (a :class:`~train.models.TaskModel`, or
a ``--pair-model bi`` sentence-transformers output): scores and answers for new texts (or
sentence pairs), with the task (labels, tuned cut-offs) the model was saved with; one
person's answer from their texts (:func:`train.tasks.authors.person`)."""

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
    """``[n, n_outputs]`` logits of ``model`` for ``texts`` (each with its pair, if given), in
    the order given. The texts are tokenised once and go through the model shortest first, so
    that a forward pass pads little (1.25x the texts/s of arrival order on the sample posts in
    batches of 64); the logits come back as float32 whatever the model's precision."""
    if not texts:
        return np.zeros((0, model.config.num_labels), dtype=np.float32)
    encoded = tokenizer(texts, pairs, truncation=True, max_length=max_length)
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
    logits: np.ndarray | None = None
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = tokenizer.pad(
            {key: [values[i] for i in rows] for key, values in encoded.items()},
            return_tensors="pt",
        ).to(device)
        with torch.inference_mode():
            chunk = model(**batch).logits.float().cpu().numpy()
        if logits is None:
            logits = np.empty((len(texts), chunk.shape[1]), dtype=np.float32)
        logits[rows] = chunk
    assert logits is not None
    return logits


def find_model_dir(run: str | Path) -> Path:
    """The phase-3 model inside ``run``: ``run`` itself, ``run/model``, or the first (sorted)
    phase-3 model directory below it."""
    run = Path(run)
    if not run.is_dir():
        raise InputError("no such run or model directory", file=run)
    for cand in (run, run / "model", *sorted(p.parent for p in run.rglob("config.json"))):
        if is_phase3_model(cand):
            return cand
    raise InputError("holds no phase-3 model (config.json of a `train phase3` model)", file=run)


def is_phase3_model(model_dir: Path) -> bool:
    """A bi-encoder output, or a task model that phase 3 trained (or one with no lineage,
    made outside the phases); cheap: nothing is loaded."""
    from train.models import TaskModelConfig
    from train.models.init import phase_of, read_config
    from train.tasks.bi_encoder import is_bi_encoder

    if is_bi_encoder(model_dir):
        return True
    config = read_config(model_dir)
    return config.get("model_type") == TaskModelConfig.model_type and phase_of(config) in (None, 3)


class Predictor:
    """What a task predictor answers: ``scores(texts, pairs)`` (``[n, n_outputs]``),
    ``predict(texts, pairs)`` (the task's answer per text) and ``person(texts)``."""

    task: Task
    precision: str

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
        """The task's answer per text (:meth:`~train.tasks.base.Task.describe`)."""
        return [self.task.describe(row) for row in self.scores(texts, pairs, batch_size)]


class TaskPredictor(Predictor):
    """A loaded task model (:class:`~train.models.TaskModel`, a cross-encoder for pairs) in
    ``precision`` (``--encode-precision``: fp32, bf16, or auto; the resolved one in
    ``.precision``)."""

    def __init__(
        self,
        model_dir: str | Path,
        device: str | None = None,
        max_length: int = 256,
        precision: str = "auto",
    ):
        from transformers import AutoTokenizer

        from train.engine.encoding import to_precision, torch_precision
        from train.models import TaskModel

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.precision = torch_precision(precision, torch.device(self.device).type)
        model = TaskModel.from_pretrained(model_dir).to(self.device).eval()
        self.model = to_precision(model, self.precision)
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

    def __init__(
        self, model_dir: str | Path, device: str | None = None, precision: str = "auto"
    ) -> None:
        from train.engine.encoding import to_precision, torch_precision
        from train.engine.sentence_fit import load_bi_encoder
        from train.tasks import task_from_config
        from train.tasks.bi_encoder import read_bi_spec

        self.task = task_from_config(read_bi_spec(Path(model_dir))["task"])
        model = load_bi_encoder(str(model_dir), device=device)
        self.precision = torch_precision(precision, model.device.type)
        self.model = to_precision(model, self.precision)

    def scores(
        self, texts: list[str], pairs: list[str] | None = None, batch_size: int = 32
    ) -> np.ndarray:
        """``[n, 1]`` pair scores in [0, 1]."""
        self.check_pairs(texts, pairs)
        from datasets import Dataset

        from train.tasks.bi_encoder import pair_scores

        rows = Dataset.from_dict({"text": list(texts), "text_pair": list(pairs or [])})
        return pair_scores(self.model, rows, batch_size)


def load_predictor(
    run_or_model_dir: str | Path, device: str | None = None, precision: str = "auto"
) -> Predictor:
    """The predictor of the phase-3 model of a run (or of a model directory), running in
    ``precision`` (fp32, bf16, or auto: bf16 on CUDA and on a CPU with native bf16)."""
    from train.tasks.bi_encoder import is_bi_encoder

    model_dir = find_model_dir(run_or_model_dir)
    if is_bi_encoder(model_dir):
        return BiEncoderPredictor(model_dir, device, precision)
    return TaskPredictor(model_dir, device, precision=precision)
