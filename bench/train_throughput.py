"""Phase-3 training throughput: our path vs the Hugging Face Trainer set up two ways (run on
demand; a benchmark, not a test).

- ``ours``: the phase-3 model (:class:`train.models.TaskModel` of the MBTI task), texts tokenised
  without padding, :class:`train.engine.collators.ClassificationCollator` (pad to the longest
  row of the batch) and length-grouped batches (``train.engine.trainer.training_arguments``).
- ``best``: the library's best practice: the same encoder as
  ``AutoModelForSequenceClassification`` (4 labels, multi-label BCE), ``DataCollatorWithPadding``
  (dynamic padding, multiples of 8 on GPU) and ``train_sampling_strategy="group_by_length"``.
  Target: ours / best >= 1.0.
- ``maxlen``: the same library model with every text padded to ``--max-length``, random
  batches and ``default_data_collator`` (what most tutorials do).
- ``ours_fwe``: ``ours`` with ``--freeze-word-embeddings`` (the word embeddings, half of
  MiniLM's weights, get no gradient and no optimiser update).
- ``ours_bf16`` / ``best_bf16``: ``ours`` / ``best`` in bf16 mixed precision (``--bf16``;
  ``TrainingArguments(bf16=True)``) on the CPU too (without ``--gpu`` the others run fp32).

After training, each contender's dev loss (binary cross-entropy per output, the mean over the
``--dev-posts`` held-out posts) says whether a faster set-up learnt as much in its steps.

Same data, batch size and number of steps; the first ``--warmup`` steps are not timed. The
contenders run interleaved (ours, best, maxlen, ours, ...) ``--repeats`` times and the table
gives the median samples/s of each (and the spread); ratios are of the medians.

Data (``--data``): any table with ``text`` and ``label`` (or ``labels``) columns that the toolkit
reads (default ``data/sample/posts.jsonl``; labels other than MBTI types, e.g. Corona tweets'
sentiment or GoEmotions' emotion lists, become four fixed bits each: throughput only), or a
Kaggle MBTI CSV (type, posts joined by ``|||``; each post a row, URL-only posts dropped).

``--gpu``: an ELECTRA-base-sized encoder built from a config (random weights, no download;
the bundled MiniLM tokenizer, whose vocabulary has ELECTRA's size), bf16, and the model FLOPs
utilisation ``6 × parameters × tokens / seconds / peak FLOPs`` (tokens: the non-padding
tokens of the timed batches; padding tokens are counted separately as ``padded_tokens``).

    .venv/bin/python bench/train_throughput.py                   # CPU, bundled MiniLM
    .venv/bin/python bench/train_throughput.py --data posts.csv  # other posts
    .venv/bin/python bench/train_throughput.py --gpu             # CUDA, ELECTRA-base, bf16
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE_POSTS = ROOT / "data" / "sample" / "posts.jsonl"
URL = re.compile(r"https?://\S+")
# Dense bf16 peak of the accelerators we may be lent (FLOP/s); override with --peak-tflops.
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12}
ELECTRA_BASE = {
    "vocab_size": 30522,
    "embedding_size": 768,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
}


def load_posts(path: Path, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` labelled posts from ``path`` (a toolkit table or a Kaggle MBTI CSV)."""
    from schemas.io import read_table
    from schemas.labels import MBTI

    if path.suffix.lower() == ".csv":
        csv.field_size_limit(1 << 30)
        with path.open(encoding="utf-8", newline="") as f:
            first = next(csv.reader(f), [""])
        if first[0].strip().upper() in (*MBTI.labels, "TYPE"):
            return _kaggle_posts(path)[:limit]
    ds = read_table(path, required=("text",))
    column = next((c for c in ("label", "labels") if c in ds.column_names), None)
    if column is None:
        raise SystemExit(f"{path}: no label or labels column")
    return [
        {"text": r["text"], "labels": _bits(r[column])}
        for r in ds.select(range(min(limit, len(ds))))
    ]


