"""Running ``--fill frame``: the grammar spells one sentence, so each masked sentence is one run
of its 16 (sentence, type) requests, with the grammar in every request body (and cache key).

Then each cell's other word starts at the blank are continued into whole words, most probable
start first, one request each (greedy, under a grammar that spells the start): a word is no
more probable than its start, so a cell stops once no start left can beat its ``k``-th fill, or
below :data:`~datagen.masked.tasks.MIN_PROB` of the blank's mass. A word is scored by the sum of
its tokens' logprobs (a continued one: its start's in the first answer, the rest's in the
continuation); the same word reached from two starts adds up. Every request goes through
the cache, so a rerun sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace

from tqdm.auto import tqdm

from datagen.llm import LLMConfig, OnlineGenerator, RunResult, Usage, estimate
from datagen.masked.contrast import contrast_types
from datagen.masked.frame import frame_max_tokens
from datagen.masked.tasks import MIN_PROB, PerTypeFrameTask, is_fill
from schemas.errors import InputError

REJECTED = (
    "{error}; --fill frame sends a GBNF `grammar` in every request, which llama.cpp's server "
    "takes: for other servers use --fill word"
)


CONTINUATIONS = (
    "note: --fill frame then sends one more request per word start it continues into a word "
    "(usually fewer than --k per cell with logprobs), not counted above"
)


class FrameFills:
    """A generator over ``{id, base_id, masked, label}`` rows for ``--fill frame``. ``task`` is
    the stage's task (prompt hash, name, the cells without logprobs in ``task.sampled``)."""

    def __init__(
        self, task: PerTypeFrameTask, config: LLMConfig, *, progress: bool, contrast: float = 0.0
    ) -> None:
        self.task, self.config, self.progress = task, config, progress
        self.contrast = contrast
        self.usage = Usage(model=config.model)

    def _runs(self, rows: Sequence[dict]) -> Iterator[tuple[OnlineGenerator, list[dict]]]:
        by_sentence: dict[str, list[dict]] = {}
        for row in rows:
            by_sentence.setdefault(row["masked"], []).append(row)
        for masked, group in by_sentence.items():
            yield self._generator(masked), group

    def _generator(self, masked: str, start: str = "") -> OnlineGenerator:
        config = self.config
        if config.max_tokens is None:
            config = replace(config, max_tokens=frame_max_tokens(masked))
        if start:  # the word its start begins most probably: greedy
            config = replace(config, temperature=0.0)
        return OnlineGenerator(self.task.for_sentence(masked, start), config, progress=False)

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
        return f"{total.summary()}\n{CONTINUATIONS}"

    def run(self, rows: Sequence[dict]) -> RunResult:
        records: list[dict] = []
        failures: list[dict] = []
        self.usage = Usage(model=self.config.model)
        with tqdm(
            total=len(rows), desc=self.task.name, unit="row", disable=not self.progress
        ) as bar:
            for generator, group in self._runs(rows):
                drafts = self._ask(generator, group, failures)
                words = contrast_types(self._continue(generator.task.masked, drafts),
                                       self.contrast)  # fmt: skip
                for draft, found in zip(drafts, words, strict=True):
                    try:
                        records += self.task.cell(draft["row"], draft["word"], found)
                    except ValueError as err:
                        failures.append({"row_id": draft["row"]["id"], "reason": str(err),
                                         "attempts": 1, "raw": draft["answer"]})  # fmt: skip
                bar.update(len(group))
        return RunResult(records, failures, self.usage)

    def _ask(
        self, generator: OnlineGenerator, rows: list[dict], failures: list[dict] | None = None
    ) -> list[dict]:
        """The drafts of ``rows`` (failures appended to ``failures``, else dropped)."""
        try:
            result = generator.run(rows)
        except InputError as err:
            if "rejected the request" not in err.message:
                raise
            raise InputError(REJECTED.format(error=err.message), field="--fill") from None
        self.usage += result.usage
        if failures is not None:
            failures += result.failures
        return list(result.records)

    def _continue(self, masked: str, drafts: list[dict]) -> list[dict[str, float] | None]:
        """Each draft's words with their probabilities (``None``: the server sent no logprobs
        at the blank), its other starts continued as the module says."""
        words: list[dict[str, float] | None] = [None] * len(drafts)
        queues: list[list[tuple[str, float]]] = [[] for _ in drafts]
        for i, draft in enumerate(drafts):
            if (blank := draft["blank"]) is not None:
                words[i] = {draft["word"]: blank["prob"]}
                mass = blank["prob"] + sum(blank["starts"].values())
                starts = sorted(blank["starts"].items(), key=lambda item: -item[1])
                queues[i] = [(s, p) for s, p in starts if p >= MIN_PROB * mass]
        while True:
            wave: dict[str, list[int]] = defaultdict(list)
            for i, queue in enumerate(queues):
                if queue and self._may_beat(queue[0][1], words[i], masked):
                    wave[queue.pop(0)[0]].append(i)
                else:
                    queue.clear()
            if not wave:
                return words
            for start, cells in wave.items():
                generator = self._generator(masked, start)
                continued = self._ask(generator, [drafts[i]["row"] for i in cells])
                by_id = {d["row"]["id"]: d for d in continued if d["blank"] is not None}
                for i in cells:
                    if (draft := by_id.get(drafts[i]["row"]["id"])) is not None:
                        found, word = words[i], draft["word"]
                        prob = drafts[i]["blank"]["starts"][start] * draft["blank"]["prob"]
                        found[word] = found.get(word, 0.0) + prob

    def _may_beat(self, prob: float, words: dict[str, float] | None, masked: str) -> bool:
        """Can a word whose start has ``prob`` still be among the ``k`` best fills?"""
        fills = sorted((p for w, p in (words or {}).items() if is_fill(w, masked, self.task.lang)),
                       reverse=True)  # fmt: skip
        return len(fills) < self.task.k or prob > fills[self.task.k - 1]
