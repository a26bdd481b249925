"""Pydantic record models: one per data set of the design's table.

Each model validates one row; :func:`schemas.io.validate_rows` turns the first invalid row of a
data set into an :class:`~schemas.errors.InputError` naming the file, row and field.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

MASK = "[MASK]"


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class Article(Record):
    id: str
    label: str | None = None
    title: str = ""
    url: str | None = None
    source: str = ""
    text: str = Field(min_length=1)
    fetched_at: datetime | None = None
    sha256: str


class TypeSentence(Record):
    id: str
    text: str = Field(min_length=1)
    label: str
    article_id: str


class BaseSentence(Record):
    id: str
    text: str = Field(min_length=1)
    lang: str = "en"


class Candidate(Record):
    word: str = Field(min_length=1)
    prob: float = Field(ge=0.0, le=1.0)


class MaskedExample(Record):
    id: str
    base_id: str
    text: str
    label: str
    target: str = Field(min_length=1)
    candidates: list[Candidate] = Field(min_length=1)
    backend: str
    model: str
    prompt_sha: str

    @field_validator("text")
    @classmethod
    def _one_mask(cls, v: str) -> str:
        if v.count(MASK) != 1:
            raise ValueError(f"text must contain exactly one {MASK}, found {v.count(MASK)}")
        return v


class Post(Record):
    id: str
    text: str = Field(min_length=1)
    label: str | None = None
    author: str | None = None
    is_silver: bool = False
    silver_score: float | None = None
    silver_query_id: str | None = None

    @field_validator("is_silver", mode="before")
    @classmethod
    def _missing_is_gold(cls, v: object) -> object:
        return False if v is None else v


class Pair(Record):
    id: str
    sentence1: str = Field(min_length=1)
    sentence2: str = Field(min_length=1)
    score: float
    is_silver: bool = False
    silver_score: float | None = None


RECORDS: dict[str, type[Record]] = {
    "articles": Article,
    "type_sentences": TypeSentence,
    "base_sentences": BaseSentence,
    "masked": MaskedExample,
    "posts": Post,
    "pairs": Pair,
}
