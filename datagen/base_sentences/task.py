"""The base-sentences LLM request: one request per batch of everyday utterances.

Input rows ``{id, batch, n}``; output columns ``{batch_id, text}`` (candidates, filtered by the
stage). Template: ``base_sentences.v1.txt`` beside this module.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datagen.languages import language_name
from datagen.prompts.template import TemplatedTask

TOPICS = (
    "weekend plans and free time",
    "household chores and tidying up",
    "friends and social invitations",
    "disagreements and conflict",
    "work, deadlines and colleagues",
    "money, shopping and saving",
    "travel and holidays",
    "school, learning and hobbies",
    "family and relationships",
    "surprises and sudden changes of plan",
)


class BaseSentencesResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sentences: list[str] = Field(min_length=1)


class BaseSentencesTask(TemplatedTask):
    """Rows ``{id, batch, n}``; each answer gives up to ``n`` candidate base sentences."""

    name = "base_sentences"
    template_source = ("datagen.base_sentences", "base_sentences")
    response_model = BaseSentencesResponse

    def __init__(self, lang: str, *, min_words: int, max_words: int) -> None:
        super().__init__(lang)
        self.min_words, self.max_words = min_words, max_words
        self.est_completion_tokens = 30 * 20

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return self.template.render(
            n=row["n"],
            batch=row["batch"],
            topic=TOPICS[row["batch"] % len(TOPICS)],
            language=language_name(self.lang),
            min_words=self.min_words,
            max_words=self.max_words,
        )

    def parse(self, row, response, logprobs):
        texts = [" ".join(s.split()) for s in response.sentences if s and s.strip()]
        if not texts:
            raise ValueError("no sentences in the answer")
        return [{"batch_id": row["id"], "text": t} for t in texts]