def _kaggle_posts(path: Path) -> list[dict[str, Any]]:
    """One row per post of a Kaggle MBTI CSV (a header row, if any, is skipped)."""
    from schemas.labels import MBTI

    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for label, joined in csv.reader(f):
            if label.strip().upper() not in MBTI.labels:
                continue
            for post in joined.split("|||"):
                text = re.sub(r"\s+", " ", URL.sub(" ", post)).strip(" '")
                if len(text.split()) >= 3:
                    rows.append({"text": text, "labels": _bits(label)})
    return rows


def _bits(label: str | list[str]) -> list[float]:
    """An MBTI type's four axis bits; any other label (Corona tweets' sentiment, GoEmotions'
    list of emotions) four bits of its text's CRC: every contender trains the same four-output
    head, and only the texts' lengths move the throughput."""
    from schemas.labels import MBTI

    if isinstance(label, str) and label.strip().upper() in MBTI.labels:
        return [float(b) for b in MBTI.to_bits(label)]
    code = zlib.crc32(json.dumps(label).encode())
    return [float(code >> i & 1) for i in range(4)]


@dataclass
class CountingCollator:
    """Wraps a collator and records each batch's real and padded token counts."""

    collator: Any
    batches: list[tuple[int, int]] = field(default_factory=list)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.collator(features)
        mask = batch["attention_mask"]
        self.batches.append((int(mask.sum()), int(mask.numel())))
        return batch


def step_timer():
    """A TrainerCallback recording the wall time at the end of every optimiser step."""
    import torch
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.times.append(time.perf_counter())

    return StepTimer()


def timed_train(model, targs, train_ds, collator, warmup: int, dev_ds=None) -> dict[str, float]:
    """Train for ``targs.max_steps`` steps; samples/s and tokens over the steps after warmup,
    and the dev loss on ``dev_ds`` (binary cross-entropy per output) when given."""
    from transformers import Trainer

    counting = CountingCollator(collator)
    timer = step_timer()
    trainer = Trainer(
        model=model, args=targs, train_dataset=train_ds, data_collator=counting, callbacks=[timer]
    )
    trainer.train()
    steps = len(timer.times) - warmup
    seconds = timer.times[-1] - timer.times[warmup - 1]
    timed = counting.batches[warmup : warmup + steps]
    samples = steps * targs.per_device_train_batch_size * targs.gradient_accumulation_steps
    out = {
        "steps": steps,
        "seconds": seconds,
        "samples_per_s": samples / seconds,
        "tokens": sum(t for t, _ in timed),
        "padded_tokens": sum(p for _, p in timed),
    }
    if dev_ds is not None and len(dev_ds):
        out["dev_loss"] = dev_bce(trainer, dev_ds)
    return out


def dev_bce(trainer, dev_ds) -> float:
    """Mean binary cross-entropy per output of the trained model's logits on ``dev_ds``."""
    import numpy as np

    pred = trainer.predict(dev_ds)
    logits = np.asarray(pred.predictions, dtype=np.float64)
    labels = np.asarray(pred.label_ids, dtype=np.float64)
    return float(np.mean(np.logaddexp(0, logits) - labels * logits))


