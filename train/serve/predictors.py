"""What a server can answer, whatever the task: a :class:`Classifier` (``predict`` per text,
``author`` for one person's texts), a :class:`PairScorer` (a regression model's score per
sentence pair) and/or a :class:`Similarity` (the cosine of any sentence-transformers model).

Implementations: :class:`MbtiClassifier` (four sigmoid axes, the type composed from them),
:class:`TaskClassifier` (``single``: a label; ``multi``: the labels over their cut-offs; both
with per-label probabilities), :class:`RegressionScorer` (a cross- or bi-encoder regression
model, scores on its task's range) and :class:`BiEncoderSimilarity`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from schemas.errors import InputError
from schemas.labels import AXIS_NAMES, MBTI, MBTI_AXES


class Classifier(Protocol):
    """A model that labels texts."""

    task: str
    labels: list[str]
    name: str

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        """One ``{"label", "probabilities": {label: p}, ...}`` per text."""

    def author(self, predictions: list[dict[str, Any]]) -> dict[str, Any]:
        """One person's ``label`` from the predictions of their texts, with the agreement."""


class PairScorer(Protocol):
    """A model that scores sentence pairs on its task's range."""

    task: str
    name: str
    score_range: tuple[float, float]

    def score(self, pairs: list[tuple[str, str]]) -> list[float]:
        """One score per pair."""


class Similarity(Protocol):
    """A model that scores sentence pairs."""

    name: str

    def similarity(self, pairs: list[tuple[str, str]]) -> list[float]:
        """One score per pair."""


class MbtiClassifier:
    """A phase-3 MBTI model: per-axis probabilities, the type composed with the model's
    thresholds, and a probability for each of the 16 types (the product of its poles)."""

    task = "mbti"
    labels = list(MBTI.labels)

    def __init__(self, model_dir: Path, device: str | None = None, batch_size: int = 32) -> None:
        from train.predict import Predictor

        self.name = str(model_dir)
        self.batch_size = batch_size
        self.predictor = Predictor(model_dir, device=device)
        self.thresholds = self.predictor.thresholds

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        probs = self.predictor.probabilities(texts, self.batch_size)
        return [self._one(row.tolist()) for row in probs]

    def _one(self, second: list[float]) -> dict[str, Any]:
        axes = {
            name: {a: round(1 - p, 6), b: round(p, 6)}
            for name, (a, b), p in zip(AXIS_NAMES, MBTI_AXES, second, strict=True)
        }
        bits = [int(p >= t) for p, t in zip(second, self.thresholds, strict=True)]
        probabilities = {}
        for label in self.labels:
            p = 1.0
            for name, letter in zip(AXIS_NAMES, label, strict=True):
                p *= axes[name][letter]
            probabilities[label] = round(p, 6)
        return {"label": MBTI.from_bits(bits), "probabilities": probabilities, "axes": axes}

    def author(self, predictions: list[dict[str, Any]]) -> dict[str, Any]:
        """Per axis: how many texts vote for each pole; the majority pole (a tie goes to the
        mean probability against the axis threshold)."""
        axes = {}
        letters = []
        for i, (name, (a, b)) in enumerate(zip(AXIS_NAMES, MBTI_AXES, strict=True)):
            votes = {a: 0, b: 0}
            for pred in predictions:
                votes[pred["label"][i]] += 1
            mean_b = sum(p["axes"][name][b] for p in predictions) / len(predictions)
            if votes[a] != votes[b]:
                pole = a if votes[a] > votes[b] else b
            else:
                pole = b if mean_b >= self.thresholds[i] else a
            letters.append(pole)
            axes[name] = {
                "votes": votes,
                "pole": pole,
                "agreement": round(votes[pole] / len(predictions), 6),
                "mean_probability": {a: round(1 - mean_b, 6), b: round(mean_b, 6)},
            }
        return {"label": "".join(letters), "n_texts": len(predictions), "axes": axes}


class TaskClassifier:
    """A ``single`` or ``multi`` model: per-label probabilities and the task's prediction
    (``label`` for single, ``labels`` over the cut-offs for multi, with the ``cutoffs``)."""

    def __init__(self, model_dir: Path, device: str | None = None, batch_size: int = 32) -> None:
        from train.tasks.predict import TaskPredictor

        self.name = str(model_dir)
        self.batch_size = batch_size
        self.predictor = TaskPredictor(model_dir, device=device)
        self.spec = self.predictor.task
        self.task = self.spec.name
        self.labels = list(self.spec.output_names)

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        return [self._one(row) for row in self.predictor.scores(texts, None, self.batch_size)]

    def _one(self, probs: np.ndarray) -> dict[str, Any]:
        (prediction,) = self.spec.predictions(np.asarray(probs).reshape(1, -1))
        out: dict[str, Any] = {
            "labels" if isinstance(prediction, list) else "label": prediction,
            "probabilities": {
                lab: round(float(p), 6) for lab, p in zip(self.labels, probs, strict=True)
            },
        }
        cutoffs = getattr(self.spec, "active_cutoffs", None)
        if cutoffs is not None:
            out["cutoffs"] = {
                lab: round(float(c), 6) for lab, c in zip(self.labels, cutoffs, strict=True)
            }
        return out

    def author(self, predictions: list[dict[str, Any]]) -> dict[str, Any]:
        """The prediction of the mean probabilities, with ``agreement``: how many texts
        predict each label."""
        probs = [[p["probabilities"][lab] for lab in self.labels] for p in predictions]
        votes: Counter[str] = Counter()
        for pred in predictions:
            votes.update(pred["labels"] if "labels" in pred else [pred["label"]])
        return {
            **self._one(np.mean(probs, axis=0)),
            "n_texts": len(predictions),
            "agreement": dict(votes.most_common()),
        }


