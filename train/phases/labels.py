"""The label of each phase-1/phase-2 row as an id into the task's label set.

``--task mbti``: the 16 types (:func:`train.data.parse_labels`, as ever). ``single``/``multi``:
any label set, parsed by the task layer (:mod:`train.tasks.vocab`): the one given (the
phase-1 model's, or the task's in ``train all``), else ``--labels FILE``, else the labels the
data use. A phase-1/2 row is about one label, also for ``multi`` (a delimited cell must hold
exactly one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.errors import InputError
from schemas.labels import MBTI, LabelSet, read_label_file
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
    from train.data import parse_labels
    from train.tasks.vocab import labels_from_values, one_label

    opts.check_label_set()
    fixed = tuple(label_set) if label_set is not None else None
    if opts.task == "mbti":
        if fixed is not None and fixed != MBTI.labels:
            raise InputError(
                f"{label_set_of} knows the labels {_hint(fixed)}, not the 16 MBTI types: "
                "pass its --task (single or multi)",
                field="--task",
            )
        return RowLabels(MBTI.labels, [MBTI.index(lab) for lab in parse_labels(values, file=file)])
    given = read_label_file(opts.labels).labels if opts.labels else None
    if fixed is not None and given is not None and _upper(fixed) != _upper(given):
        raise InputError(
            f"lists other labels than {label_set_of} ({_hint(fixed)})",
            file=opts.labels,
            field="--labels",
        )
    cells = [_one_value(v, opts, file=file, row=row) for row, v in enumerate(values, 1)]
    labels = LabelSet("labels", fixed or given or labels_from_values(cells, file=file).labels)
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
