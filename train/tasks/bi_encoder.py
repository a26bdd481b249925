"""``--pair-model bi``: a sentence-transformers bi-encoder fine-tuned with
``CosineSimilarityLoss`` on a regression task's pairs; the cosine of the two embeddings
(clipped to [0, 1]) is the pair's score, judged by the task's metrics.

The saved model directory is a plain sentence-transformers model plus :data:`BI_TASK_FILE`
(the task, e.g. its score range), which is how ``train predict`` and ``train serve`` know it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasets
import numpy as np

from schemas.errors import InputError
from train.tasks.base import Task

if TYPE_CHECKING:
    from train.engine.args import TrainArgs
    from train.tasks.columns import TaskData

BI_MODEL_TYPE = "mbtikit_bi_encoder"
BI_TASK_FILE = "mbtikit_task.json"


def bi_task_spec(task: Task) -> dict[str, Any]:
    """What :data:`BI_TASK_FILE` holds: the model kind and the task it was trained for."""
    return {"model_type": BI_MODEL_TYPE, "task": task.to_config()}


def is_bi_encoder(model_dir: Path) -> bool:
    """Whether ``model_dir`` is a saved ``--pair-model bi`` output."""
    return (model_dir / BI_TASK_FILE).is_file()


def read_bi_spec(model_dir: Path) -> dict[str, Any]:
    """:data:`BI_TASK_FILE` of ``model_dir``; an unreadable one is an :class:`InputError`."""
    path = model_dir / BI_TASK_FILE
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"is not a readable task file ({type(err).__name__})", file=path) from None
    if not isinstance(spec, dict) or spec.get("model_type") != BI_MODEL_TYPE:
        raise InputError(f"model_type is not {BI_MODEL_TYPE!r}", file=path)
    return spec


@dataclass
class BiEncoderResult:
    """The trained ``SentenceTransformer``, the test metrics and the test scores."""

    model: Any
    metrics: dict[str, Any]
    test_scores: np.ndarray


def save_bi_encoder(model: Any, task: Task, out: Path) -> None:
    """Save the sentence-transformers ``model`` and :data:`BI_TASK_FILE` into ``out``."""
    model.save(str(out))
    (out / BI_TASK_FILE).write_text(json.dumps(bi_task_spec(task)), encoding="utf-8")


def pair_cosine(
    model: Any, first: Sequence[str], second: Sequence[str], batch_size: int = 32
) -> np.ndarray:
    """The cosine of each (first, second) pair's embeddings under the sentence-transformers
    ``model`` (``[n]``, float32), normalised in float32: a bf16 model normalises in bf16,
    which leaves a sentence's cosine with itself ~0.6 % short of 1."""
    if len(first) == 0:
        return np.zeros(0, np.float32)

    def embed(texts: Sequence[str]) -> np.ndarray:
        vectors = model.encode(
            list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32, copy=False)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    return (embed(first) * embed(second)).sum(axis=1)


def pair_scores(model: Any, ds: datasets.Dataset, batch_size: int = 32) -> np.ndarray:
    """``[n, 1]`` pair scores: the cosine of ``text`` and ``text_pair``, clipped to [0, 1]."""
    if len(ds) == 0:
        return np.zeros((0, 1), np.float32)
    cosine = pair_cosine(model, list(ds["text"]), list(ds["text_pair"]), batch_size)
    return np.clip(cosine, 0, 1).reshape(-1, 1)


def train_bi_encoder(
    data: TaskData, model: str | None, out: str | Path, args: TrainArgs
) -> BiEncoderResult:
    """Fine-tune ``model`` (a pretrained encoder or sentence-transformers model; a plain
    encoder gets mean pooling) on ``data.train`` by the engine's
    :func:`~train.engine.sentence_fit.fit_bi_encoder`; evaluate on ``data.test``."""
    from train.engine.distributed import uses_cuda
    from train.engine.sentence_fit import fit_bi_encoder, load_bi_encoder

    task = data.task
    train_targets = task.targets(data.train, file=data.source)
    encoder = load_bi_encoder(
        model, device="cuda" if uses_cuda(args) else "cpu", max_length=args.max_length
    )
    pairs = datasets.Dataset.from_dict(
        {
            "sentence1": list(data.train["text"]),
            "sentence2": list(data.train["text_pair"]),
            "score": train_targets[:, 0].tolist(),
        }
    )
    fit_bi_encoder(encoder, pairs, args, out)
    test_scores = pair_scores(encoder, data.test)
    test_targets = task.targets(data.test, file=data.source)
    metrics = task.metrics(test_targets, test_scores, train_targets) if len(test_scores) else {}
    metrics.update(task=task.name, pair_model="bi", n_train=len(pairs), n_test=len(data.test))
    return BiEncoderResult(encoder, metrics, test_scores)
