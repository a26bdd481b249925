"""Cards on outputs: a ``README.md`` in the Hugging Face format beside every data set and model.

A dataset card has a YAML header (license, language, task_categories, size_categories) and a
body built from the output's ``manifest.json``: the command, backend, model, prompt hashes,
counts and the quality figures the command recorded. A model card (``config.json`` + weights)
gives the task, labels, the lineage of training phases, metrics next to their baselines, and
the intended use and limits. :func:`write_card` is called by :func:`schemas.io.publish`, so
every published output gets the card that fits it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

CARD = "README.md"
PROVENANCE = ("command", "argv", "versions", "inputs", "seed", "started_at", "finished_at")
GENERATION_KEYS = ("backend", "model", "prompt_sha", "embedder", "teacher")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# what a model of each ``model_type`` (a task model: of each task) does, and its pipeline tag
MODEL_TASKS = {
    "mbti_type_mlm": (
        "Phase 2: label-conditioned masked language model: the hidden state at [MASK] and a "
        "learned embedding of one label (the 16 types for MBTI) give a distribution over the "
        "vocabulary.",
        "fill-mask",
    ),
}
TASK_MODELS = {
    "mbti": "predicts the four MBTI axes E/I, S/N, T/F, J/P of a text's author (one sigmoid "
    "each, with a cut-off per axis); the 16-type answer is composed from them.",
    "single": "classifies a text into one of its labels (softmax).",
    "multi": "gives a text every label whose sigmoid passes its cut-off.",
    "regression": "scores a sentence pair (a cross-encoder) on its task's score range.",
}


def model_task(config: Mapping[str, Any]) -> tuple[str, str]:
    """What the model in ``config`` does (a sentence) and its Hugging Face pipeline tag."""
    model_type = str(config.get("model_type", "unknown"))
    spec = config.get("task_spec") or {}
    if spec.get("name") in TASK_MODELS:
        lineage = config.get("lineage") or [{}]
        phase = lineage[-1].get("phase", "?")
        return f"Phase {phase}: {TASK_MODELS[spec['name']]}", "text-classification"
    return MODEL_TASKS.get(model_type, (f"A `{model_type}` model.", "other"))


INTENDED_USE = """\
Research and teaching: how far personality-type labels can be predicted from text, and
whether type-article and masked-sentence pre-training helps. Self-reported types are noisy
and the four axes are not independent facts about a person; predictions from a few messages
are weak evidence. Do not use it to make decisions about people (hiring, admission, credit,
health, or anything similar). Type names inside texts leak the label; mbtikit masks them
before training and prediction when the model was trained that way."""


def write_card(directory: Path, name: str | None = None) -> Path | None:
    """Write the card that fits ``directory`` (a saved data set or a model; ``name``: what it
    will be called, default its directory's name) unless it already has a ``README.md``;
    returns its path, or ``None`` when nothing fits."""
    path = directory / CARD
    if path.exists():
        return None
    if (directory / "dataset_info.json").is_file():
        text = dataset_card(directory, name or directory.name)
    elif (directory / "config.json").is_file() and _has_weights(directory):
        text = model_card(directory, name or directory.name)
    else:
        return None
    path.write_text(text, encoding="utf-8")
    return path


def _has_weights(directory: Path) -> bool:
    return any(directory.glob("*.safetensors")) or any(directory.glob("*.bin"))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _header(fields: Mapping[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(dict(fields), sort_keys=False, allow_unicode=True) + "---\n"


def size_category(n: int) -> str:
    """The Hugging Face ``size_categories`` bucket of ``n`` rows."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M" if n < 1_000_000 else "n>1M"


def dataset_task(columns: list[str]) -> str:
    """The Hugging Face task category of a data set with these columns."""
    if "candidates" in columns:
        return "fill-mask"
    if {"sentence1", "sentence2"} <= set(columns):
        return "sentence-similarity"
    if "label" in columns:
        return "text-classification"
    return "other"


def _languages(manifest: Mapping[str, Any], rows: Any) -> list[str]:
    """The language codes of the rows: the manifest's detected ``languages`` (``datagen
    sentences --lang auto``), its ``lang`` when that is a code, the rows' ``lang`` column, or
    the script of the first texts."""
    if manifest.get("languages"):
        return sorted(str(code) for code in manifest["languages"])
    if manifest.get("lang") and manifest["lang"] != "auto":
        return [str(manifest["lang"])]
    if "lang" in rows.column_names:
        return sorted({str(v) for v in rows["lang"] if v})
    texts = rows["text"][:200] if "text" in rows.column_names else []
    korean = sum(bool(_HANGUL.search(str(t))) for t in texts)
    return ["ko"] if texts and korean > len(texts) / 2 else ["en"]


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys down to mappings of plain values (one line each, e.g. counts per label)."""
    flat = isinstance(value, Mapping) and not any(isinstance(v, Mapping) for v in value.values())
    if isinstance(value, Mapping) and (not flat or not prefix):
        for key, sub in value.items():
            yield from _flatten(sub, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _figure(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_figure(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(_figure(v) for v in value[:16]) + (" …" if len(value) > 16 else "")
    return str(value)


def _figures(data: Mapping[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    return [
        f"- `{key}`: {_figure(value)}"
        for key, value in _flatten({k: v for k, v in data.items() if k not in skip})
        if value not in (None, "", [], {})
    ]


def _command(manifest: Mapping[str, Any]) -> str:
    argv = manifest.get("argv") or []
    line = " ".join(str(a) for a in [Path(str(argv[0])).name, *argv[1:]]) if argv else "?"
    return f"`{manifest.get('command', 'unknown')}` (`{line}`)"


def _provenance(manifest: Mapping[str, Any]) -> list[str]:
    lines = [f"- command: {_command(manifest)}"]
    versions = manifest.get("versions") or {}
    if versions:
        lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    for name, digest in (manifest.get("inputs") or {}).items():
        lines.append(f"- input `{name}` (sha256 `{str(digest)[:16]}…`)")
    if manifest.get("seed") is not None:
        lines.append(f"- seed: {manifest['seed']}")
    if manifest.get("finished_at"):
        lines.append(f"- finished: {manifest['finished_at']} ({manifest.get('seconds', '?')} s)")
    return lines


def dataset_card(directory: Path, name: str) -> str:
    """The dataset card of a saved data set (its rows and its ``manifest.json``)."""
    import datasets

    rows = datasets.load_from_disk(str(directory))
    manifest = _read_json(directory / "manifest.json")
    columns = list(rows.column_names)
    header = {
        "license": "unknown",
        "language": _languages(manifest, rows),
        "task_categories": [dataset_task(columns)],
        "size_categories": [size_category(len(rows))],
        "pretty_name": name,
        "tags": ["mbtikit", *(["synthetic"] if "backend" in columns else [])],
    }
    made = _provenance(manifest)
    for key in GENERATION_KEYS:
        values = set()
        if key in columns:
            values |= {str(v) for v in rows.unique(key) if v is not None}
        if isinstance(manifest.get(key), str):
            values.add(manifest[key])
        if values:
            made.append(f"- {key}: " + ", ".join(f"`{v}`" for v in sorted(values)))
    body = [
        f"# {name}",
        "",
        f"A data set written by mbtikit: {len(rows)} rows; load it with "
        "`datasets.load_from_disk(DIR)` or read `data.parquet`.",
        "",
        "## How it was made",
        *made,
        "",
        "## Fields",
        *(f"- `{name}`: {feature}" for name, feature in rows.features.items()),
    ]
    if "label" in columns:
        counts = Counter(str(v) for v in rows["label"])
        body += ["", "## Labels (rows per label)", _figure(dict(sorted(counts.items())))]
    figures = _figures(manifest, skip=(*PROVENANCE, "seconds", *GENERATION_KEYS))
    if figures:
        body += ["", "## Counts and quality figures (from manifest.json)", *figures]
    body += [
        "",
        "## Licence",
        "The licence is that of the inputs it was made from; set `license` above before "
        "sharing it.",
    ]
    return _header(header) + "\n" + "\n".join(body) + "\n"


def _hub_id(name: Any) -> str | None:
    """``owner/name`` when ``name`` is a Hugging Face Hub id rather than a local path."""
    text = str(name or "")
    if re.fullmatch(r"[\w.-]+/[\w.-]+", text) and not Path(text).exists():
        return text
    return None


def _metrics_table(metrics: Mapping[str, Any]) -> list[str]:
    """Per-axis metrics beside the majority baseline, when the metrics have axes."""
    axes = [k for k, v in metrics.items() if isinstance(v, Mapping) and "accuracy" in v]
    if not axes:
        return []
    lines = [
        "| axis | accuracy | macro-F1 | AUC | majority accuracy | threshold |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for axis in axes:
        m = metrics[axis]
        cells = [m.get(k) for k in ("accuracy", "macro_f1", "auc", "majority_accuracy")]
        cells.append(m.get("threshold"))
        lines.append(
            f"| {axis} | " + " | ".join("n/a" if c is None else _figure(c) for c in cells) + " |"
        )
    return lines


def _lineage(lineage: list[Mapping[str, Any]]) -> list[str]:
    lines = ["| phase | initialised from | base model | data |", "| --- | --- | --- | --- |"]
    for entry in lineage:
        data = entry.get("data") or {}
        source = data.get("source") or data.get("path") or "?"
        rows = data.get("rows") or data.get("n_rows")
        lines.append(
            f"| {entry.get('phase', '?')} | `{entry.get('init', '?')}` | "
            f"`{entry.get('base_model', '?')}` | `{source}`"
            + (f" ({rows} rows)" if rows else "")
            + " |"
        )
    return lines


def model_card(directory: Path, name: str) -> str:
    """The model card of a model directory (``config.json``, ``metrics.json``, manifest)."""
    config = _read_json(directory / "config.json")
    metrics = _read_json(directory / "metrics.json")
    manifest = _read_json(directory / "manifest.json")
    model_type = str(config.get("model_type", "unknown"))
    task, pipeline = model_task(config)
    lineage = config.get("lineage") or []
    header: dict[str, Any] = {
        "library_name": "transformers",
        "license": "unknown",
        "pipeline_tag": pipeline,
        "tags": ["mbtikit", model_type],
    }
    base = _hub_id(lineage[0].get("base_model")) if lineage else None
    if base:
        header["base_model"] = base
    labels = config.get("labels") or []
    body = [f"# {name}", "", f"A model trained with mbtikit. {task}", "", "## Labels"]
    body.append(", ".join(f"`{label}`" for label in labels) if labels else "(none recorded)")
    cutoffs = (config.get("task_spec") or {}).get("cutoffs")
    if cutoffs:
        body.append("\nCut-offs (one per output): " + _figure(list(cutoffs)))
    if lineage:
        body += ["", "## Lineage (training phases, oldest first)", *_lineage(lineage)]
    body += ["", "## Metrics", f"Evaluated on: {metrics.get('evaluated_on', 'see metrics.json')}"]
    table = _metrics_table(metrics)
    if table:
        body += ["", *table]
    scalars = {k: v for k, v in metrics.items() if not isinstance(v, Mapping)}
    body += ["", *(_figures(scalars) or ["(none recorded)"])]
    body += ["", "## Intended use and limits", INTENDED_USE, "", "## How it was made"]
    body += _provenance(manifest)
    if pipeline == "text-classification" and "Phase 3" in task:
        body += [
            "",
            "## How to use it",
            "```bash",
            f'train predict {name} "a message"',
            f"train serve {name}    # a JSON API and a page on 127.0.0.1",
            "```",
        ]
    return _header(header) + "\n" + "\n".join(body) + "\n"
