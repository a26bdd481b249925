"""What a server can answer, whatever the task: a :class:`Classifier` (``predict`` per text,
``author`` for one person's texts), a :class:`PairScorer` (a regression model's score per
sentence pair) and/or a :class:`Similarity` (the cosine of any sentence-transformers model).

Implementations: :class:`TaskClassifier` (any classification task: MBTI's type with each
axis's poles, ``single``'s label, ``multi``'s labels over their cut-offs),
:class:`RegressionScorer` (a cross- or bi-encoder regression model, scores on its task's
range) and :class:`BiEncoderSimilarity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from schemas.errors import InputError


class Classifier(Protocol):
    """A model that labels texts."""

    task: str
    labels: list[str]
    name: str
    precision: str

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        """One ``{"label", "probabilities": {label: p}, ...}`` per text."""

    def author(self, predictions: list[dict[str, Any]]) -> dict[str, Any]:
        """One person's ``label`` from the predictions of their texts, with the agreement."""


class PairScorer(Protocol):
    """A model that scores sentence pairs on its task's range."""

    task: str
    name: str
    precision: str
    score_range: tuple[float, float]

    def score(self, pairs: list[tuple[str, str]]) -> list[float]:
        """One score per pair."""


class Similarity(Protocol):
    """A model that scores sentence pairs."""

    name: str

    def similarity(self, pairs: list[tuple[str, str]]) -> list[float]:
        """One score per pair."""


class SavedModel:
    """A saved ``train`` model behind :func:`~train.predict.predictor.load_predictor`: what
    :class:`TaskClassifier` and :class:`RegressionScorer` share."""

    def __init__(
        self, model_dir: Path, device: str | None = None, batch_size: int = 32,
        precision: str = "auto",
    ) -> None:  # fmt: skip
        from train.predict.predictor import load_predictor

        self.name = str(model_dir)
        self.batch_size = batch_size
        self.predictor = load_predictor(model_dir, device, precision)
        self.precision = self.predictor.precision


class TaskClassifier(SavedModel):
    """A classifier of any task (``mbti``, ``single``, ``multi``): per text the task's answer
    (:meth:`~train.tasks.base.Task.describe`), per person the shared rule of
    :func:`train.tasks.authors.person` (the answer for the mean scores, with the votes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = self.predictor.task
        self.task = self.spec.name
        self.labels = list(self.spec.phase_labels or self.spec.output_names)

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        scores = self.predictor.scores(texts, None, self.batch_size)
        return [{**self.spec.describe(row), "scores": row.tolist()} for row in scores]

    def author(self, predictions: list[dict[str, Any]]) -> dict[str, Any]:
        from train.tasks.authors import person

        return person(self.spec, np.asarray([p["scores"] for p in predictions]))


class RegressionScorer(SavedModel):
    """A regression model (cross- or bi-encoder): a pair's score on the task's range."""

    task = "regression"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.score_range: tuple[float, float] = self.predictor.task.score_range  # type: ignore[attr-defined]

    def score(self, pairs: list[tuple[str, str]]) -> list[float]:
        scores = self.predictor.scores([a for a, _ in pairs], [b for _, b in pairs])
        return [round(s, 6) for s in self.predictor.task.predictions(scores)]


class BiEncoderSimilarity:
    """Cosine similarity of two sentences' embeddings under a sentence-transformers model."""

    def __init__(
        self, model: str, device: str | None = None, precision: str = "auto", backend: str = "auto"
    ) -> None:
        from train.engine.encoding import load_encoder

        self.name = model
        try:
            self.model = load_encoder.__wrapped__(model, device, precision, backend)
        except (OSError, ValueError) as err:
            raise InputError(
                f"not a loadable sentence-transformers model ({type(err).__name__})", file=model
            ) from None

    def similarity(self, pairs: list[tuple[str, str]]) -> list[float]:
        from train.tasks.bi_encoder import pair_cosine

        cosines = pair_cosine(self.model, [a for a, _ in pairs], [b for _, b in pairs])
        return [round(float(c), 6) for c in cosines]


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
    from train.predict.predictor import find_model_dir, is_phase3_model

    if is_sentence_transformer(run) and not is_phase3_model(Path(run)):
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
    run: str | Path,
    *,
    embedder: str | None = None,
    device: str | None = None,
    batch_size: int = 32,
    precision: str = "auto",
    backend: str = "auto",
) -> Models:
    """The models to serve: ``run`` is a ``train`` run or model directory (a classifier; with
    ``embedder``, also similarity) or a sentence-transformers model (similarity only); every
    model runs in ``precision`` (``--encode-precision``), the similarity model on ``backend``
    (``--encode-backend``; classifiers run in torch)."""
    from train.engine.encoding import TORCH_BACKENDS
    from train.tasks.bi_encoder import is_bi_encoder

    model_dir = locate_model(run)
    if model_dir is None:
        if embedder is not None:
            raise InputError("--embedder is for a classifier run; RUN is already an embedder")
        similarity = BiEncoderSimilarity(str(run), device, precision, backend)
        return Models(classifier=None, similarity=similarity)
    if embedder is None and backend not in TORCH_BACKENDS:
        raise InputError("the classifier runs in torch: give torch or auto (or an --embedder "
                         "to run on it)", field="--encode-backend")  # fmt: skip
    similarity = BiEncoderSimilarity(embedder, device, precision, backend) if embedder else None
    if is_bi_encoder(model_dir) or task_name(model_dir) == "regression":
        return Models(None, similarity, RegressionScorer(model_dir, device, batch_size, precision))
    return Models(TaskClassifier(model_dir, device, batch_size, precision), similarity)


def task_name(model_dir: Path) -> str | None:
    """The task of a saved task model's config (cheap: the model is not loaded)."""
    import json

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    return (config.get("task_spec") or {}).get("name")
