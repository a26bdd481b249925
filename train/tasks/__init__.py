"""The tasks ``train`` learns (``--task``): ``mbti``, ``single``, ``multi``, ``regression``.

A task turns a label column into targets, logits into scores and predictions, and scores into
its test metrics; see :class:`train.tasks.base.Task`. A saved model stores
``task.to_config()``; :func:`task_from_config` rebuilds the task from it.
"""

from __future__ import annotations

from typing import Any

from schemas.errors import InputError
from train.tasks.base import Task
from train.tasks.mbti import MbtiTask
from train.tasks.multi import MultiLabelTask
from train.tasks.regression import RegressionTask
from train.tasks.single import SingleLabelTask

TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (MbtiTask, SingleLabelTask, MultiLabelTask, RegressionTask)
}


def task_class(name: str) -> type[Task]:
    """The task class of ``--task NAME``."""
    if name not in TASKS:
        raise InputError(f"unknown task {name!r} (known: {', '.join(TASKS)})", field="--task")
    return TASKS[name]


def task_from_config(config: dict[str, Any]) -> Task:
    """The task that ``Task.to_config()`` described (lists back to tuples)."""
    params = dict(config)
    cls = task_class(params.pop("name"))
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})


__all__ = [
    "TASKS",
    "MbtiTask",
    "MultiLabelTask",
    "RegressionTask",
    "SingleLabelTask",
    "Task",
    "task_class",
    "task_from_config",
]
