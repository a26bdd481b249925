"""``datagen label``: an LLM labels pool texts, for ``augment silver --teacher llm``.

One request per distinct pool text (zero-shot, or few-shot with ``--examples``), answered
``{"label": one of the labels}`` under the schema; invalid answers are retried with the error
fed back, then become failures (``<out>.failures.jsonl``), never rows. The output ``--out``
is a JSONL of ``{id, text, label, confidence}`` rows, the file
:class:`augment.classification.teachers.LlmLabelsTeacher` reads, with ``<out>.manifest.json``
beside it; each file is written to a temporary name and renamed into place (the labels
last). Without a key or ``--base-url`` the offline backend (:mod:`datagen.label.offline`, a
heuristic) labels them.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from datagen.generation import make_generator
from datagen.label.offline import DESCRIPTION, HEURISTIC, EmbeddingLabeler
from datagen.label.read import parse_labels, read_examples, read_pool
from datagen.label.task import LabelTask
from datagen.llm import LLMConfig, llm_generator
from datagen.llm.task import text_sha
from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.labels import LabelSet
from schemas.manifest import Manifest
from schemas.options import group, option

TOP_LOGPROBS = 20
CONFIDENCE = {
    "logprobs": "first token of the label: its top_logprobs mass, renormalised over the tokens "
    "that begin a label",
    "none": "1.0 (the server sent no usable logprobs)",
}


@dataclass
class LabelOptions(ConsoleOptions):
    pool: Path = option(
        argument=True,
        help="Texts to label: a table with a text column (.jsonl/.csv/.parquet/a saved data "
        "set), e.g. augment silver's --pool.",
    )
    out: Path = option(
        help="Output JSONL of {id, text, label, confidence} (augment silver --teacher llm "
        "--llm-labels); <name>.manifest.json and <name>.failures.jsonl go beside it."
    )
    labels: str | None = option(
        None, help='The labels, comma-separated ("Positive,Negative,Neutral"), or mbti.'
    )
    labels_file: Path | None = option(None, help="The labels, one a line (instead of --labels).")
    examples: Path | None = option(
        None,
        help="Few-shot examples: a table with text and label columns (gold); default zero-shot.",
    )
    shots: int = option(
        2, help="With --examples: examples per label (at most), drawn by --seed.", ge=1
    )
    seed: int = option(0, help="Which examples are drawn, and their order.", ge=0)
    text_col: str = option("text", help="Text column of the pool.")
    mask_types: bool = option(
        True,
        aliases=("--mask",),
        help="Mask MBTI type mentions before labelling, as augment silver does (the written "
        "text is the masked one; use --no-mask-types here with augment silver "
        "--no-mask-types).",
    )
    backend: str = option(
        "auto",
        help="auto (an LLM when a key or --base-url is given, else offline), openai (any "
        "OpenAI-compatible endpoint) or offline (embedding similarity, a heuristic, not an LLM).",
    )
    logprobs: bool = option(
        True, help="Ask for top_logprobs (the confidence); --no-logprobs: confidence 1.0."
    )
    overwrite: bool = option(False, flag="--overwrite", help="Replace an existing --out.")
    llm: LLMConfig = group(LLMConfig, panel="LLM")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.label_set: LabelSet = parse_labels(self.labels, self.labels_file)
        if self.out.suffix.lower() != ".jsonl":
            raise InputError("must be a .jsonl file", file=self.out, field="--out")


def side_file(out: Path, kind: str) -> Path:
    """``labels.jsonl`` -> ``labels.manifest.json`` / ``labels.failures.jsonl``."""
    return out.with_name(f"{out.stem}.{kind}")


def run(opts: LabelOptions) -> None:
    """Label every distinct pool text with one of the labels."""
    config, labels = opts.llm, opts.label_set.labels
    if not config.dry_run:
        _check_out(opts.out, opts.overwrite)
    inputs = [p for p in (opts.pool, opts.examples, opts.labels_file) if p is not None]
    manifest = Manifest("datagen label", inputs=inputs, seed=opts.seed)
    rows, pool_info = read_pool(opts.pool, text_col=opts.text_col, mask=opts.mask_types)
    examples = []
    if opts.examples is not None:
        examples = read_examples(
            opts.examples, opts.label_set, shots=opts.shots, seed=opts.seed, mask=opts.mask_types
        )
    task = LabelTask(labels, examples)
    top = TOP_LOGPROBS if opts.logprobs else None
    llm_config = replace(config, logprobs=opts.logprobs, top_logprobs=top)
    generator = make_generator(
        opts.backend,
        config,
        llm=lambda: llm_generator(task, llm_config, progress=opts.progress),
        offline=lambda: EmbeddingLabeler(labels, examples),
        offline_what=DESCRIPTION,
    )
    if config.dry_run:
        print(generator.estimate(rows))
        return
    result = generator.run(rows)
    records = list(result.records)
    failures = [{**f, "stage": task.name} for f in result.failures]
    measured = sum(r["confidence"] is not None for r in records)
    for r in records:
        c = r["confidence"]
        r["confidence"] = 1.0 if c is None else max(round(c, 6), 1e-6)  # in (0, 1]
    manifest.add(
        backend=generator.backend,
        model=generator.model,
        labels=list(labels),
        examples={
            "shots": opts.shots if examples else 0,
            "per_label": _per_label(labels, examples),
            "sha": text_sha(task.examples) if examples else None,
        },
        mask=opts.mask_types,
    )
    if isinstance(generator, EmbeddingLabeler):
        manifest.add(heuristic=HEURISTIC, confidence={"method": HEURISTIC})
    else:
        opts.say(result.usage.summary())
        manifest.add(
            prompt_sha=task.prompt_sha,
            prompt_template=task.template.name,
            confidence={
                "method": CONFIDENCE["logprobs"] if opts.logprobs else CONFIDENCE["none"],
                "from_logprobs": measured,
                "set_to_1": len(records) - measured,
            },
            llm={
                "response_format": config.response_format,
                "temperature": config.temperature,
                "max_tokens": config.max_tokens,
                "logprobs": opts.logprobs,
                "batch_api": config.batch_api,
                "cache": str(config.cache_path) if config.use_cache else None,
            },
            usage=result.usage.to_dict(),
            cost_usd=result.usage.cost_usd,
        )
    counts = {
        **pool_info,
        "texts": len(rows),
        "labelled": len(records),
        "failures": len(failures),
        "per_label": _per_label(labels, records),
    }
    manifest_data = manifest.finish(counts=counts)
    _write_atomic(side_file(opts.out, "failures.jsonl"), _jsonl(failures))
    manifest_text = json.dumps(manifest_data, indent=2, ensure_ascii=False, default=str)
    _write_atomic(side_file(opts.out, "manifest.json"), manifest_text + "\n")
    _write_atomic(opts.out, _jsonl(records))
    opts.say(f"wrote {len(records):,} labelled texts and {len(failures):,} failures to {opts.out}")
    if not records:
        print(f"error: no usable answers; see {side_file(opts.out, 'failures.jsonl')}",
              file=sys.stderr)  # fmt: skip
        raise SystemExit(1)


def _per_label(labels: Iterable[str], rows: Iterable[dict]) -> dict[str, int]:
    counts = Counter(r["label"] for r in rows)
    return {lab: counts[lab] for lab in labels if counts[lab]}


def _check_out(out: Path, overwrite: bool) -> None:
    """Fail before any work when ``--out`` is a directory or exists without --overwrite."""
    if out.is_dir():
        raise InputError("is a directory; give a .jsonl file", file=out, field="--out")
    if out.exists() and not overwrite:
        raise InputError("exists (pass --overwrite to replace it)", file=out, field="--out")


def _jsonl(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``path`` through a temporary sibling renamed into place (no half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
