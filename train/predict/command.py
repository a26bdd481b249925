"""``train predict``: predictions of a phase-3 model of any task for new texts (sentence
pairs for a regression model); ``--by-author`` gives one answer per person (the rule of
:func:`train.tasks.authors.person`, shared with ``train serve``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import typer

from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.options import group, option
from train.engine.encoding import EncodeOptions
from train.tasks.columns import InputColumns


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


def format_task_table(texts: list[str], answers: list[dict[str, Any]], key: str) -> str:
    """The answer, its best probabilities (a person's: with the number of texts) and the text
    (or author), one row each."""
    lines = []
    for text, answer in zip(texts, answers, strict=True):
        top = sorted(answer["probabilities"].items(), key=lambda kv: -kv[1])[:3]
        scores = " ".join(f"{k}={v:.3f}" for k, v in top)
        n = f"{answer['n_texts']:>3} texts  " if "n_texts" in answer else ""
        lines.append(f"{_label(answer[key]):<24} {scores:<40} {n}{_short(text)}")
    return "\n".join(lines)


def _label(prediction: Any) -> str:
    if isinstance(prediction, list):
        return ",".join(prediction) or "(none)"
    return f"{prediction:.3f}" if isinstance(prediction, float) else str(prediction)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class PredictOptions(ConsoleOptions):
    """``train predict``'s options."""

    run: Path = option(argument=True, help="A train run or phase-3 model directory.")
    texts: list[str] | None = option(None, argument=True, help="Texts to classify.")
    file: Path | None = option(
        None, help="Texts: one per line, or a table (text; text_pair for pairs; author)."
    )
    fmt: str = option(
        "table",
        flag="--format",
        help="table (for reading) or jsonl (one JSON object a line, for programs).",
        choices=("table", "jsonl"),
    )
    by_author: bool = option(
        False,
        help="One prediction per author (the table's author column; otherwise all texts "
        "are one person's): mean scores, with how many texts vote for each outcome.",
    )
    batch_size: int = option(32, help="Texts per forward pass.", ge=1)
    columns: InputColumns = group(InputColumns, panel="Data")
    encoding: EncodeOptions = group(EncodeOptions, panel="Encoding")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.encoding.require_one_process()
        self.encoding.require_torch()
        if bool(self.texts) == (self.file is not None):
            raise InputError("give either TEXT arguments or --file, not both or neither")


def command(opts: PredictOptions) -> None:
    """Predictions for each text (the task's answer with its scores: MBTI the type with each
    axis's poles; single a label; multi the labels over their cut-offs; regression a score),
    or one per author (the answer for their texts' mean scores, with how the texts vote)."""
    from train.engine.logs import configure
    from train.predict.predictor import load_predictor
    from train.tasks.authors import person

    configure(opts)
    predictor = load_predictor(opts.run, precision=opts.encoding.encode_precision)
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
    scores = predictor.scores(texts, pairs, opts.batch_size)
    if not opts.by_author:
        _emit(opts.fmt, "text", texts, [task.describe(row) for row in scores], task)
        return
    groups: dict[str, list[int]] = {}
    authors = list(rows["author"]) if "author" in rows.column_names else None
    for i, author in enumerate(authors or ["(all texts)"] * len(texts)):
        groups.setdefault(str(author) if author not in (None, "") else "(no author)", []).append(i)
    people = [person(task, scores[idx]) for idx in groups.values()]
    _emit(opts.fmt, "author", list(groups), people, task)


def _emit(fmt: str, key: str, keys: list[str], answers: list[dict[str, Any]], task: Any) -> None:
    if fmt == "jsonl":
        for k, answer in zip(keys, answers, strict=True):
            typer.echo(json.dumps({key: k, **answer}, ensure_ascii=False))
    else:
        typer.echo(format_task_table(keys, answers, task.prediction_key))
