"""What is sent: chat messages (with the schema where needed) and the request body."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from datagen.llm.config import LLMConfig
from datagen.llm.task import LLMTask

_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.S)
_NAME = re.compile(r"[^A-Za-z0-9_-]")
FEEDBACK = (
    "Your previous answer could not be used: {reason}. "
    "Answer again with one corrected JSON object only."
)


def schema_instruction(model: type[BaseModel]) -> str:
    """The sentence that puts the JSON schema into the prompt."""
    schema = json.dumps(model.model_json_schema(), ensure_ascii=False, separators=(",", ":"))
    return f"Answer with one JSON object only, matching this JSON schema: {schema}"


def initial_messages(task: LLMTask, row: dict[str, Any], config: LLMConfig) -> list[dict]:
    """The task's prompt; with ``json_object``/``none`` the schema is added to the system message
    (tasks need not repeat it), since the server is not given it as a strict JSON schema."""
    messages = [dict(m) for m in task.prompt(row)]
    if config.response_format == "json_schema" or not task.json_answer:
        return messages
    note = schema_instruction(task.response_model)
    if messages and messages[0].get("role") == "system":
        messages[0]["content"] = f"{messages[0]['content']}\n\n{note}"
        return messages
    return [{"role": "system", "content": note}, *messages]


def feedback_messages(messages: list[dict], answer: str | None, reason: str) -> list[dict]:
    """The conversation extended with the unusable answer and why it was unusable."""
    return [
        *messages,
        {"role": "assistant", "content": answer or ""},
        {"role": "user", "content": FEEDBACK.format(reason=reason)},
    ]


def response_format_param(task: LLMTask, config: LLMConfig) -> dict | None:
    """The ``response_format`` request field for ``config.response_format``.

    - ``json_schema``: OpenAI structured outputs (strict schema as the openai SDK makes it, or
      the plain pydantic schema with ``strict: false`` if it cannot be made strict);
    - ``json_object``: ``{"type": "json_object", "schema": ...}`` (llama-cpp-python's server);
    - ``none``: nothing (the schema is in the prompt only);
    - nothing either for a task whose answer is plain text (``json_answer = False``).
    """
    if config.response_format == "none" or not task.json_answer:
        return None
    if config.response_format == "json_object":
        return {"type": "json_object", "schema": task.response_model.model_json_schema()}
    try:
        from openai.lib._pydantic import to_strict_json_schema

        schema, strict = to_strict_json_schema(task.response_model), True
    except Exception:  # an SDK change or a schema strict mode cannot express
        schema, strict = task.response_model.model_json_schema(), False
    name = _NAME.sub("_", task.name)[:64] or "response"
    spec = {"name": name, "schema": schema, "strict": strict}
    return {"type": "json_schema", "json_schema": spec}


def request_body(task: LLMTask, config: LLMConfig) -> dict:
    """Request parameters besides model and messages (all of them part of the cache key)."""
    body = config.request_params()
    response_format = response_format_param(task, config)
    if response_format is not None:
        body["response_format"] = response_format
    return {**body, **task.request_fields()}


def strip_fences(text: str) -> str:
    """Remove a Markdown code fence around a JSON answer (common without structured output)."""
    match = _FENCE.match(text)
    return match.group(1) if match else text
