"""Reading gold (or test) STS pairs: two non-empty sentences and a score inside the declared
scale per row."""

from __future__ import annotations

from pathlib import Path

from schemas.errors import InputError
from schemas.io import read_table

#: pairs as columns: ``id``, ``sentence1``, ``sentence2``, ``score``
Pairs = dict[str, list]


def read_pairs(path: Path, scale: tuple[float, float]) -> Pairs:
    """Read STS pairs; every score must be a number inside ``scale``."""
    ds = read_table(path, required=["sentence1", "sentence2", "score"])
    out: dict[str, list] = {"id": [], "sentence1": [], "sentence2": [], "score": []}
    ids = ds["id"] if "id" in ds.column_names else None
    for row, rec in enumerate(ds, start=1):
        for name in ("sentence1", "sentence2"):
            if not isinstance(rec[name], str) or not rec[name].strip():
                raise InputError("empty or missing sentence", file=path, row=row, field=name)
        try:
            score = float(rec["score"])
        except (TypeError, ValueError):
            raise InputError(
                f"score {rec['score']!r} is not a number", file=path, row=row, field="score"
            ) from None
        if not scale[0] <= score <= scale[1]:
            raise InputError(
                f"score {score:g} is outside the declared scale {scale[0]:g}-{scale[1]:g} "
                "(set --scale)",
                file=path,
                row=row,
                field="score",
            )
        out["id"].append(str(ids[row - 1]) if ids is not None else f"pair-{row}")
        out["sentence1"].append(rec["sentence1"])
        out["sentence2"].append(rec["sentence2"])
        out["score"].append(score)
    return out
