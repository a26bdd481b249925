"""Teachers that label silver candidates: a calibrated linear model or k-NN on the bi-encoder's
embeddings (trained on gold), or a fine-tuned Hugging Face sequence classifier given by path.

Every teacher returns class probabilities with one column per label of ``labels`` (gold order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from schemas.errors import InputError
from schemas.labels import MBTI

BUILTIN_TEACHERS = ("logreg", "knn")


class Teacher(Protocol):
    name: str
    labels: tuple[str, ...]
    #: True when ``fit`` learns from gold (so a k-fold precision estimate is honest).
    trains_on_gold: bool

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> Teacher: ...

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray: ...


class _SklearnTeacher:
    """Shared ``predict_proba`` for scikit-learn estimators trained on class ids."""

    trains_on_gold = True

    def __init__(self, labels: Sequence[str], seed: int = 0) -> None:
        self.labels = tuple(labels)
        self.seed = seed
        self.model = None

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(emb), len(self.labels)), dtype=np.float32)
        if len(emb):
            out[:, self.model.classes_] = self.model.predict_proba(emb)
        return out


class LogregTeacher(_SklearnTeacher):
    """Logistic regression on embeddings, sigmoid-calibrated by cross-validation when every
    class has at least two examples."""

    name = "logreg"

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> LogregTeacher:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression

        base = LogisticRegression(max_iter=2000, random_state=self.seed)
        folds = min(3, int(np.unique(y, return_counts=True)[1].min()))
        self.model = CalibratedClassifierCV(base, cv=folds) if folds >= 2 else base
        self.model.fit(emb, y)
        return self


class KnnTeacher(_SklearnTeacher):
    """Distance-weighted k nearest gold neighbours (cosine) on embeddings."""

    name = "knn"

    def __init__(self, labels: Sequence[str], seed: int = 0, k: int = 10) -> None:
        super().__init__(labels, seed)
        self.k = k

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> KnnTeacher:
        from sklearn.neighbors import KNeighborsClassifier

        self.model = KNeighborsClassifier(
            n_neighbors=min(self.k, len(y)), weights="distance", metric="cosine"
        )
        self.model.fit(emb, y)
        return self


class HFClassifierTeacher:
    """A fine-tuned ``AutoModelForSequenceClassification``, used as is (``fit`` does nothing).

    Its ``id2label`` must name the gold labels (softmax over them), or, for MBTI gold, the four
    axes ``E/I``, ``S/N``, ``T/F``, ``J/P`` (sigmoid per axis = probability of the second pole);
    then a type's probability is the product of its four axis probabilities.
    """

    name = "hf-classifier"
    trains_on_gold = False

    def __init__(self, path: str | Path, labels: Sequence[str], batch_size: int = 64) -> None:
        self.labels = tuple(labels)
        self.path = str(path)
        self.batch_size = batch_size
        self.model, self.tokenizer = _load_classifier(Path(path))
        names = [str(v) for _, v in sorted(self.model.config.id2label.items())]
        upper = [n.upper() for n in names]
        if set(lab.upper() for lab in self.labels) <= set(upper):
            self.mode = "labels"
            self.columns = [upper.index(lab.upper()) for lab in self.labels]
        elif upper == [a.upper() for a in MBTI.axis_names] and all(lab in MBTI for lab in labels):
            self.mode = "axes"
            self.bits = np.array([MBTI.to_bits(lab) for lab in self.labels], dtype=np.float32)
        else:
            raise InputError(
                f"classifier labels {names} match neither the gold labels nor the MBTI axes "
                f"{list(MBTI.axis_names)}",
                file=path,
            )

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> HFClassifierTeacher:
        return self

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        import torch

        logits = []
        device = self.model.device
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(
                    list(texts[start : start + self.batch_size]),
                    padding=True,
                    truncation=True,
                    return_tensors="pt",
                ).to(device)
                logits.append(self.model(**batch).logits.float().cpu())
        if not logits:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        z = torch.cat(logits)
        if self.mode == "labels":
            probs = torch.softmax(z, dim=-1).numpy()[:, self.columns]
            return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
        p = torch.sigmoid(z).numpy()[:, None, :]  # (n, 1, 4): P(second pole) per axis
        per_type = np.where(self.bits[None] == 1, p, 1.0 - p).prod(axis=-1)
        return per_type.astype(np.float32)


def _load_classifier(path: Path):
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    if not (path / "config.json").is_file():
        raise InputError(
            f"--teacher must be {' or '.join(BUILTIN_TEACHERS)} or a fine-tuned classifier "
            "directory with config.json",
            file=path,
        )
    try:
        config = AutoConfig.from_pretrained(str(path))
    except Exception as err:  # transformers raises several types for unreadable configs
        raise InputError(f"unreadable model config ({type(err).__name__})", file=path) from None
    if not any(a.endswith("ForSequenceClassification") for a in config.architectures or []):
        raise InputError(
            f"not a sequence-classification model (architectures: {config.architectures})",
            file=path,
        )
    import torch

    model = AutoModelForSequenceClassification.from_pretrained(str(path))
    model.to("cuda" if torch.cuda.is_available() else "cpu").eval()
    return model, AutoTokenizer.from_pretrained(str(path))


def make_teacher(spec: str, labels: Sequence[str], *, seed: int = 0) -> Teacher:
    """``logreg``, ``knn``, or a path to a fine-tuned sequence-classification model."""
    if spec == "logreg":
        return LogregTeacher(labels, seed)
    if spec == "knn":
        return KnnTeacher(labels, seed)
    path = Path(spec)
    if not path.exists():
        raise InputError(
            f"unknown teacher (use {', '.join(BUILTIN_TEACHERS)} or a classifier directory)",
            file=spec,
        )
    return HFClassifierTeacher(path, labels)
