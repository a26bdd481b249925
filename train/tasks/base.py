"""What every task is: how labels become targets, logits become scores, scores become metrics.

A task is a frozen dataclass. ``fit`` (on the training split) and ``tune`` (on dev) return
a new task with what they learned (label set, class weights, cut-offs); ``to_config`` /
:func:`train.tasks.task_from_config` store it in a saved model's config, so the predictor
rebuilds the same task.

Data sets arrive with the canonical columns of :mod:`train.tasks.columns`: ``text``,
``label``, optionally ``text_pair`` and ``author``. Targets are ``float32`` arrays
``[n, n_outputs]``; scores are what the model's outputs mean (probabilities, or a score
scaled to [0, 1]) with the same shape.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import datasets
import numpy as np
import torch

from schemas.errors import InputError


@dataclasses.dataclass(frozen=True)
class Task:
    """Base of the four tasks (``mbti``, ``single``, ``multi``, ``regression``)."""

    name: ClassVar[str]
    problem_type: ClassVar[str]
    """Hugging Face's ``problem_type`` of the model config."""
    dev_metric: ClassVar[str]
    """The test metric that selects the best checkpoint on dev (greater is better)."""
    needs_pair: ClassVar[bool] = False
    default_epochs: ClassVar[float | None] = None
    """``--epochs`` when it is not given (``None``: the trainer's 3)."""
    report_metrics: ClassVar[tuple[str, ...]]
    """The top-level test metrics that reports, plots and the CLI show (when present)."""
    lower_is_better: ClassVar[frozenset[str]] = frozenset({"hamming_loss", "mse"})
    phase1_targets: ClassVar[tuple[str, ...]] = ("type",)
    """What phase 1 may learn from label-description sentences (the first is the default):
    ``type`` is one softmax over the label set, ``axes`` the task's own outputs."""
    prediction_key: ClassVar[str] = "label"
    """The key of a prediction in :meth:`describe` (``label``, ``labels`` or ``score``)."""
    report_note: ClassVar[str] = ""
    """A sentence the study report adds under its table (published figures, for context)."""

    # --- data -------------------------------------------------------------------------------
    def fit(self, ds: datasets.Dataset, *, file: str) -> Task:
        """The task with what the training split fixes (labels, class weights); checks it."""
        return self

    def targets(self, ds: datasets.Dataset, *, file: str) -> np.ndarray:
        """``[n, n_outputs]`` float targets of ``ds``'s ``label`` column."""
        check_label_column(ds, file=file)
        rows = [self.encode(value, file=file, row=i) for i, value in enumerate(ds["label"], 1)]
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), self.n_outputs)

    def encode(self, value: Any, *, file: str, row: int) -> list[float]:
        """One row's target; a bad value raises :class:`InputError` naming file and row."""
        raise NotImplementedError

    def texts(self, ds: datasets.Dataset) -> list[str]:
        """The model input texts of ``ds`` (MBTI masks type mentions here)."""
        return list(ds["text"])

    def strata(self, ds: datasets.Dataset) -> list[str]:
        """One stratum per row for a made split (labels spread evenly over the splits)."""
        return [str(v) for v in ds["label"]]

    @property
    def phase_labels(self) -> tuple[str, ...]:
        """The labels that phase-1/2 rows name (a task without labels has none)."""
        return self.output_names

    # --- outputs ----------------------------------------------------------------------------
    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    @property
    def output_names(self) -> tuple[str, ...]:
        """One name per model output (labels, axes, or ``score``)."""
        raise NotImplementedError

    def loss(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        sample_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The training loss of a batch (a mean over rows, weighted by ``sample_weight``)."""
        return weighted_mean(self.row_loss(logits.float(), targets.float()), sample_weight)

    def row_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """``[batch]`` loss per row."""
        raise NotImplementedError

    def scores(self, logits: np.ndarray) -> np.ndarray:
        """Model outputs -> scores (probabilities by default: sigmoid per output)."""
        return sigmoid(logits)

    def predictions(self, scores: np.ndarray) -> list[Any]:
        """One prediction per row: a label, a list of labels, a type or a score."""
        raise NotImplementedError

    def describe(self, scores: np.ndarray) -> dict[str, Any]:
        """One text's (or one person's mean) answer as JSON: the prediction under
        :attr:`prediction_key` and the score of each output."""
        row = np.asarray(scores, dtype=np.float64).reshape(1, self.n_outputs)
        (prediction,) = self.predictions(row)
        return {
            self.prediction_key: prediction,
            "probabilities": {
                n: round(float(p), 6) for n, p in zip(self.output_names, row[0], strict=True)
            },
        }

    def agreement(self, scores: np.ndarray) -> dict[str, Any]:
        """How one person's texts vote (``[n, n_outputs]`` scores): per outcome, how many
        texts predict it."""
        votes: dict[str, int] = {}
        for pred in self.predictions(scores):
            for label in pred if isinstance(pred, list) else [pred]:
                votes[str(label)] = votes.get(str(label), 0) + 1
        return {"agreement": dict(sorted(votes.items(), key=lambda kv: -kv[1]))}

    # --- evaluation -------------------------------------------------------------------------
    def tune(self, targets: np.ndarray, scores: np.ndarray) -> Task:
        """The task with cut-offs tuned on dev (where the task has any)."""
        return self

    def dev_value(
        self, targets: np.ndarray, scores: np.ndarray, authors: list[Any] | None = None
    ) -> float:
        """The dev metric (what selects weights) at the cut-offs tuned on these scores: over
        authors (their rows' scores averaged, as the test is judged) when ``authors`` names
        each row's, else over rows."""
        tuned = self.tune(targets, scores)
        if authors is None:
            metrics = tuned.metrics(targets, scores)
        else:
            metrics = tuned.author_metrics(authors, targets, scores)
        value = metrics.get(self.dev_metric)
        return float(value) if value is not None else 0.0

    def author_metrics(
        self,
        authors: list[Any],
        targets: np.ndarray,
        scores: np.ndarray,
        train_targets: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """The task's metrics over authors (post scores averaged per author), with
        ``n_authors``; a sigmoid task's author target is the majority of its rows (mean >=
        0.5)."""
        names, mean_t, mean_s = per_author(authors, targets, scores)
        if self.problem_type == "multi_label_classification":
            mean_t = (mean_t >= 0.5).astype(float)
        out = self.metrics(mean_t, mean_s, train_targets) if names else {}
        out["n_authors"] = len(names)
        return out

    def majority(self, train_targets: np.ndarray) -> np.ndarray:
        """The majority baseline's scores (one row, broadcast to every test row)."""
        raise NotImplementedError

    def metrics(
        self, targets: np.ndarray, scores: np.ndarray, train_targets: np.ndarray | None = None
    ) -> dict[str, Any]:
        """Test metrics under the task's top-level names; ``train_targets`` adds the
        majority baseline's where the task reports one."""
        raise NotImplementedError

    def majority_scores(self, train_targets: np.ndarray, n: int) -> np.ndarray:
        """``[n, n_outputs]`` scores of always predicting the training majority."""
        return np.tile(self.majority(train_targets), (n, 1)).astype(np.float32)

    # --- storage ----------------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """JSON-able description (``name`` + fields) stored in the model config."""
        fields = {
            f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self) if f.init
        }
        return {"name": self.name, **fields}


def per_author(
    authors: list[Any], targets: np.ndarray, scores: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Authors (first-seen order; rows without one left out), their mean scores and their
    targets (the mean of their rows' targets: one label per author, as MBTI data has)."""
    order: dict[str, list[int]] = {}
    for i, author in enumerate(authors):
        if author is not None and str(author) != "":
            order.setdefault(str(author), []).append(i)
    names = list(order)
    targets, scores = np.asarray(targets, dtype=float), np.asarray(scores, dtype=float)
    width = targets.shape[1] if targets.ndim == 2 else 1
    mean_t = np.asarray([targets[idx].mean(axis=0) for idx in order.values()]).reshape(-1, width)
    mean_s = np.asarray([scores[idx].mean(axis=0) for idx in order.values()]).reshape(-1, width)
    return names, mean_t, mean_s


def check_label_column(ds: datasets.Dataset, *, file: str) -> None:
    if "label" not in ds.column_names:
        raise InputError("has no label column (name it with --label-col)", file=file, field="label")


def weighted_mean(per_row: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``per_row``, weighted by ``weight`` when given."""
    if weight is None:
        return per_row.mean()
    w = weight.float()
    return (per_row * w).sum() / w.sum().clamp(min=1e-8)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function in float64, without overflow warnings at large logits."""
    from scipy.special import expit

    return expit(np.asarray(x, dtype=np.float64))


def softmax(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def pos_weight_of(targets: np.ndarray) -> tuple[float, ...]:
    """Per-output ``pos_weight`` = negatives / positives (1 where a label never occurs)."""
    pos = np.asarray(targets, dtype=np.float64).sum(axis=0)
    neg = len(targets) - pos
    return tuple(float(n / p) if p > 0 else 1.0 for n, p in zip(neg, pos, strict=True))


def bce_rows(
    logits: torch.Tensor, targets: torch.Tensor, pos_weight: tuple[float, ...] | None
) -> torch.Tensor:
    """Binary cross-entropy per output (with ``pos_weight``), averaged per row."""
    weight = torch.tensor(pos_weight, device=logits.device) if pos_weight else None
    return torch.nn.functional.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=weight, reduction="none"
    ).mean(dim=1)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def metric_value(metrics: dict[str, Any], key: str) -> float | None:
    """A number in a metrics dict by its report name: ``accuracy``, or a dotted path into a
    nested dict (``E/I.accuracy``); ``None`` when it is missing or not a number."""
    value: Any = metrics
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
