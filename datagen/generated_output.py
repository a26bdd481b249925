"""Writing a generated data set: the rows, ``failures.jsonl`` and ``manifest.json``, atomically."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets

from schemas.features import FEATURES
from schemas.io import atomic_output_dir, save_dataset, to_dataset, write_json

FAILURES_FILE = "failures.jsonl"


def dataset_of(rows: Sequence[Mapping[str, Any]], kind: str) -> datasets.Dataset:
    """:func:`schemas.io.to_dataset`, also for no rows (every answer failed)."""
    if rows:
        return to_dataset(rows, kind)
    return datasets.Dataset.from_dict({k: [] for k in FEATURES[kind]}, features=FEATURES[kind])


def write_generated(
    ds: datasets.Dataset,
    failures: Sequence[Mapping[str, Any]],
    out: Path,
    *,
    manifest: Mapping[str, Any],
    overwrite: bool,
) -> None:
    """The data set (``save_to_disk`` + ``data.parquet``), every failure with its reason (one
    JSON object a line; the file exists, empty, when nothing failed) and the manifest. With no
    rows at all only the failures and the manifest are written (``datasets`` cannot load an
    empty saved data set back)."""
    with atomic_output_dir(out, overwrite=overwrite) as tmp:
        if len(ds):
            save_dataset(ds, tmp)
        with (tmp / FAILURES_FILE).open("w", encoding="utf-8") as f:
            for failure in failures:
                f.write(json.dumps(dict(failure), ensure_ascii=False) + "\n")
        write_json(tmp / "manifest.json", manifest)
