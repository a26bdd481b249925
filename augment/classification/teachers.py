"""Teachers that label silver candidates. A teacher should know more than the student (an
embedding classifier): ``tfidf`` sees the words and characters instead of the embedding,
``axis`` learns the four MBTI axes, ``finetune`` fine-tunes the bi-encoder as a classifier,
``llm`` reads labels an LLM gave the pool; ``mean:A+B`` / ``agree:A+B`` combine teachers.
``logreg``/``knn`` work on the student's own embeddings; a directory is a fine-tuned classifier.

Every teacher returns class probabilities with one column per label of ``labels`` (gold order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from schemas.errors import InputError
from schemas.labels import MBTI

BUILTIN_TEACHERS = ("tfidf", "axis", "finetune", "llm", "logreg", "knn")
COMBINERS = ("mean", "agree")


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


class TfidfTeacher(_SklearnTeacher):
    """Logistic regression on word 1-2-gram + character 2-5-gram TF-IDF: another view of the
    text than the student's embeddings (tweets, 40 gold/class: +1.1 macro-F1 vs -0.7 for
    ``logreg``)."""

    name = "tfidf"

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> TfidfTeacher:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        classifier = LogisticRegression(C=10.0, max_iter=3000, random_state=self.seed)
        self.model = make_pipeline(features, classifier).fit(list(texts), y)
        return self

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        return super().predict_proba(list(texts), texts)


class AxisTeacher:
    """MBTI: one class-balanced logistic regression per axis on the embeddings; a type's
    probability is the product of its four pole probabilities (renormalised over ``labels``)."""

    name = "axis"
    trains_on_gold = True

    def __init__(self, labels: Sequence[str], seed: int = 0) -> None:
        if not all(lab in MBTI for lab in labels):
            raise InputError("--teacher axis needs MBTI type labels (--label-set mbti)")
        self.labels = tuple(labels)
        self.seed = seed
        self.bits = np.array([MBTI.to_bits(lab) for lab in self.labels], dtype=np.int64)
        self.models: list = []

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> AxisTeacher:
        from sklearn.linear_model import LogisticRegression

        self.models = []
        for axis in range(4):
            target = self.bits[y, axis]
            if len(np.unique(target)) < 2:  # one pole only in gold: no evidence either way
                self.models.append(float(target[0]))
                continue
            model = LogisticRegression(
                max_iter=3000, class_weight="balanced", random_state=self.seed
            )
            self.models.append(model.fit(emb, target))
        return self

    def predict_axes(self, emb: np.ndarray) -> np.ndarray:
        """``(n, 4)``: probability of each axis's second pole (I, N, F, P)."""
        cols = [
            np.full(len(emb), m) if isinstance(m, float) else m.predict_proba(emb)[:, 1]
            for m in self.models
        ]
        return np.stack(cols, axis=1) if len(emb) else np.zeros((0, 4))

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        p = self.predict_axes(emb)[:, None, :]
        per_type = np.where(self.bits[None] == 1, p, 1.0 - p).prod(axis=-1)
        total = per_type.sum(axis=1, keepdims=True)
        return (per_type / np.where(total > 0, total, 1.0)).astype(np.float32)


class EnsembleTeacher:
    """Mean of the members' probabilities; ``agree`` keeps a row only where every member's
    top label is the mean's top label (other rows get all-zero probabilities: never silver)."""

    def __init__(self, members: Sequence[Teacher], *, agree: bool) -> None:
        self.members = list(members)
        self.agree = agree
        self.labels = self.members[0].labels
        self.name = ("agree:" if agree else "mean:") + "+".join(m.name for m in members)
        self.trains_on_gold = any(m.trains_on_gold for m in members)

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> EnsembleTeacher:
        for member in self.members:
            member.fit(emb, texts, y)
        return self

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        probs = [m.predict_proba(emb, texts) for m in self.members]
        mean = np.mean(probs, axis=0).astype(np.float32)
        if self.agree and len(mean):
            top = mean.argmax(axis=1)
            mean *= np.all([p.argmax(axis=1) == top for p in probs], axis=0)[:, None]
        return mean


