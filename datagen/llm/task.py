"""The generation contract: how to ask for one input row, and how to turn the answer into rows."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from pydantic import BaseModel


def text_sha(*texts: str) -> str:
    """Short, stable hash of prompt template text(s): what goes into ``prompt_sha``."""
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:12]


class LLMTask:
    """One kind of LLM request (Curator-style): subclass, fill in :meth:`prompt` and :meth:`parse`.

    - ``name``: short identifier (also the JSON-schema name sent to the server).
    - ``response_model``: the pydantic model every answer must validate against.
    - ``prompt(row)``: the chat messages for one input row.
    - ``parse(row, response, logprobs)``: the records to write for that row; raise
      :class:`ValueError` with a human reason when the answer is unusable: the runner asks again
      with that reason fed back, then records a failure.
    - ``prompt_templates``: the template text(s) the prompts are built from; ``prompt_sha`` is
      their hash (override the property to hash something else).
    - ``est_completion_tokens``: expected answer length, used by the ``--dry-run`` estimate when
      no ``max_tokens`` is configured.
    - ``json_answer = False`` with :meth:`read_answer` and :meth:`request_fields`: an answer in
      plain text, spelt by a grammar the task sends (llama.cpp's GBNF ``grammar``): no schema is
      sent or put into the prompt.
    - ``endpoint = "completions"``: the request goes to ``/completions`` (a text completion, no
      chat template on the server's side); ``prompt(row)`` then returns one dict, the row's own
      request fields (its ``prompt`` text and whatever else differs by row, e.g. ``grammar``),
      and the answer's logprobs arrive in the chat form (``token``, ``logprob``).

    Identical messages + parameters are one cache entry: when you want several different answers
    to the "same" question (e.g. batches of base sentences), make the messages differ (batch
    number, topic, seed in the prompt).
    """

    name: ClassVar[str] = "task"
    response_model: ClassVar[type[BaseModel]]
    prompt_templates: tuple[str, ...] = ()
    est_completion_tokens: int = 256
    json_answer: ClassVar[bool] = True
    endpoint: ClassVar[str] = "chat"

    def prompt(self, row: dict[str, Any]) -> list[dict[str, str]]:
        raise NotImplementedError

    def parse(
        self, row: dict[str, Any], response: BaseModel, logprobs: list[dict] | None
    ) -> list[dict[str, Any]]:
        return [response.model_dump()]

    def read_answer(self, content: str) -> BaseModel:
        """The answer as ``response_model`` (a :class:`ValueError` when it is unusable)."""
        return self.response_model.model_validate_json(content)

    def request_fields(self) -> dict[str, Any]:
        """Fields added to every request body of this task (part of the cache key)."""
        return {}

    @property
    def prompt_sha(self) -> str:
        return text_sha(*self.prompt_templates)

    def row_id(self, row: dict[str, Any]) -> str:
        return str(row["id"])
