"""Versioned prompt templates (``datagen/prompts/<name>.<version>.txt``): load, hash, render.

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

from datagen.llm.task import text_sha

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
def load_template(name: str, version: str = "v1") -> PromptTemplate:
    """Load ``datagen/prompts/{name}.{version}.txt`` (package data)."""
    filename = f"{name}.{version}.txt"
    text = resources.files("datagen").joinpath("prompts", filename).read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"}:
        raise ValueError(f"prompt template {filename} needs a [system] and a [user] section")
    return PromptTemplate(filename, text, Template(sections["system"]), Template(sections["user"]))
