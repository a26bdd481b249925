"""Versioned prompt templates (``<name>.<version>.txt`` beside the stage's task module): load,
hash, render; :class:`TemplatedTask` is an LLM task whose prompt is one such template.

A template file has a ``[system]`` and a ``[user]`` section; ``$slots`` are filled with
:class:`string.Template` (so JSON examples with braces need no escaping). The hash of the file's
text is the ``prompt_sha`` written into every row and the manifest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from datagen.llm.task import LLMTask, text_sha

_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.M)


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt template: its file name, raw text and the two message templates."""

    name: str
    text: str
    system: Template
    user: Template

    @property
    def sha(self) -> str:
        return text_sha(self.text)

    def render(self, **slots: object) -> list[dict[str, str]]:
        """Chat messages with every ``$slot`` filled (a missing slot is a KeyError: a bug)."""
        values = {k: str(v) for k, v in slots.items()}
        return [
            {"role": "system", "content": self.system.substitute(values).strip()},
            {"role": "user", "content": self.user.substitute(values).strip()},
        ]


@cache
def load_template(package: str, name: str, version: str = "v1") -> PromptTemplate:
    """Load ``{name}.{version}.txt`` from ``package`` (package data)."""
    filename = f"{name}.{version}.txt"
    text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"}:
        raise ValueError(f"prompt template {filename} needs a [system] and a [user] section")
    return PromptTemplate(filename, text, Template(sections["system"]), Template(sections["user"]))


class TemplatedTask(LLMTask):
    """An :class:`LLMTask` in language ``lang`` prompted by the template ``template_source``
    (``(package, name)``); ``prompt_sha`` hashes the template text."""

    template_source: tuple[str, str] = ("", "")

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.template = load_template(*self.template_source)
        self.prompt_templates = (self.template.text,)
