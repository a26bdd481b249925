"""The model of any task: encoder + mean pooling + the study's head with one output per
label (``single``/``multi``/``mbti``) or one score output (``regression``: a cross-encoder,
the two sentences in one input); the loss is the task's."""

from __future__ import annotations

from typing import Any

import torch
from transformers.modeling_outputs import SequenceClassifierOutput

from train.models.encoder import EncoderHeadConfig, EncoderModel, StudyHead, build_encoder
from train.tasks import Task, task_from_config


class TaskModelConfig(EncoderHeadConfig):
    """Adds ``task_spec``: the fitted (and tuned) task, as ``Task.to_config()`` wrote it."""

    model_type = "mbtikit_task_model"

    def __init__(self, task_spec: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.task_spec = dict(task_spec or {})
        super().__init__(**kwargs)

    @classmethod
    def for_task(cls, task: Task, **kwargs: Any) -> TaskModelConfig:
        """A config for ``task``: its spec, output names and Hugging Face ``problem_type``."""
        return cls(
            task_spec=task.to_config(),
            labels=list(task.output_names),
            problem_type=task.problem_type,
            **kwargs,
        )

    @property
    def task(self) -> Task:
        return task_from_config(self.task_spec)


class TaskModel(EncoderModel):
    """Encoder + mean pooling + head with ``task.n_outputs`` outputs; ``labels`` are the
    task's float targets, ``sample_weight`` (optional) weights rows in the loss."""

    config_class = TaskModelConfig

    def __init__(self, config: TaskModelConfig) -> None:
        super().__init__(config)
        self.task = config.task
        self.encoder = build_encoder(config.encoder_config())
        self.head = StudyHead(config.hidden_size, self.task.n_outputs, config.head_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> SequenceClassifierOutput:
        logits = self.head(self.encode(input_ids, attention_mask, token_type_ids))
        loss = self.task.loss(logits, labels, sample_weight) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
