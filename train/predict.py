"""``train predict``: per-axis probabilities and the composed type for new texts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from schemas.errors import InputError
from schemas.options import option

AXIS_MODEL_TYPE = "mbti_axis_classifier"


def find_model_dir(run: str | Path) -> Path:
    """The phase-3 model inside ``run``: ``run`` itself, ``run/model``, or the first (sorted)
    phase-3 model directory below it."""
    run = Path(run)
    if not run.is_dir():
        raise InputError("no such run or model directory", file=run)
    for cand in (run, run / "model", *sorted(p.parent for p in run.rglob("config.json"))):
        cfg = cand / "config.json"
        if cfg.is_file():
            try:
                if json.loads(cfg.read_text(encoding="utf-8")).get("model_type") == AXIS_MODEL_TYPE:
                    return cand
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                continue
    raise InputError("holds no phase-3 model (config.json of an MBTI axis classifier)", file=run)


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
    """Texts of ``--file``: a table with a ``text`` column, or one text per line."""
    from schemas.io import TABLE_SUFFIXES, read_table

    if path.suffix.lower() in TABLE_SUFFIXES:
        return [str(t) for t in read_table(path, required=["text"])["text"]]
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


def format_table(texts: list[str], preds: list[dict[str, Any]]) -> str:
    from schemas.labels import AXIS_NAMES, MBTI

    head = f"{'type':<5} " + " ".join(f"{'p(' + b + ')':>6}" for _, b in MBTI.axes) + "  text"
    lines = [head]
    for text, p in zip(texts, preds, strict=True):
        short = text if len(text) <= 60 else text[:57] + "..."
        probs = " ".join(f"{p['probs'][a]:>6.3f}" for a in AXIS_NAMES)
        lines.append(f"{p['type']:<5} {probs}  {short}")
    return "\n".join(lines)


@dataclass
class PredictOptions:
    """``train predict``'s options."""

    run: Path = option(argument=True, help="A train run or phase-3 model directory.")
    texts: list[str] | None = option(None, argument=True, help="Texts to classify.")
    file: Path | None = option(None, help="Texts: one per line, or a table (text).")
    fmt: str = option("table", flag="--format", help="table or jsonl.")
    batch_size: int = option(32, help="Batch size.")

    def __post_init__(self) -> None:
        if self.fmt not in ("table", "jsonl"):
            raise InputError(f"unknown --format {self.fmt!r} (table or jsonl)")
        if bool(self.texts) == (self.file is not None):
            raise InputError("give either TEXT arguments or --file, not both or neither")


def command(opts: PredictOptions) -> None:
    """Per-axis probabilities (of I, N, F, P) and the composed type for each text."""
    items = list(opts.texts) if opts.texts else read_texts(opts.file)  # type: ignore[arg-type]
    predictor = load_predictor(opts.run)
    preds = predictor.predict(items, batch_size=opts.batch_size)
    if opts.fmt == "jsonl":
        for text, p in zip(items, preds, strict=True):
            typer.echo(json.dumps({"text": text, **p}, ensure_ascii=False))
    else:
        typer.echo(format_table(items, preds))
