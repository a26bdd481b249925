"""Label values of classification data: one label, or several in a list or delimited string.

A value is a label name (case-insensitive, as :class:`schemas.labels.LabelSet` parses) or,
where it is not one, an integer class id into the label list (GoEmotions ships ids with a
separate names file).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from schemas.errors import InputError
from schemas.labels import LabelSet


def one_label(value: Any, labels: LabelSet, *, file: str, row: int) -> int:
    """The class id of one label value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError("missing label", file=file, row=row, field="label")
    text = str(value)
    if text in labels:
        return labels.index(text)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(labels):
        return value
    raise InputError(
        f"unknown label {value!r} (known: {', '.join(labels.labels[:10])}"
        + (", ..." if len(labels) > 10 else "")
        + ")",
        file=file,
        row=row,
        field="label",
    )


def split_values(value: Any, sep: str, *, file: str, row: int) -> list[Any]:
    """The labels of a multi-label cell: a list, or a string split on ``sep`` ("" = none)."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        return [part.strip() for part in value.split(sep) if part.strip()]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    raise InputError(
        f"expected a list of labels or a {sep!r}-separated string, got {value!r}",
        file=file,
        row=row,
        field="label",
    )


def labels_from_values(values: Iterable[Any], *, file: str) -> LabelSet:
    """The label set a column uses, sorted (numerically where every label is a number)."""
    seen: dict[str, str] = {}
    for row, value in enumerate(values, start=1):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError("missing label", file=file, row=row, field="label")
        seen.setdefault(str(value).strip().upper(), str(value).strip())
    names = list(seen.values())
    numeric = all(n.lstrip("-").isdigit() for n in names)
    return LabelSet("data", tuple(sorted(names, key=int if numeric else str)))


class NamedLabels:
    """For a task whose outputs are its ``labels`` (a dataclass field of the task)."""

    labels: tuple[str, ...]

    @functools.cached_property
    def label_set(self) -> LabelSet:
        return LabelSet("labels", tuple(self.labels))

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(self.labels)
