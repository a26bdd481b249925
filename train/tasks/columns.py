"""A task's data: the file's columns mapped to ``text``/``label``/``text_pair``/``author``, and
the train/dev/test splits, given as files or made (by author, stratified by the task).

Labels are checked on the whole file before it is split, so an error names the file's own
row; the label set of ``single``/``multi`` comes from the whole file too, so a rare label
that lands only in dev or test is still known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import datasets

from schemas.errors import InputError
from schemas.io import read_table
from schemas.options import option
from train.tasks.base import Task
from train.tasks.splits import split_posts

KEPT = ("id", "is_silver")
"""Columns that travel with the mapped ones (split grouping and silver weighting)."""


@dataclass
class InputColumns:
    """Column names of the texts, their second sentences and their authors."""

    options_panel = "Data"
    text_col: str | None = option(None, help="Text column (default: text; pairs: sentence1).")
    text_pair_col: str | None = option(
        None, help="regression: second sentence's column (default: sentence2)."
    )
    author_col: str | None = option(
        None,
        help="Author column (default: author). Training: splits by author and adds per-author "
        "metrics; predict --by-author: one prediction per author.",
    )


@dataclass
class DataOptions(InputColumns):
    """Column names of the data (its label column too) and its dev/test splits."""

    label_col: str | None = option(None, help="Label column (default: label; pairs: score).")
    dev: str = option("0.1", help="Dev fraction of the data, or a dev FILE (a given split).")
    test: str = option("0.2", help="Test fraction of the data, or a test FILE (a given split).")


@dataclass
class TaskData:
    """A fitted task and its three splits (canonical columns)."""

    task: Task
    train: datasets.Dataset
    dev: datasets.Dataset
    test: datasets.Dataset
    source: str


def map_columns(
    ds: datasets.Dataset,
    opts: InputColumns,
    task: Task,
    *,
    file: str,
    require_label: bool = True,
) -> datasets.Dataset:
    """``ds`` with only the canonical columns (and ``id``/``is_silver`` where present)."""
    cols = set(ds.column_names)
    label_col = opts.label_col if isinstance(opts, DataOptions) else None
    pairs = task.needs_pair and "text" not in cols and {"sentence1", "sentence2"} <= cols
    if opts.text_pair_col and not task.needs_pair:
        raise InputError(
            f"--text-pair-col needs --task regression (the task is {task.name})",
            field="--text-pair-col",
        )
    wanted = {
        "text": opts.text_col or ("sentence1" if pairs else "text"),
        "label": label_col or ("score" if pairs and "label" not in cols else "label"),
        "text_pair": opts.text_pair_col or ("sentence2" if task.needs_pair else None),
        "author": opts.author_col or ("author" if "author" in cols else None),
    }
    if not require_label and wanted["label"] not in cols and not label_col:
        wanted["label"] = None
    for field, source in wanted.items():
        if source is not None and source not in cols:
            flag = "--" + field.replace("_", "-") + "-col"
            raise InputError(
                f"has no column {source!r} (name the {field} column with {flag}; columns: "
                f"{', '.join(ds.column_names)})",
                file=file,
                field=field,
            )
    mapping = {src: dst for dst, src in wanted.items() if src is not None}
    if len(mapping) < sum(src is not None for src in wanted.values()):
        raise InputError(f"one column mapped to two fields: {wanted}", file=file)
    extra = [c for c in KEPT if c in cols and c not in mapping]
    return ds.select_columns([*mapping, *extra]).rename_columns(
        {s: d for s, d in mapping.items() if s != d}
    )


def split_spec(value: str, flag: str) -> float | Path:
    """``--dev``/``--test``: a fraction in [0, 1), or an existing file."""
    try:
        fraction = float(value)
    except ValueError:
        path = Path(value)
        if not path.exists():
            raise InputError("no such file", file=path, field=flag) from None
        return path
    if not 0 <= fraction < 1:
        raise InputError(f"a fraction must be in [0, 1), got {value}", field=flag)
    return fraction


def load_task_data(
    data: datasets.Dataset | str | Path, task: Task, opts: DataOptions, *, seed: int = 0
) -> TaskData:
    """Read, map and check the data (and given dev/test files); make the missing splits;
    fit ``task`` on the whole data for its label set, then on train for class weights."""
    source, ds = _read(data, "<data>")
    ds = map_columns(ds, opts, task, file=source)
    task = task.fit(ds, file=source)
    given: dict[str, datasets.Dataset] = {}
    fractions = {}
    for name in ("dev", "test"):
        spec = split_spec(getattr(opts, name), f"--{name}")
        if isinstance(spec, Path):
            file, split = _read(spec, name)
            given[name] = map_columns(split, opts, task, file=file)
            task.targets(given[name], file=file)
            fractions[name] = 0.0
        else:
            fractions[name] = spec
    splits = split_posts(ds, seed=seed, strata=task.strata(ds), **fractions)
    splits.update(given)
    task = task.fit(splits["train"], file=f"{source} (train split)")
    return TaskData(task, splits["train"], splits["dev"], splits["test"], source)


def _read(data: datasets.Dataset | str | Path, kind: str) -> tuple[str, datasets.Dataset]:
    if isinstance(data, datasets.Dataset):
        name, ds = f"<{kind} data set>", data
    else:
        name, ds = str(data), read_table(data)
    if ds.cache_files:  # a saved data set: work in memory, never write caches beside it
        ds = ds.flatten_indices(keep_in_memory=True)
    if len(ds) == 0:
        raise InputError("is empty (no rows)", file=name)
    return name, ds