def ours(
    model_path: str, rows, opts, out: Path, bf16: bool, *, frozen_words: bool = False
) -> dict[str, float]:
    """The phase-3 path: axis model, dynamic padding, length-grouped batches (with
    ``frozen_words``: word embeddings frozen)."""
    import datasets

    from train.engine.args import TrainArgs
    from train.engine.collators import ClassificationCollator
    from train.engine.data import tokenize
    from train.engine.trainer import freeze_word_embeddings, pad_multiple, training_arguments
    from train.models.init import load_init
    from train.models.task_model import build_task_model
    from train.tasks import MbtiTask

    init = load_init(model_path, phase=3)
    model = build_task_model(init, MbtiTask(), phase=3, head_dropout=0.1, seed=0, data={})
    if frozen_words:
        freeze_word_embeddings(model)
    train_rows, dev_rows = split_dev(rows, opts)
    ds, dev = (
        tokenize(datasets.Dataset.from_list(r), init.tokenizer, opts.max_length).remove_columns(
            "text"
        )
        for r in (train_rows, dev_rows)
    )
    args = TrainArgs(
        seed=0,
        batch_size=opts.batch_size,
        max_length=opts.max_length,
        max_steps=opts.steps,
        bf16=bf16,
        group_by_length=True,
        progress=False,
        logging_steps=10_000,
        device=None if opts.gpu else "cpu",
    )
    targs = training_arguments(args, out / "ours", metric=None)
    collator = ClassificationCollator(init.tokenizer, pad_to_multiple_of=pad_multiple(args))
    result = timed_train(model, targs, ds, collator, opts.warmup, dev)
    result["parameters"] = sum(p.numel() for p in model.parameters())
    return result


def split_dev(rows: list[dict[str, Any]], opts) -> tuple[list, list]:
    """The training rows and the last ``--dev-posts`` rows held out for the dev loss."""
    n_dev = min(opts.dev_posts, len(rows) // 5)
    return (rows[:-n_dev], rows[-n_dev:]) if n_dev else (rows, [])


def library(model_path: str, rows, opts, out: Path, bf16: bool, *, dynamic: bool):
    """The library's own classifier: with ``dynamic`` the best-practice set-up (dynamic
    padding, length-grouped batches), else max-length padding and random batches."""
    import datasets
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        TrainingArguments,
        default_data_collator,
    )

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_path, num_labels=4, problem_type="multi_label_classification"
    )
    padding = False if dynamic else "max_length"

    def encode(batch: dict[str, list]) -> dict[str, list]:
        return tokenizer(
            batch["text"], truncation=True, padding=padding, max_length=opts.max_length
        )

    train_rows, dev_rows = split_dev(rows, opts)
    ds, dev = (
        datasets.Dataset.from_list(r).map(encode, batched=True, remove_columns=["text"])
        for r in (train_rows, dev_rows)
    )
    targs = TrainingArguments(
        output_dir=str(out / ("best" if dynamic else "maxlen")),
        max_steps=opts.steps,
        seed=0,
        per_device_train_batch_size=opts.batch_size,
        bf16=bf16,
        use_cpu=not opts.gpu,
        train_sampling_strategy="group_by_length" if dynamic else "random",
        report_to="none",
        save_strategy="no",
        logging_steps=10_000,
        disable_tqdm=True,
    )
    collator = (
        DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if opts.gpu else None)
        if dynamic
        else default_data_collator
    )
    result = timed_train(model, targs, ds, collator, opts.warmup, dev)
    result["parameters"] = sum(p.numel() for p in model.parameters())
    return result


def in_bf16(contender):
    """``contender`` in bf16 mixed precision on any device (torch's CPU autocast on a CPU)."""

    def run(*args: Any, bf16: bool, **kwargs: Any) -> dict[str, float]:
        return contender(*args, bf16=True, **kwargs)

    return run


CONTENDERS = {
    "ours": ours,
    "ours_fwe": partial(ours, frozen_words=True),
    "best": partial(library, dynamic=True),
    "maxlen": partial(library, dynamic=False),
    "ours_bf16": in_bf16(ours),
    "best_bf16": in_bf16(partial(library, dynamic=True)),
}


def electra_base_dir(out: Path) -> str:
    """An ELECTRA-base-sized encoder (random weights) saved with the MiniLM tokenizer."""
    from transformers import AutoTokenizer, ElectraConfig, ElectraModel

    from schemas.models import resolve_model

    path = out / "electra-base-random"
    ElectraModel(ElectraConfig(**ELECTRA_BASE)).save_pretrained(path)
    AutoTokenizer.from_pretrained(resolve_model(None)).save_pretrained(path)
    return str(path)


