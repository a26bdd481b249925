"""The model of any task, in phase 1 and phase 3: encoder + mean pooling + the study's head
with one output per label (``single``/``multi``), per axis (``mbti``) or one score output
(``regression``: a cross-encoder, the two sentences in one input); the loss is the task's."""

from __future__ import annotations

from typing import Any

import torch

from train.models.encoder import EncoderHeadConfig, PooledHeadModel
from train.tasks import Task, task_from_config


class TaskModelConfig(EncoderHeadConfig):
    """Adds ``task_spec``: the fitted (and tuned) task, as ``Task.to_config()`` wrote it."""

    model_type = "mbtikit_task_model"

    def __init__(self, task_spec: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.task_spec = dict(task_spec or {})
        super().__init__(**kwargs)

    @classmethod
    def for_task(cls, task: Task, **kwargs: Any) -> TaskModelConfig:
        """A config for ``task``: its spec, its label set (what a later phase 2 conditions on)
        and Hugging Face ``problem_type``."""
        return cls(
            task_spec=task.to_config(),
            labels=list(task.phase_labels),
            problem_type=task.problem_type,
            **kwargs,
        )

    @property
    def task(self) -> Task:
        return task_from_config(self.task_spec)


class TaskModel(PooledHeadModel):
    """Encoder + mean pooling + head with ``task.n_outputs`` outputs; ``labels`` are the
    task's float targets, ``sample_weight`` (optional) weights rows in the loss."""

    config_class = TaskModelConfig

    def __init__(self, config: TaskModelConfig) -> None:
        task = config.task
        super().__init__(config, task.n_outputs)
        self.task = task

    def head_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, sample_weight: torch.Tensor | None
    ) -> torch.Tensor:
        return self.task.loss(logits, labels, sample_weight)


def build_task_model(
    init: Any,
    task: Task,
    *,
    phase: int,
    head_dropout: float,
    seed: int,
    data: dict[str, Any],
    head_sizes: list[int] | None = None,
) -> TaskModel:
    """A new :class:`TaskModel` for ``task`` on ``init``'s encoder (a
    :class:`~train.models.init.InitSource`), its head drawn with ``seed`` (the same in every
    process) and a lineage entry for ``phase`` trained on ``data`` (provenance)."""
    from transformers import set_seed

    from train.models.init import encoder_config_dict, lineage_entry, transfer_encoder

    set_seed(seed)
    model = TaskModel(
        TaskModelConfig.for_task(
            task,
            encoder=encoder_config_dict(init.encoder),
            head_dropout=head_dropout,
            head_sizes=head_sizes,
            lineage=[*init.lineage, lineage_entry(phase, init, data, task=task.name)],
        )
    )
    transfer_encoder(model, init.encoder)
    return model
