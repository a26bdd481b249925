"""Read any supported table by path, validate its rows, and write data sets atomically.

Readable: a ``save_to_disk`` directory, ``.jsonl``/``.json``, ``.csv``/``.tsv``, ``.parquet``.
Written: ``save_to_disk`` into the output directory itself (so ``datasets.load_from_disk(out)``
works), plus ``data.parquet`` (optionally ``data.jsonl``) and ``manifest.json``; everything goes
into a temporary sibling directory first and is renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets
from pydantic import ValidationError

from schemas.cards import write_card
from schemas.errors import InputError
from schemas.features import FEATURES
from schemas.records import RECORDS

TABLE_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".parquet")

datasets.disable_progress_bars()


def is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and (path / "dataset_info.json").exists()


def read_table(
    path: str | Path,
    *,
    columns: Mapping[str, str | None] | None = None,
    required: Sequence[str] = (),
) -> datasets.Dataset:
    """Load a table as a :class:`datasets.Dataset`.

    ``columns`` maps our field names to the file's column names (``{"text": "body"}``, from
    ``--text-col``/``--label-col``); ``required`` lists fields that must be present.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or directory", file=path)
    if is_saved_dataset(path):
        ds = datasets.load_from_disk(str(path))
        if isinstance(ds, datasets.DatasetDict):
            raise InputError("is a DatasetDict; pass one split's directory", file=path)
    elif path.is_dir():
        raise InputError(
            "is a directory but not a saved data set (no dataset_info.json)", file=path
        )
    else:
        ds = _read_file(path)
    if len(ds) == 0:
        raise InputError("is empty (no rows)", file=path)
    for ours, theirs in (columns or {}).items():
        if theirs and theirs != ours:
            if theirs not in ds.column_names:
                raise InputError(
                    f"no column {theirs!r} (columns: {', '.join(ds.column_names)})",
                    file=path,
                    field=theirs,
                )
            if ours in ds.column_names:
                ds = ds.remove_columns(ours)
            ds = ds.rename_column(theirs, ours)
    for name in required:
        if name not in ds.column_names:
            raise InputError(
                f"missing required column (columns: {', '.join(ds.column_names)}); "
                f"map one with --{name.replace('_', '-')}-col",
                file=path,
                field=name,
            )
    return ds


def _read_file(path: Path) -> datasets.Dataset:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix!r} (use {', '.join(TABLE_SUFFIXES)})", file=path
        )
    if path.stat().st_size == 0:
        raise InputError("is empty", file=path)
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            return datasets.Dataset(pq.read_table(path))
        except Exception as err:  # pyarrow raises several unrelated types for bad files
            raise InputError(
                f"not a readable Parquet file ({type(err).__name__})", file=path
            ) from None
    text = _read_text(path)
    if suffix in (".jsonl", ".json"):
        numbered = _parse_json_rows(text, path)
        _check_one_type_per_column(numbered, path)
        rows = [row for _, row in numbered]
    else:
        rows = _parse_csv_rows(text, path, delimiter="\t" if suffix == ".tsv" else ",")
    if not rows:
        raise InputError("is empty (no rows)", file=path)
    return datasets.Dataset.from_list(rows)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "list", dict: "object"}.get(type(value), type(value).__name__)


def _check_one_type_per_column(numbered: list[tuple[int, dict[str, Any]]], path: Path) -> None:
    """Arrow needs one type per column: the first cell that breaks this is the error."""
    first: dict[str, tuple[str, int]] = {}
    for number, row in numbered:
        for name, value in row.items():
            if value is None:
                continue
            kind = _kind(value)
            seen, seen_at = first.setdefault(name, (kind, number))
            if kind != seen:
                raise InputError(
                    f"is a {kind} ({value!r:.40}) but a {seen} in row {seen_at}; "
                    "a column must hold one type",
                    file=path,
                    row=number,
                    field=name,
                )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"is not UTF-8 text (undecodable byte at offset {err.start}); re-save it as UTF-8",
            file=path,
        ) from None


