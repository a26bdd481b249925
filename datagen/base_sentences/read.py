"""Reading base sentences: a ``base_sentences`` data set, any table with a text column, or a
plain ``.txt`` file with one sentence per line."""

from __future__ import annotations

from pathlib import Path

from schemas.errors import InputError
from schemas.io import read_table


def base_id(index: int) -> str:
    """``b00001``-style ids for sentences that come without one (1-based)."""
    return f"b{index:05d}"


def read_base_sentences(path: str | Path, *, text_col: str = "text") -> list[dict]:
    """Rows ``{id, text, lang?}`` in file order. Every text must be a non-empty string; ids
    (kept when the input has an ``id`` column) must be unique."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        return _read_lines(path)
    ds = read_table(path, columns={"text": text_col}, required=["text"])
    rows, seen = [], set()
    for i, row in enumerate(ds, start=1):
        text = row["text"]
        if not isinstance(text, str):
            raise InputError(
                f"must be text, got {type(text).__name__} {text!r}",
                file=path,
                row=i,
                field=text_col,
            )
        if not text.strip():
            raise InputError("is empty", file=path, row=i, field=text_col)
        rid = str(row["id"]) if row.get("id") not in (None, "") else base_id(i)
        if rid in seen:
            raise InputError(f"duplicate id {rid!r}", file=path, row=i, field="id")
        seen.add(rid)
        out = {"id": rid, "text": " ".join(text.split())}
        if isinstance(row.get("lang"), str) and row["lang"]:
            out["lang"] = row["lang"]
        rows.append(out)
    return rows


def _read_lines(path: Path) -> list[dict]:
    if not path.is_file():
        raise InputError("no such file", file=path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise InputError(f"is not UTF-8 text (byte {err.start})", file=path) from None
    texts = [" ".join(line.split()) for line in lines]
    rows = [{"id": base_id(i), "text": t} for i, t in enumerate(texts, start=1) if t]
    if not rows:
        raise InputError("is empty (no sentences)", file=path)
    return rows
