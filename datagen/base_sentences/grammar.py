"""Offline base sentences: a small template grammar of everyday situations and reactions.

Not an LLM: every sentence is a situation combined with a reaction in one of a few frames,
shuffled deterministically by ``seed``. Enough variety for the demo and for benchmarks; for real
data use an LLM or your own sentences (``--from``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from datagen.llm import RunResult, Usage

SITUATIONS_EN = (
    "a friend cancels our plans at the last minute",
    "my boss hands me a new project",
    "I pack for a long trip",
    "I have a free Saturday morning",
    "my roommate leaves dirty dishes in the sink",
    "I get an unexpected bonus",
    "I arrive at a party where I know nobody",
    "two friends argue in front of me",
    "a deadline is tomorrow morning",
    "a colleague criticises my work",
    "I move into a new flat",
    "my phone suddenly breaks",
    "the first day of a holiday begins",
    "someone asks me for advice",
    "a meeting runs an hour late",
    "my family comes to visit",
    "the plan changes at the last minute",
    "I start a new hobby",
    "I cannot find my keys",
    "we have to choose a restaurant",
    "a stranger talks to me on the train",
    "my team misses a deadline",
    "I get a gift I do not like",
    "the whole flat needs cleaning",
    "a friend forgets my birthday",
    "I shop for a new laptop",
    "I am stuck in traffic",
    "I meet new neighbours",
    "I finish a big project",
    "my weekend is completely empty",
)
REACTIONS_EN = (
    "I usually make a list first",
    "I call a friend to talk it over",
    "I quietly get on with it",
    "I look for the most logical solution",
    "I ask everyone how they feel",
    "I jump in without a plan",
    "I check every detail twice",
    "I need some time alone to think",
    "I try to keep everyone happy",
    "I turn it into a little adventure",
    "I stick to my usual routine",
    "I say exactly what I think",
    "I make a joke to lighten the mood",
    "I research every option carefully",
    "I trust my gut feeling",
    "I write everything down in my planner",
    "I invite more people to join",
    "I wait and see what happens",
    "I fix it myself right away",
    "I get a little anxious",
    "I imagine all the possibilities",
    "I follow the same steps as last time",
    "I comfort whoever seems upset",
    "I set a clear deadline for myself",
    "I improvise and enjoy the chaos",
    "I go over what could go wrong",
    "I share my excitement with everyone",
    "I keep my feelings to myself",
    "I make a practical plan for the week",
    "I look for a creative way out",
)
FRAMES_EN = ("When {s}, {r}.", "{r} when {s}.", "Whenever {s}, {r}.")

SITUATIONS_KO = (
    "친구가 약속을 갑자기 취소하면",
    "상사가 새 프로젝트를 맡기면",
    "긴 여행을 앞두고 짐을 쌀 때",
    "토요일 아침에 할 일이 없으면",
    "룸메이트가 설거지를 미뤄 두면",
    "모르는 사람만 있는 모임에 가면",
    "친구 두 명이 내 앞에서 다투면",
    "마감이 내일 아침이면",
    "동료가 내 일을 비판하면",
    "계획이 갑자기 바뀌면",
    "누군가 나에게 조언을 구하면",
    "주말에 아무 약속이 없으면",
)
REACTIONS_KO = (
    "나는 먼저 할 일 목록을 만든다",
    "나는 친구에게 전화해서 이야기한다",
    "나는 조용히 내 일을 한다",
    "나는 가장 논리적인 해결책을 찾는다",
    "나는 모두의 기분을 먼저 살핀다",
    "나는 계획 없이 바로 시작한다",
    "나는 모든 것을 두 번씩 확인한다",
    "나는 혼자 생각할 시간이 필요하다",
    "나는 새로운 가능성을 떠올린다",
    "나는 평소의 습관을 그대로 지킨다",
    "나는 생각한 것을 솔직하게 말한다",
    "나는 농담으로 분위기를 풀어 본다",
)


def grammar_sentences(lang: str, seed: int = 0) -> Iterator[str]:
    """Every sentence of the grammar once, in a shuffled order fixed by ``seed``."""
    if lang == "ko":
        combos = [f"{s} {r}." for s in SITUATIONS_KO for r in REACTIONS_KO]
    else:
        combos = [
            f.format(s=s, r=r) for s in SITUATIONS_EN for r in REACTIONS_EN for f in FRAMES_EN
        ]
    random.Random(seed).shuffle(combos)
    yield from combos


class GrammarGenerator:
    """The offline :class:`~datagen.generation.Generator` of base sentences: each request row
    ``{id, n}`` gets the grammar's next ``n`` sentences (none once the grammar runs out)."""

    backend = "offline-grammar"
    model = "offline-grammar"

    def __init__(self, lang: str, seed: int) -> None:
        self._pool = list(grammar_sentences(lang, seed))
        self._next = 0

    def estimate(self, rows: Sequence[dict]) -> str:
        return "dry run: the offline grammar sends no requests"

    def run(self, rows: Sequence[dict]) -> RunResult:
        records = []
        for row in rows:
            chunk = self._pool[self._next : self._next + row["n"]]
            self._next += len(chunk)
            records += [{"batch_id": row["id"], "text": text} for text in chunk]
        return RunResult(records, [], Usage(model=self.model))