class LlmLabelsTeacher:
    """Labels an LLM gave pool texts, read from a JSONL file of ``{"text", "label"}`` rows
    (optional ``"confidence"`` in (0, 1], default 1): the chosen label gets the confidence,
    the rest share what is left. Texts the file does not label get all-zero rows (never
    silver). The file comes from ``datagen label`` (the datagen LLM layer: its cache, cost
    estimate and offline backend); augment does not call an LLM itself."""

    name = "llm"
    trains_on_gold = False

    def __init__(self, labels: Sequence[str], path: Path | None) -> None:
        if path is None:
            raise InputError(
                "--teacher llm needs --llm-labels FILE (pool labels written by `datagen label`, "
                "online or offline backend): augment does not call an LLM endpoint"
            )
        from schemas.io import read_table
        from schemas.text import exact_key

        self.labels = tuple(labels)
        col = {lab: i for i, lab in enumerate(self.labels)}
        table = read_table(Path(path), required=["text", "label"])
        conf = table["confidence"] if "confidence" in table.column_names else None
        self.rows: dict[str, np.ndarray] = {}
        for row, (text, label) in enumerate(zip(table["text"], table["label"], strict=True)):
            if str(label) not in col:
                raise InputError(
                    f"label {label!r} is not a gold label", file=path, row=row + 1, field="label"
                )
            c = 1.0 if conf is None or conf[row] is None else float(conf[row])
            if not 0.0 < c <= 1.0:
                raise InputError("confidence must be in (0, 1]", file=path, row=row + 1)
            rest = (1.0 - c) / max(1, len(self.labels) - 1)
            probs = np.full(len(self.labels), rest, dtype=np.float32)
            probs[col[str(label)]] = c
            self.rows[exact_key(str(text))] = probs
        self.key = exact_key

    def fit(self, emb: np.ndarray, texts: Sequence[str], y: np.ndarray) -> LlmLabelsTeacher:
        return self

    def predict_proba(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        zero = np.zeros(len(self.labels), dtype=np.float32)
        rows = [self.rows.get(self.key(t), zero) for t in texts]
        return np.stack(rows) if rows else np.zeros((0, len(self.labels)), np.float32)


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


def default_teacher(labels: Sequence[str]) -> str:
    """The teacher that measured best on a CPU: ``axis`` for MBTI types, else the mean of
    ``tfidf`` and ``logreg`` (words and characters + the embedding; tweets, 40 gold per class,
    silver precision at 40 rows per class 0.50 vs 0.48 for ``tfidf`` and 0.42 for ``logreg``;
    ``finetune`` labels more rows right but costs minutes per fold on a CPU)."""
    return "axis" if all(lab in MBTI for lab in labels) else "mean:tfidf+logreg"


def make_teacher(
    spec: str,
    labels: Sequence[str],
    *,
    seed: int = 0,
    embedder: str | None = None,
    llm_labels: Path | None = None,
) -> Teacher:
    """A builtin name, ``mean:A+B`` / ``agree:A+B``, or a fine-tuned classifier directory."""
    combiner, _, members = spec.partition(":")
    if members and combiner in COMBINERS:
        parts = [
            make_teacher(m, labels, seed=seed, embedder=embedder, llm_labels=llm_labels)
            for m in members.split("+")
        ]
        if len(parts) < 2:
            raise InputError(f"--teacher {spec}: an ensemble needs two or more teachers")
        return EnsembleTeacher(parts, agree=combiner == "agree")
    if spec == "logreg":
        return LogregTeacher(labels, seed)
    if spec == "knn":
        return KnnTeacher(labels, seed)
    if spec == "tfidf":
        return TfidfTeacher(labels, seed)
    if spec == "axis":
        return AxisTeacher(labels, seed)
    if spec == "finetune":
        from augment.classification.finetune_teacher import FinetuneTeacher

        return FinetuneTeacher(labels, seed, embedder=embedder)
    if spec == "llm":
        return LlmLabelsTeacher(labels, llm_labels)
    path = Path(spec)
    if not path.exists():
        raise InputError(
            f"unknown teacher (use {', '.join(BUILTIN_TEACHERS)}, mean:A+B, agree:A+B, "
            "or a classifier directory)",
            file=spec,
        )
    return HFClassifierTeacher(path, labels)
