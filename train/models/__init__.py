"""The phase models, registered with ``AutoConfig``/``AutoModel`` on import.

Phases 1 and 3 train a :class:`TaskModel` (encoder + mean pooling + the study's head, the
task's loss); phase 2 a :class:`TypeConditionedMlm`. Load a saved directory with its class
(no ``auto_map`` / remote code needed)::

    from train.models import TaskModel
    model = TaskModel.from_pretrained(run_dir)

or, after ``import train.models``, with ``AutoModel.from_pretrained(run_dir)``.
"""

from transformers import AutoConfig, AutoModel

from train.models.encoder import EncoderHeadConfig, EncoderModel
from train.models.task_model import TaskModel, TaskModelConfig
from train.models.type_mlm import TypeConditionedMlm, TypeMlmConfig

PHASE_MODELS: dict[str, type[EncoderModel]] = {
    TypeMlmConfig.model_type: TypeConditionedMlm,
    TaskModelConfig.model_type: TaskModel,
}

for _model_cls in PHASE_MODELS.values():
    AutoConfig.register(_model_cls.config_class.model_type, _model_cls.config_class, exist_ok=True)
    AutoModel.register(_model_cls.config_class, _model_cls, exist_ok=True)

__all__ = [
    "PHASE_MODELS",
    "EncoderHeadConfig",
    "TaskModel",
    "TaskModelConfig",
    "TypeConditionedMlm",
    "TypeMlmConfig",
]
