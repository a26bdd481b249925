"""``train predict``: predictions of a phase-3 model of any task for new texts (sentence
pairs for a regression model); ``--by-author`` gives one prediction per person (MBTI: one
type with the per-axis agreement of their texts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import typer

from schemas.errors import InputError
from schemas.options import group, option
from train.tasks.bi_encoder import BI_MODEL_TYPE, is_bi_encoder
from train.tasks.columns import InputColumns

AXIS_MODEL_TYPE = "mbti_axis_classifier"
TASK_MODEL_TYPE = "mbtikit_task_model"
PHASE3_MODEL_TYPES = (AXIS_MODEL_TYPE, TASK_MODEL_TYPE, BI_MODEL_TYPE)


def model_type(model_dir: Path) -> str | None:
    """The kind of model in ``model_dir``: a bi-encoder output's, else its config.json's
    ``model_type`` (``None`` without a readable one)."""
    if is_bi_encoder(model_dir):
        return BI_MODEL_TYPE
    try:
        value = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["model_type"]
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def find_model_dir(run: str | Path, model_types: tuple[str, ...] = PHASE3_MODEL_TYPES) -> Path:
    """The phase-3 model inside ``run``: ``run`` itself, ``run/model``, or the first (sorted)
    phase-3 model directory below it (of one of ``model_types``)."""
    run = Path(run)
    if not run.is_dir():
        raise InputError("no such run or model directory", file=run)
    for cand in (run, run / "model", *sorted(p.parent for p in run.rglob("config.json"))):
        if model_type(cand) in model_types:
            return cand
    raise InputError("holds no phase-3 model (config.json of a `train phase3` model)", file=run)


class Predictor:
    """A loaded phase-3 model: ``predict(texts)`` -> ``[{"type", "probs": {axis: p}}]``.

    Texts get their type mentions masked when the model was trained that way; the type is
    composed from the axes with the model's (static or tuned) thresholds.
    """

    def __init__(self, model_dir: Path, device: str | None = None, max_length: int = 256):
        import torch
        from transformers import AutoTokenizer

        from train.models import MbtiAxisClassifier

        self.model_dir = model_dir
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = MbtiAxisClassifier.from_pretrained(model_dir).to(self.device).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.thresholds = list(self.model.config.thresholds)
        self.max_length = max_length

    def probabilities(self, texts: list[str], batch_size: int = 32) -> Any:
        """``[n, 4]`` probabilities of the second pole of each axis."""
        import numpy as np
        import torch

        from schemas.type_mentions import mask_type_mentions

        if self.model.config.mask_types:
            texts = [mask_type_mentions(t).text for t in texts]
        out = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                logits = self.model(**enc).logits
            out.append(torch.sigmoid(logits.float()).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 4))

    def predict(self, texts: list[str], batch_size: int = 32) -> list[dict[str, Any]]:
        from schemas.labels import AXIS_NAMES, MBTI
        from train.metrics import predict_bits

        probs = self.probabilities(texts, batch_size)
        bits = predict_bits(probs, self.thresholds) if len(probs) else []
        return [
            {
                "type": MBTI.from_bits(b),
                "probs": {a: round(float(p), 6) for a, p in zip(AXIS_NAMES, row, strict=True)},
            }
            for b, row in zip(bits, probs, strict=True)
        ]


def load_predictor(run_or_model_dir: str | Path, device: str | None = None) -> Predictor:
    """Load the phase-3 model of a run (or a model directory) for prediction."""
    return Predictor(find_model_dir(run_or_model_dir), device=device)


def read_texts(path: Path) -> list[str]:
    """Texts of a plain-text ``--file``: one per line."""
    if not path.is_file():
        raise InputError("no such file", file=path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", file=path) from None
    texts = [line for line in lines if line.strip()]
    if not texts:
        raise InputError("is empty (no texts)", file=path)
    return texts


def read_inputs(path: Path, columns: InputColumns, task: Any) -> datasets.Dataset:
    """``--file`` as ``text`` (``text_pair``, ``author`` where present): a table, its
    columns mapped as training maps them, or one text per line."""
    from schemas.io import TABLE_SUFFIXES, read_table
    from train.tasks.columns import map_columns

    if path.suffix.lower() not in TABLE_SUFFIXES:
        return datasets.Dataset.from_dict({"text": read_texts(path)})
    table = read_table(path)
    if len(table) == 0:
        raise InputError("is empty (no texts)", file=path)
    return map_columns(table, columns, task, file=str(path), require_label=False)


def format_table(texts: list[str], preds: list[dict[str, Any]]) -> str:
    from schemas.labels import AXIS_NAMES, MBTI

    head = f"{'type':<5} " + " ".join(f"{'p(' + b + ')':>6}" for _, b in MBTI.axes) + "  text"
    lines = [head]
    for text, p in zip(texts, preds, strict=True):
        probs = " ".join(f"{p['probs'][a]:>6.3f}" for a in AXIS_NAMES)
        lines.append(f"{p['type']:<5} {probs}  {_short(text)}")
    return "\n".join(lines)


def format_task_table(texts: list[str], preds: list[dict[str, Any]]) -> str:
    """Prediction, its best scores and the text, one row per text (or person)."""
    lines = []
    for text, p in zip(texts, preds, strict=True):
        top = sorted(p["scores"].items(), key=lambda kv: -kv[1])[:3]
        scores = " ".join(f"{k}={v:.3f}" for k, v in top)
        lines.append(f"{_label(p['prediction']):<24} {scores:<40} {_short(text)}")
    return "\n".join(lines)


def _label(prediction: Any) -> str:
    if isinstance(prediction, list):
        return ",".join(prediction) or "(none)"
    return f"{prediction:.3f}" if isinstance(prediction, float) else str(prediction)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class PredictOptions:
    """``train predict``'s options."""

    run: Path = option(argument=True, help="A train run or phase-3 model directory.")
    texts: list[str] | None = option(None, argument=True, help="Texts to classify.")
    file: Path | None = option(
        None, help="Texts: one per line, or a table (text; text_pair for pairs; author)."
    )
    fmt: str = option("table", flag="--format", help="table or jsonl.")
    by_author: bool = option(
        False,
        help="One prediction per author (the table's author column; otherwise all texts "
        "are one person's): mean scores, with how many texts vote for each outcome.",
    )
    batch_size: int = option(32, help="Batch size.")
    columns: InputColumns = group(InputColumns, panel="Data")

    def __post_init__(self) -> None:
        if self.fmt not in ("table", "jsonl"):
            raise InputError(f"unknown --format {self.fmt!r} (table or jsonl)")
        if bool(self.texts) == (self.file is not None):
            raise InputError("give either TEXT arguments or --file, not both or neither")


