"""The label of each phase-1/phase-2 row as an id into the task's label set: the one given (the
phase-1 model's, or the task's in ``train all``), else the task's own (MBTI: the 16 types;
``--labels FILE``), else the labels the data use. A phase-1/2 row is about one label, also for
``multi`` (a delimited cell must hold exactly one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.errors import InputError
from schemas.labels import LabelSet, read_label_file
from train.tasks.options import LabelOptions


@dataclass(frozen=True)
class RowLabels:
    """The label set and each row's label id into it."""

    label_set: tuple[str, ...]
    ids: list[int]

    @property
    def names(self) -> list[str]:
        """Each row's canonical label."""
        return [self.label_set[i] for i in self.ids]


def row_labels(
    values: Sequence[Any],
    opts: LabelOptions,
    *,
    file: str,
    label_set: Sequence[str] | None = None,
    label_set_of: str = "the phase-1 model",
) -> RowLabels:
    """Each row's label id; an unknown, missing or multiple label raises naming its row.

    ``label_set``: a label set fixed elsewhere (``label_set_of`` says where), which the rows
    must keep to.
    """
    from train.tasks import task_class
    from train.tasks.vocab import labels_from_values, one_label

    opts.check_label_set()
    fixed = tuple(label_set) if label_set is not None else None
    given = read_label_file(opts.labels).labels if opts.labels else ()
    known = task_class(opts.task)(**({"labels": given} if given else {})).phase_labels or None
    if fixed is not None and known is not None and _upper(fixed) != _upper(known):
        raise InputError(
            f"{label_set_of} knows the labels {_hint(fixed)}, not those of --task {opts.task} "
            f"({_hint(known)}): pass its --task and --labels",
            file=opts.labels,
            field="--labels" if opts.labels else "--task",
        )
    cells = [_one_value(v, opts, file=file, row=row) for row, v in enumerate(values, 1)]
    labels = LabelSet("labels", fixed or known or labels_from_values(cells, file=file).labels)
    ids = [one_label(v, labels, file=file, row=row) for row, v in enumerate(cells, 1)]
    return RowLabels(labels.labels, ids)


def _one_value(value: Any, opts: LabelOptions, *, file: str, row: int) -> Any:
    """The row's one label (``multi``: its delimited cell split; exactly one part allowed)."""
    if opts.task != "multi" or value is None:
        return value
    from train.tasks.vocab import split_values

    parts = split_values(value, opts.label_sep, file=file, row=row)
    if len(parts) != 1:
        raise InputError(
            f"a phase-1/2 row is about one label, got {len(parts)} ({value!r})",
            file=file,
            row=row,
            field="label",
        )
    return parts[0]


def _upper(labels: Sequence[str]) -> tuple[str, ...]:
    return tuple(lab.upper() for lab in labels)


def _hint(labels: Sequence[str]) -> str:
    return ", ".join(labels[:8]) + (", ..." if len(labels) > 8 else "")
