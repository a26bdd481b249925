"""Phase-3 training throughput: our path vs a plain Hugging Face Trainer (run on demand).

Ours: the phase-3 model (:class:`train.models.MbtiAxisClassifier`), texts tokenised without
padding, :class:`train.phases.collators.ClassificationCollator` (pad to the longest row of
the batch) and length-grouped batches (``train.phases.trainer.training_arguments``). Plain:
the same encoder as ``AutoModelForSequenceClassification`` (4 labels, multi-label BCE), every
text padded to ``--max-length``, random batches, ``default_data_collator``. Same data, batch
size and number of steps; the first ``--warmup`` steps are not timed. Prints samples/s of both
and the ratio.

Data: real-length posts, the Kaggle MBTI head split at ``|||`` (URL-only posts dropped) when
``/work/shared/data`` has it, else ``data/sample/posts.jsonl``.

``--gpu``: an ELECTRA-base-sized encoder built from a config (random weights, no download;
the bundled MiniLM tokenizer, whose vocabulary has ELECTRA's size), bf16, and the model FLOPs
utilisation ``6 × parameters × tokens / seconds / peak FLOPs`` (tokens: the non-padding
tokens of the timed batches; padding tokens are counted separately as ``padded_tokens``).

    .venv/bin/python bench/train_throughput.py            # CPU, bundled MiniLM
    .venv/bin/python bench/train_throughput.py --gpu      # CUDA, ELECTRA-base size, bf16
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KAGGLE = Path("/work/shared/data/mbti_kaggle_head305/mbti_1_1.csv")
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


def load_posts(limit: int) -> tuple[list[dict[str, Any]], str]:
    """Up to ``limit`` labelled real-length posts and where they came from."""
    rows: list[dict[str, Any]] = []
    if KAGGLE.exists():
        csv.field_size_limit(1 << 30)
        with KAGGLE.open(encoding="utf-8", newline="") as f:
            for label, joined in csv.reader(f):
                for post in joined.split("|||"):
                    text = re.sub(r"\s+", " ", URL.sub(" ", post)).strip(" '")
                    if len(text.split()) >= 3:
                        rows.append({"text": text, "labels": _bits(label)})
        source = str(KAGGLE)
    else:
        for line in SAMPLE_POSTS.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append({"text": row["text"], "labels": _bits(row["label"])})
        source = str(SAMPLE_POSTS)
    return rows[:limit], source


def _bits(label: str) -> list[float]:
    from schemas.labels import MBTI

    return [float(b) for b in MBTI.to_bits(label)]


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


def timed_train(model, targs, train_ds, collator, warmup: int) -> dict[str, float]:
    """Train for ``targs.max_steps`` steps; samples/s and tokens over the steps after warmup."""
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
    return {
        "steps": steps,
        "seconds": seconds,
        "samples_per_s": samples / seconds,
        "tokens": sum(t for t, _ in timed),
        "padded_tokens": sum(p for _, p in timed),
    }


def ours(model_path: str, rows, opts, out: Path, bf16: bool) -> dict[str, float]:
    """The phase-3 path: axis model, dynamic padding, length-grouped batches."""
    import datasets

    from train.data import tokenize
    from train.encoders import encoder_config_dict, load_init, transfer_encoder
    from train.models import AxisClassifierConfig, MbtiAxisClassifier
    from train.phases.args import TrainArgs
    from train.phases.collators import ClassificationCollator
    from train.phases.trainer import pad_multiple, training_arguments

    init = load_init(model_path, phase=3)
    model = MbtiAxisClassifier(AxisClassifierConfig(encoder=encoder_config_dict(init.encoder)))
    transfer_encoder(model, init.encoder)
    ds = tokenize(datasets.Dataset.from_list(rows), init.tokenizer, opts.max_length)
    ds = ds.remove_columns("text")
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
    result = timed_train(model, targs, ds, collator, opts.warmup)
    result["parameters"] = sum(p.numel() for p in model.parameters())
    return result


def plain(model_path: str, rows, opts, out: Path, bf16: bool) -> dict[str, float]:
    """The plain library baseline: max-length padding, random batches."""
    import datasets
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        TrainingArguments,
        default_data_collator,
    )

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_path, num_labels=4, problem_type="multi_label_classification"
    )

    def encode(batch: dict[str, list]) -> dict[str, list]:
        enc = tokenizer(
            batch["text"], truncation=True, padding="max_length", max_length=opts.max_length
        )
        return enc

    ds = datasets.Dataset.from_list(rows).map(encode, batched=True, remove_columns=["text"])
    targs = TrainingArguments(
        output_dir=str(out / "plain"),
        max_steps=opts.steps,
        seed=0,
        per_device_train_batch_size=opts.batch_size,
        bf16=bf16,
        use_cpu=not opts.gpu,
        report_to="none",
        save_strategy="no",
        logging_steps=10_000,
        disable_tqdm=True,
    )
    result = timed_train(model, targs, ds, default_data_collator, opts.warmup)
    result["parameters"] = sum(p.numel() for p in model.parameters())
    return result


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
    p.add_argument("--model", default=None, help="encoder (default: bundled MiniLM)")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5, help="steps not timed")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--posts", type=int, default=5000, help="posts to sample batches from")
    p.add_argument("--gpu", action="store_true", help="CUDA, ELECTRA-base size, bf16, MFU")
    p.add_argument("--peak-tflops", type=float, default=None, help="accelerator bf16 peak")
    opts = p.parse_args()
    if opts.steps <= opts.warmup:
        p.error("--steps must exceed --warmup")

    import torch

    from schemas.models import resolve_model

    if opts.gpu and not torch.cuda.is_available():
        p.error("--gpu needs CUDA")
    rows, source = load_posts(opts.posts)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        model_path = electra_base_dir(out) if opts.gpu else resolve_model(opts.model)
        results = {
            "ours": ours(model_path, rows, opts, out, bf16=opts.gpu),
            "plain": plain(model_path, rows, opts, out, bf16=opts.gpu),
        }
    device = (
        torch.cuda.get_device_name() if opts.gpu else f"CPU ({torch.get_num_threads()} threads)"
    )
    print(
        f"data: {len(rows)} posts from {source}; device: {device}; batch {opts.batch_size}, "
        f"max_length {opts.max_length}, {opts.steps} steps ({opts.warmup} untimed)"
    )
    peak = peak_flops(opts) if opts.gpu else None
    for name, r in results.items():
        line = (
            f"{name:>5}: {r['samples_per_s']:8.1f} samples/s, "
            f"{r['tokens'] / r['seconds']:9.0f} tokens/s, "
            f"padding {1 - r['tokens'] / r['padded_tokens']:.0%} of the batch"
        )
        if peak:
            mfu = 6 * r["parameters"] * r["tokens"] / r["seconds"] / peak
            r["mfu"] = mfu
            line += f", MFU {mfu:.1%} ({r['parameters'] / 1e6:.0f}M params)"
        print(line)
    ratio = results["ours"]["samples_per_s"] / results["plain"]["samples_per_s"]
    print(f"ratio ours / plain: {ratio:.2f}x (target >= 1.3x)")
    print(json.dumps({"ratio": ratio, **results}, default=float))


if __name__ == "__main__":
    main()