def peak_flops(opts) -> float | None:
    import torch

    if opts.peak_tflops:
        return opts.peak_tflops * 1e12
    name = torch.cuda.get_device_name() if torch.cuda.is_available() else ""
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=SAMPLE_POSTS, help="posts (text, label)")
    p.add_argument("--model", default=None, help="encoder (default: bundled MiniLM)")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5, help="steps not timed")
    p.add_argument("--repeats", type=int, default=3, help="interleaved runs of each contender")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--posts", type=int, default=5000, help="posts to sample batches from")
    p.add_argument("--gpu", action="store_true", help="CUDA, ELECTRA-base size, bf16, MFU")
    p.add_argument("--peak-tflops", type=float, default=None, help="accelerator bf16 peak")
    p.add_argument("--dev-posts", type=int, default=500, help="posts held out for the dev loss")
    p.add_argument(
        "--contenders",
        default="ours,ours_fwe,best,maxlen",
        help="comma-separated: " + ", ".join(CONTENDERS),
    )
    opts = p.parse_args()
    chosen = [c.strip() for c in opts.contenders.split(",") if c.strip()]
    if "ours" not in chosen or any(c not in CONTENDERS for c in chosen):
        p.error(f"--contenders: 'ours' and any of {', '.join(CONTENDERS)}")
    if opts.steps <= opts.warmup:
        p.error("--steps must exceed --warmup")

    import torch

    from schemas.models import resolve_model

    if opts.gpu and not torch.cuda.is_available():
        p.error("--gpu needs CUDA")
    rows = load_posts(opts.data, opts.posts)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        model_path = electra_base_dir(out) if opts.gpu else resolve_model(opts.model)
        for _ in range(opts.repeats):
            for name in chosen:
                runs[name].append(CONTENDERS[name](model_path, rows, opts, out, bf16=opts.gpu))
    device = (
        torch.cuda.get_device_name() if opts.gpu else f"CPU ({torch.get_num_threads()} threads)"
    )
    print(
        f"data: {len(rows)} posts from {opts.data}; device: {device}; batch {opts.batch_size}, "
        f"max_length {opts.max_length}, {opts.steps} steps ({opts.warmup} untimed), "
        f"median of {opts.repeats} interleaved runs"
    )
    peak = peak_flops(opts) if opts.gpu else None
    results = {name: median_run(rs) for name, rs in runs.items()}
    print(
        f"| {'set-up':<8} | samples/s (min-max) | tokens/s | padding | dev loss |"
        + (" MFU |" if peak else "")
    )
    print("|---|---|---|---|---|" + ("---|" if peak else ""))
    for name, r in results.items():
        spread = [x["samples_per_s"] for x in runs[name]]
        line = (
            f"| {name:<8} | {r['samples_per_s']:.1f} ({min(spread):.1f}-{max(spread):.1f}) | "
            f"{r['tokens'] / r['seconds']:.0f} | {1 - r['tokens'] / r['padded_tokens']:.0%} | "
            f"{r.get('dev_loss', float('nan')):.4f} |"
        )
        if peak:
            r["mfu"] = 6 * r["parameters"] * r["tokens"] / r["seconds"] / peak
            line += f" {r['mfu']:.1%} ({r['parameters'] / 1e6:.0f}M params) |"
        print(line)
    speed = {name: r["samples_per_s"] for name, r in results.items()}
    ratios = {
        f"{a}/{b}": speed[a] / speed[b]
        for a in ("ours", "ours_fwe", "ours_bf16")
        for b in ("ours", "best", "maxlen", "best_bf16")
        if a != b and a in speed and b in speed
    }
    print("; ".join(f"{k}: {v:.2f}x" for k, v in ratios.items()) + " (target ours/best >= 1.0x)")
    print(json.dumps({**ratios, "runs": runs}, default=float))


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median samples/s."""
    return sorted(runs, key=lambda r: r["samples_per_s"])[len(runs) // 2]


if __name__ == "__main__":
    main()
