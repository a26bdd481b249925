"""Running ``--fill frame``: the grammar spells one sentence, so each masked sentence is one run
of its 16 (sentence, type) requests, with the grammar in every request body (and cache key)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from tqdm.auto import tqdm

from datagen.llm import LLMConfig, OnlineGenerator, RunResult, Usage, estimate
from datagen.masked.frame import frame_max_tokens
from datagen.masked.tasks import PerTypeFrameTask
from schemas.errors import InputError

REJECTED = (
    "{error}; --fill frame sends a GBNF `grammar` in every request, which llama.cpp's server "
    "takes: for other servers use --fill word"
)


class FrameFills:
    """A generator over ``{id, base_id, masked, label}`` rows for ``--fill frame``. ``task`` is
    the stage's task (prompt hash, name, the cells without logprobs in ``task.sampled``)."""

    def __init__(self, task: PerTypeFrameTask, config: LLMConfig, *, progress: bool) -> None:
        self.task, self.config, self.progress = task, config, progress

    def _runs(self, rows: Sequence[dict]) -> Iterator[tuple[OnlineGenerator, list[dict]]]:
        by_sentence: dict[str, list[dict]] = {}
        for row in rows:
            by_sentence.setdefault(row["masked"], []).append(row)
        for masked, group in by_sentence.items():
            config = self.config
            if config.max_tokens is None:
                config = replace(config, max_tokens=frame_max_tokens(masked))
            yield OnlineGenerator(self.task.for_sentence(masked), config, progress=False), group

    def estimate(self, rows: Sequence[dict]) -> str:
        parts = [estimate(g.task, group, g.config) for g, group in self._runs(rows)]
        if not parts:
            return estimate(self.task, [], self.config).summary()
        total = replace(
            parts[0],
            **{
                name: sum(getattr(p, name) for p in parts)
                for name in ("rows", "requests", "cached", "prompt_tokens", "completion_tokens")
            },
            cost_usd=round(sum(p.cost_usd for p in parts), 6),
        )
        return total.summary()

    def run(self, rows: Sequence[dict]) -> RunResult:
        records: list[dict] = []
        failures: list[dict] = []
        usage = Usage(model=self.config.model)
        with tqdm(
            total=len(rows), desc=self.task.name, unit="row", disable=not self.progress
        ) as bar:
            for generator, group in self._runs(rows):
                try:
                    result = generator.run(group)
                except InputError as err:
                    if "rejected the request" not in err.message:
                        raise
                    raise InputError(REJECTED.format(error=err.message), field="--fill") from None
                records += result.records
                failures += result.failures
                usage += result.usage
                self.task.sampled += generator.task.sampled
                bar.update(len(group))
        return RunResult(records, failures, usage)
