"""LLM access for the generation commands: task contract, config, cache, limits, the online and
Batch API generators.

A stage defines an :class:`~datagen.llm.task.LLMTask` (prompt + parse) and gets its generator
from :func:`datagen.generation.make_generator` (or :func:`llm_generator` here); :func:`run_task`
and :func:`estimate` are the short forms.
"""

from collections.abc import Iterable
from typing import Any

from datagen.llm.batch import BatchGenerator
from datagen.llm.config import LLMConfig
from datagen.llm.runner import Estimate, OnlineGenerator, estimate
from datagen.llm.solve import RunResult
from datagen.llm.task import LLMTask
from datagen.llm.usage import Usage


def llm_generator(task: LLMTask, config: LLMConfig, *, progress: bool = True) -> OnlineGenerator:
    """The Batch API generator with ``config.batch_api``, else the online one."""
    kind = BatchGenerator if config.batch_api else OnlineGenerator
    return kind(task, config, progress=progress)


def run_task(
    task: LLMTask, rows: Iterable[dict[str, Any]], config: LLMConfig, *, progress: bool = True
) -> RunResult:
    """Answer every row with the LLM (through the cache); see :class:`RunResult`."""
    return llm_generator(task, config, progress=progress).run(rows)


__all__ = [
    "BatchGenerator", "Estimate", "LLMConfig", "LLMTask", "OnlineGenerator", "RunResult",
    "Usage", "estimate", "llm_generator", "run_task",
]  # fmt: skip
