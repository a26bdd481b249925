"""The data sets under one directory, read page by page for the viewer.

Masked (phase-2) rows are grouped by base sentence, so a page shows the 16 types' targets and
candidates side by side; posts can be filtered to gold or silver rows, each silver row with
its score and the text of its query. Rows are read from the memory-mapped Arrow files one
page at a time, so 14,400 rows open as fast as 100.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.errors import InputError

FILTERS = ("all", "gold", "silver")
NOTES = ("report.md", "report.json", "README.md", "failures.jsonl")


@dataclass
class Table:
    """One saved data set: its rows (memory-mapped), kind and row indices per view."""

    name: str
    path: Path
    rows: Any
    kind: str
    groups: list[list[int]] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.rows.column_names)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "rows": len(self.rows),
            "groups": len(self.groups) if self.kind == "masked" else None,
            "columns": self.columns,
        }

    def indices(self, row_filter: str) -> list[int] | range:
        """Row indices for ``row_filter`` (gold/silver only where there is ``is_silver``)."""
        if row_filter == "all" or "is_silver" not in self.columns:
            return range(len(self.rows))
        want = row_filter == "silver"
        return [i for i, s in enumerate(self.rows["is_silver"]) if bool(s) == want]

    def page(self, number: int, size: int, row_filter: str = "all") -> dict[str, Any]:
        """Page ``number`` (from 0): masked rows as groups, other rows as they are."""
        items = self.groups if self.kind == "masked" else self.indices(row_filter)
        pages = max(1, -(-len(items) // size))
        chosen = items[number * size : (number + 1) * size]
        out: dict[str, Any] = {"page": number, "pages": pages, "total": len(items)}
        if self.kind == "masked":
            out["groups"] = [self._group(g) for g in chosen]
        else:
            out["rows"] = [self._row(r) for r in self.rows.select(list(chosen))]
        return out

    def _group(self, indices: list[int]) -> dict[str, Any]:
        rows = list(self.rows.select(indices))
        return {"base_id": rows[0]["base_id"], "text": rows[0]["text"], "types": rows}

    def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        query = row.get("silver_query_id")
        if query is not None and query in self.ids:
            row["silver_query_text"] = self.rows[self.ids[query]]["text"]
        return row

    def notes(self) -> dict[str, Any]:
        """``manifest.json`` and the report files beside the rows."""
        manifest = self.path / "manifest.json"
        out: dict[str, Any] = {
            "manifest": json.loads(manifest.read_text(encoding="utf-8"))
            if manifest.is_file()
            else None,
            "files": {},
        }
        for name in NOTES:
            path = self.path / name
            if path.is_file():
                out["files"][name] = path.read_text(encoding="utf-8", errors="replace")[:200_000]
        return out


def open_table(path: Path, name: str) -> Table:
    """Open one saved data set and index it for its kind."""
    import datasets

    rows = datasets.load_from_disk(str(path))
    if isinstance(rows, datasets.DatasetDict):
        raise InputError("is a DatasetDict; pass one split's directory", file=path)
    columns = set(rows.column_names)
    if {"base_id", "candidates"} <= columns:
        order: dict[str, list[int]] = {}
        for i, base in enumerate(rows["base_id"]):
            order.setdefault(base, []).append(i)
        return Table(name, path, rows, "masked", groups=list(order.values()))
    if "is_silver" in columns:
        ids = {}
        if "silver_query_id" in columns and "id" in columns:
            wanted = {q for q in rows["silver_query_id"] if q is not None}
            ids = {i: n for n, i in enumerate(rows["id"]) if i in wanted}
        return Table(name, path, rows, "posts", ids=ids)
    return Table(name, path, rows, "table")


def open_tables(data: Path) -> dict[str, Table]:
    """``data`` itself when it is a saved data set, else every saved data set below it."""
    if not data.exists():
        raise InputError("no such file or directory", file=data)
    if (data / "dataset_info.json").is_file():
        return {data.name: open_table(data, data.name)}
    found = sorted(p.parent for p in data.rglob("dataset_info.json"))
    if not data.is_dir() or not found:
        raise InputError("holds no data set written by mbtikit (no dataset_info.json)", file=data)
    return {str(p.relative_to(data)): open_table(p, str(p.relative_to(data))) for p in found}
