"""The base-sentences LLM request: one request per batch of everyday utterances.

Input rows ``{id, batch, n}``; output columns ``{batch_id, text}`` (candidates, filtered by the
stage). Template: ``base_sentences.v1.txt`` beside this module. ``--gbnf`` (small models on
llama.cpp's server, which rarely write a parsable JSON list): one sentence per request, spelt by
a GBNF grammar (:class:`BaseSentenceGbnfTask`, ``base_sentence_gbnf.v1.txt``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datagen.prompts.languages import language_name
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


# A word of the language's script, GBNF: English words may carry an apostrophe part and a comma.
_GBNF_WORD = {"en": '[a-zA-Z]+ ("\'" [a-z]+)? ","?', "ko": '[가-힣]+ ","?'}


def sentence_grammar(lang: str, min_words: int, max_words: int) -> str:
    """GBNF for one sentence of ``min_words``..``max_words`` words ending in ``.``, ``!`` or
    ``?``; English ones start with ``I``."""
    first = '"I"' if lang == "en" else "word"
    return (
        f'root ::= {first} (" " word){{{max(min_words - 1, 0)},{max_words - 1}}} [.!?]\n'
        f"word ::= {_GBNF_WORD[lang]}"
    )


class BaseSentenceGbnfTask(BaseSentencesTask):
    """``--gbnf``: rows ``{id, batch, n=1}``; the answer is one sentence in plain text."""

    name = "base_sentence_gbnf"
    template_source = ("datagen.base_sentences", "base_sentence_gbnf")
    json_answer = False

    def __init__(self, lang: str, *, min_words: int, max_words: int) -> None:
        super().__init__(lang, min_words=min_words, max_words=max_words)
        self.est_completion_tokens = 2 * max_words

    def request_fields(self) -> dict[str, Any]:
        return {"grammar": sentence_grammar(self.lang, self.min_words, self.max_words)}

    def read_answer(self, content: str) -> BaseModel:
        return BaseSentencesResponse(sentences=[content])
