"""The phase models, registered with ``AutoConfig``/``AutoModel`` on import.

Load a saved phase directory with its class (no ``auto_map`` / remote code needed)::

    from train.models import MbtiAxisClassifier
    model = MbtiAxisClassifier.from_pretrained(run_dir)

or, after ``import train.models``, with ``AutoModel.from_pretrained(run_dir)``.
"""

from transformers import AutoConfig, AutoModel

from train.models.axes import AxisClassifierConfig, MbtiAxisClassifier
from train.models.encoder import EncoderHeadConfig, EncoderModel
from train.models.task_model import TaskModel, TaskModelConfig
from train.models.type_mlm import TypeConditionedMlm, TypeMlmConfig
from train.models.type_sentences import TypeSentenceClassifier, TypeSentenceConfig

PHASE_MODELS: dict[str, type[EncoderModel]] = {
    TypeSentenceConfig.model_type: TypeSentenceClassifier,
    TypeMlmConfig.model_type: TypeConditionedMlm,
    AxisClassifierConfig.model_type: MbtiAxisClassifier,
    TaskModelConfig.model_type: TaskModel,
}
PHASE_OF_MODEL_TYPE: dict[str, int] = {
    TypeSentenceConfig.model_type: 1,
    TypeMlmConfig.model_type: 2,
    AxisClassifierConfig.model_type: 3,
    TaskModelConfig.model_type: 3,
}

for _model_cls in PHASE_MODELS.values():
    AutoConfig.register(_model_cls.config_class.model_type, _model_cls.config_class, exist_ok=True)
    AutoModel.register(_model_cls.config_class, _model_cls, exist_ok=True)

__all__ = [
    "PHASE_MODELS",
    "PHASE_OF_MODEL_TYPE",
    "AxisClassifierConfig",
    "EncoderHeadConfig",
    "MbtiAxisClassifier",
    "TypeConditionedMlm",
    "TypeMlmConfig",
    "TypeSentenceClassifier",
    "TaskModel",
    "TaskModelConfig",
    "TypeSentenceConfig",
]