class RegressionScorer:
    """A regression model (cross- or bi-encoder): a pair's score on the task's range."""

    task = "regression"

    def __init__(self, model_dir: Path, device: str | None = None, batch_size: int = 32) -> None:
        from train.tasks.predict import load_task_predictor

        self.name = str(model_dir)
        self.batch_size = batch_size
        self.predictor = load_task_predictor(model_dir, device)
        self.score_range: tuple[float, float] = self.predictor.task.score_range  # type: ignore[attr-defined]

    def score(self, pairs: list[tuple[str, str]]) -> list[float]:
        scores = self.predictor.scores([a for a, _ in pairs], [b for _, b in pairs])
        return [round(s, 6) for s in self.predictor.task.predictions(scores)]


class BiEncoderSimilarity:
    """Cosine similarity of two sentences' embeddings under a sentence-transformers model."""

    def __init__(self, model: str, device: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        from schemas.models import resolve_model

        path = resolve_model(model)
        self.name = model
        try:
            self.model = SentenceTransformer(path, device=device)
        except (OSError, ValueError) as err:
            raise InputError(
                f"not a loadable sentence-transformers model ({type(err).__name__})", file=model
            ) from None

    def similarity(self, pairs: list[tuple[str, str]]) -> list[float]:
        firsts = self.model.encode([a for a, _ in pairs], normalize_embeddings=True)
        seconds = self.model.encode([b for _, b in pairs], normalize_embeddings=True)
        return [round(float((x * y).sum()), 6) for x, y in zip(firsts, seconds, strict=True)]


@dataclass
class Models:
    """What one server holds: a classifier or a pair scorer, and/or a similarity model."""

    classifier: Classifier | None
    similarity: Similarity | None
    scorer: PairScorer | None = None


def is_sentence_transformer(path: str | Path) -> bool:
    """A sentence-transformers model directory (or the bundled MiniLM)."""
    from schemas.models import BUNDLED_MINILM

    path = Path(path)
    return str(path) == BUNDLED_MINILM or (path / "modules.json").is_file()


def locate_model(run: str | Path) -> Path | None:
    """The phase-3 model directory inside ``run``, or ``None`` when ``run`` is a
    sentence-transformers model; an :class:`InputError` when it holds neither (cheap: nothing
    is loaded)."""
    from train.predict import PHASE3_MODEL_TYPES, find_model_dir, model_type

    if is_sentence_transformer(run) and model_type(Path(run)) not in PHASE3_MODEL_TYPES:
        return None
    try:
        model_dir = find_model_dir(run)
    except InputError as err:
        raise InputError(
            "holds no model to serve (a phase-3 model of `train phase3`/`train all`, or a "
            "sentence-transformers model)",
            file=err.file,
        ) from None
    if not any(model_dir.glob("*.safetensors")) and not any(model_dir.glob("*.bin")):
        raise InputError("has a model config.json but no weights", file=model_dir)
    return model_dir


def load_models(
    run: str | Path, *, embedder: str | None = None, device: str | None = None, batch_size: int = 32
) -> Models:
    """The models to serve: ``run`` is a ``train`` run or model directory (a classifier; with
    ``embedder``, also similarity) or a sentence-transformers model (similarity only)."""
    from train.predict import AXIS_MODEL_TYPE, BI_MODEL_TYPE, model_type

    model_dir = locate_model(run)
    if model_dir is None:
        if embedder is not None:
            raise InputError("--embedder is for a classifier run; RUN is already an embedder")
        return Models(classifier=None, similarity=BiEncoderSimilarity(str(run), device))
    similarity = BiEncoderSimilarity(embedder, device) if embedder else None
    if model_type(model_dir) == AXIS_MODEL_TYPE:
        return Models(MbtiClassifier(model_dir, device, batch_size), similarity)
    if model_type(model_dir) == BI_MODEL_TYPE or task_name(model_dir) == "regression":
        return Models(None, similarity, RegressionScorer(model_dir, device, batch_size))
    return Models(TaskClassifier(model_dir, device, batch_size), similarity)


def task_name(model_dir: Path) -> str | None:
    """The task of a saved task model's config (cheap: the model is not loaded)."""
    import json

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    return (config.get("task_spec") or {}).get("name")
