"""LLM access for the generation commands: task contract, config, cache, limits, runner.

A command defines an :class:`~datagen.llm.task.LLMTask` (prompt + parse), builds an
:class:`~datagen.llm.config.LLMConfig` from its CLI options, and calls
:func:`~datagen.llm.runner.run_task` (or :func:`~datagen.llm.runner.estimate` for ``--dry-run``).
"""

from datagen.llm.config import LLMConfig
from datagen.llm.runner import Estimate, RunResult, Usage, estimate, run_task
from datagen.llm.task import LLMTask

__all__ = ["LLMConfig", "LLMTask", "Estimate", "RunResult", "Usage", "estimate", "run_task"]