def command(opts: PredictOptions) -> None:
    """Predictions for each text (MBTI: per-axis probabilities of I, N, F, P and the type;
    other tasks: the label(s) or score with the model's scores), or per author."""
    from train.tasks import MbtiTask

    model_dir = find_model_dir(opts.run)
    axes = model_type(model_dir) == AXIS_MODEL_TYPE
    if axes:
        predictor: Any = Predictor(model_dir)
        task = MbtiTask(cutoffs=tuple(predictor.thresholds))
    else:
        from train.tasks.predict import load_task_predictor

        predictor = load_task_predictor(model_dir)
        task = predictor.task
    if opts.texts:
        rows = datasets.Dataset.from_dict({"text": list(opts.texts)})
    else:
        rows = read_inputs(opts.file, opts.columns, task)  # type: ignore[arg-type]
    if task.needs_pair and "text_pair" not in rows.column_names:
        raise InputError(
            "a regression model scores sentence pairs: give a --file table with both "
            "sentences (text/text_pair or sentence1/sentence2)",
            field="text_pair",
        )
    texts = list(rows["text"])
    pairs = list(rows["text_pair"]) if task.needs_pair else None
    if axes:
        scores = predictor.probabilities(texts, opts.batch_size)
        preds = predictor.predict(texts, opts.batch_size)
    else:
        scores = predictor.scores(texts, pairs, opts.batch_size)
        preds = predictor.predict(texts, pairs, opts.batch_size)
    if opts.by_author:
        authors = list(rows["author"]) if "author" in rows.column_names else None
        names, people = by_author(task, authors, scores)
        _emit(opts.fmt, names, people, "author", axes=axes)
    else:
        _emit(opts.fmt, texts, preds, "text", axes=axes)


def by_author(
    task: Any, authors: list[Any] | None, scores: Any
) -> tuple[list[str], list[dict[str, Any]]]:
    """One prediction per author from the mean of their texts' scores (MBTI: the type with
    per-axis votes; other tasks: the prediction with how many texts predict each outcome)."""
    from collections import Counter

    import numpy as np

    from train.tasks.authors import person_type

    groups: dict[str, list[int]] = {}
    for i, author in enumerate(authors or ["(all texts)"] * len(scores)):
        groups.setdefault(str(author) if author not in (None, "") else "(no author)", []).append(i)
    people = []
    for idx in groups.values():
        rows = np.asarray(scores)[idx]
        if task.name == "mbti":
            people.append(person_type(rows, task.active_cutoffs))
            continue
        mean = rows.mean(axis=0, keepdims=True)
        votes = Counter(_label(p) for p in task.predictions(rows))
        people.append(
            {
                "prediction": task.predictions(mean)[0],
                "n_texts": len(idx),
                "scores": {
                    n: round(float(s), 6) for n, s in zip(task.output_names, mean[0], strict=True)
                },
                "agreement": dict(votes.most_common()),
            }
        )
    return list(groups), people


def _emit(fmt: str, keys: list[str], preds: list[dict[str, Any]], key: str, *, axes: bool) -> None:
    if fmt == "jsonl":
        for k, p in zip(keys, preds, strict=True):
            typer.echo(json.dumps({key: k, **p}, ensure_ascii=False))
    elif axes and key == "text":
        typer.echo(format_table(keys, preds))
    elif axes:
        for k, p in zip(keys, preds, strict=True):
            votes = " ".join(
                f"{a}:{'/'.join(f'{pole}{n}' for pole, n in v.items())}"
                for a, v in p["agreement"].items()
            )
            typer.echo(f"{p['type']:<5} {p['n_texts']:>3} texts  {votes}  {k}")
    else:
        typer.echo(format_task_table(keys, preds))