def _parse_json_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(row number, row) pairs: the line number in JSONL, the item number in a JSON array."""
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise InputError(f"not valid JSON ({err.msg}, line {err.lineno})", file=path) from None
        lines = list(enumerate(rows, start=1))
    else:
        lines = []
        # JSON Lines ends a row at "\n" only: str.splitlines() would also split at U+0085 or
        # U+2028 inside a string, which JSON writes unescaped.
        for lineno, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                lines.append((lineno, json.loads(line)))
            except json.JSONDecodeError as err:
                raise InputError(f"line is not JSON ({err.msg})", file=path, row=lineno) from None
    for lineno, row in lines:
        if not isinstance(row, dict):
            raise InputError("a row must be a JSON object", file=path, row=lineno)
    return lines


def _parse_csv_rows(text: str, path: Path, delimiter: str) -> list[dict[str, Any]]:
    try:
        # a file object, not splitlines(): quoted cells may hold newlines (and U+0085, U+2028)
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = []
        for row in reader:
            if None in row:
                raise InputError(
                    f"has more cells than the header ({len(reader.fieldnames or [])} columns)",
                    file=path,
                    row=reader.line_num,
                )
            rows.append(dict(row))
    except csv.Error as err:
        raise InputError(f"not valid CSV ({err})", file=path) from None
    if reader.fieldnames is None:
        raise InputError("is empty (no header)", file=path)
    return rows


def validate_rows(ds: datasets.Dataset, kind: str, *, file: str | Path) -> None:
    """Validate every row against the record model of ``kind``; the first bad row raises."""
    model = RECORDS[kind]
    for i, row in enumerate(ds, start=1):
        try:
            model.model_validate(row)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or None
            raise InputError(first["msg"], file=file, row=i, field=field) from None


class Output:
    """The directory a command is writing (not yet published) and what to put in it."""

    def __init__(self, directory: Path, final: Path) -> None:
        self.dir = directory
        self.final = final

    def dataset(
        self, ds: datasets.Dataset, name: str | None = None, *, jsonl: bool = False
    ) -> Path:
        """``save_to_disk`` + ``data.parquet`` (+ ``data.jsonl``) into the output directory (or
        its sub-folder ``name``). An empty data set writes nothing: ``datasets`` cannot load
        one back."""
        directory = self.dir / name if name else self.dir
        if len(ds):
            directory.mkdir(parents=True, exist_ok=True)
            save_dataset(ds, directory, jsonl=jsonl)
        return directory

    def json(self, name: str, obj: Any) -> Path:
        """Write ``name`` (relative to the output directory) as indented UTF-8 JSON."""
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, obj)
        return path

    def text(self, name: str, text: str) -> Path:
        """Write ``name`` (relative to the output directory) as UTF-8 text (a report)."""
        path = self.dir / name
        path.write_text(text, encoding="utf-8")
        return path

    def jsonl(self, name: str, rows: Iterable[Mapping[str, Any]]) -> Path:
        """Write ``rows`` one JSON object a line (the file exists, empty, for no rows)."""
        path = self.dir / name
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(dict(row), ensure_ascii=False, default=str) + "\n")
        return path


def staging_dir(out: str | Path) -> Path:
    """Where a resumable command builds ``out`` before publishing it: ``.<out>.partial``."""
    out = Path(out)
    return out.parent / f".{out.name}.partial"


@contextlib.contextmanager
def publish(
    out: str | Path,
    *,
    manifest: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    overwrite: bool = False,
    resume: bool | None = None,
    push_to_hub: str | None = None,
) -> Iterator[Output]:
    """The one way every command writes its output directory.

    Yields an :class:`Output` on a directory beside ``out``; when the block succeeds the
    ``manifest`` (a mapping, or a callable evaluated at the end) becomes ``manifest.json``, a
    data set or model gets its card (``README.md``, :mod:`schemas.cards`), and the directory
    is renamed to ``out`` (an existing ``out`` replaced only then, and only with ``overwrite``).
    On failure nothing is published.

    ``resume=None``: a fresh temporary directory, removed on failure. ``resume`` True/False: a
    fixed staging directory ``.<out>.partial`` that survives a failure or a kill (bad input
    still removes one this call created) so that a later call with ``resume=True`` continues
    from what it holds; ``resume=False`` starts it afresh. ``push_to_hub``: then upload it to
    that Hub repository (:mod:`schemas.hub`).
    """
    out = Path(out)
    check_output_dir(out, overwrite=overwrite)
    if push_to_hub:
        from schemas.hub import check_push

        check_push(push_to_hub)  # before the work, not after it
    out.parent.mkdir(parents=True, exist_ok=True)
    if resume is None:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        keep_on_failure = False
    else:
        tmp = staging_dir(out)
        created = not tmp.exists() or not resume
        if tmp.exists() and not resume:
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        keep_on_failure = not created
    try:
        yield Output(tmp, out)
        if manifest is not None:
            write_json(tmp / "manifest.json", manifest() if callable(manifest) else manifest)
        write_card(tmp, out.name)
    except InputError:
        if not keep_on_failure:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    except BaseException:
        if resume is None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    _rename_into_place(tmp, out)
    if push_to_hub:
        from schemas.hub import push_to_hub as push

        push(out, push_to_hub)


def _rename_into_place(tmp: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def check_output_dir(out: str | Path, *, overwrite: bool = False) -> None:
    """Fail early (before any work) when ``out`` exists and is not an empty directory."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", file=out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError("exists and is not empty (pass --overwrite to replace it)", file=out)


def to_dataset(
    rows: Sequence[Mapping[str, Any]],
    kind: str,
    extra_features: Mapping[str, datasets.features.FeatureType] | None = None,
) -> datasets.Dataset:
    """Build a data set of ``kind`` with its declared features (plus ``extra_features``)."""
    features = datasets.Features({**FEATURES[kind], **(extra_features or {})})
    return datasets.Dataset.from_list(
        [{k: r.get(k) for k in features} for r in rows], features=features
    )


def save_dataset(ds: datasets.Dataset, directory: Path, *, jsonl: bool = False) -> None:
    """Write ``ds`` into ``directory`` (``save_to_disk`` + ``data.parquet`` [+ ``data.jsonl``])."""
    ds.save_to_disk(str(directory))
    ds.to_parquet(str(directory / "data.parquet"))
    if jsonl:
        ds.to_json(str(directory / "data.jsonl"), lines=True, force_ascii=False)


def write_dataset(
    ds: datasets.Dataset,
    out: str | Path,
    *,
    manifest: Mapping[str, Any],
    overwrite: bool = False,
    jsonl: bool = False,
) -> Path:
    """Publish one data set with its ``manifest.json``; returns ``out``."""
    with publish(out, manifest=manifest, overwrite=overwrite) as output:
        output.dataset(ds, jsonl=jsonl)
    return Path(out)


def write_json(path: Path, obj: Any) -> None:
    path.write_text(
        json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
