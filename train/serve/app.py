"""The FastAPI app of ``train serve``: ``/predict``, ``/predict/author``, ``/similarity``,
``/info``, the page at ``/`` and the OpenAPI page at ``/docs``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from schemas.http import install_error_handlers
from train.serve.batcher import MicroBatcher
from train.serve.predictors import Models


@dataclass(frozen=True)
class Limits:
    """Caps on one request and on batching."""

    max_texts: int = 64
    max_chars: int = 2000
    batch_items: int = 64
    batch_wait: float = 0.005

    @property
    def max_body_bytes(self) -> int:
        # every character may take 4 bytes in UTF-8 and 6 as a JSON escape
        return self.max_texts * (self.max_chars * 6 + 16) + 1024


class Texts(BaseModel):
    texts: list[str] = Field(description="Texts to classify (one person's, for /predict/author).")


class Pair(BaseModel):
    sentence1: str
    sentence2: str


def check_texts(texts: list[str], limits: Limits) -> None:
    """413 for too many or too long texts; 422 for none or an empty one."""
    if not texts:
        raise HTTPException(422, "texts is empty: send at least one text")
    if len(texts) > limits.max_texts:
        raise HTTPException(413, f"{len(texts)} texts: at most {limits.max_texts} per request")
    for i, text in enumerate(texts):
        if len(text) > limits.max_chars:
            raise HTTPException(
                413, f"texts[{i}] has {len(text)} characters: at most {limits.max_chars}"
            )
        if not text.strip():
            raise HTTPException(422, f"texts[{i}] is empty")


def create_app(models: Models, limits: Limits | None = None) -> FastAPI:
    """An app serving ``models`` (loaded once, shared by all requests)."""
    limits = limits or Limits()
    classifier, similarity = models.classifier, models.similarity
    batching = {"max_items": limits.batch_items, "max_wait": limits.batch_wait}
    predict = MicroBatcher(classifier.predict, **batching) if classifier else None
    score = MicroBatcher(similarity.similarity, **batching) if similarity else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for batcher in (predict, score):
            if batcher is not None:
                await batcher.close()

    app = FastAPI(
        title="mbtikit serve",
        description="Predictions and similarity from a model trained with mbtikit.",
        lifespan=lifespan,
    )
    install_error_handlers(app, max_body_bytes=limits.max_body_bytes)
    page = resources.files("train.serve").joinpath("page.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return page

    @app.get("/info")
    async def info() -> dict[str, Any]:
        """What this server holds, its limits, and how many batches it has run."""
        return {
            "task": classifier.task if classifier else None,
            "labels": classifier.labels if classifier else [],
            "model": classifier.name if classifier else None,
            "similarity_model": similarity.name if similarity else None,
            "limits": {"max_texts": limits.max_texts, "max_chars": limits.max_chars},
            "batches": sum(b.calls for b in (predict, score) if b),
            "items": sum(b.items for b in (predict, score) if b),
        }

    async def classify(texts: list[str]) -> list[dict[str, Any]]:
        if predict is None:
            raise HTTPException(
                400, "this server holds no classifier (it serves a similarity model: /similarity)"
            )
        check_texts(texts, limits)
        return await predict(texts)

    @app.post("/predict")
    async def predict_texts(body: Texts) -> dict[str, Any]:
        """A label and probabilities per text (for MBTI also each axis's two poles)."""
        preds = await classify(body.texts)
        return {
            "task": classifier.task,  # type: ignore[union-attr]
            "predictions": [{"text": t, **p} for t, p in zip(body.texts, preds, strict=True)],
        }

    @app.post("/predict/author")
    async def predict_author(body: Texts) -> dict[str, Any]:
        """One person's label from all their texts, with per-axis agreement (votes per pole)."""
        preds = await classify(body.texts)
        return {
            "task": classifier.task,  # type: ignore[union-attr]
            **classifier.author(preds),  # type: ignore[union-attr]
            "predictions": [{"text": t, **p} for t, p in zip(body.texts, preds, strict=True)],
        }

    @app.post("/similarity")
    async def similarity_score(body: Pair) -> dict[str, Any]:
        """The similarity of two sentences (cosine of their embeddings for a bi-encoder)."""
        if score is None or similarity is None:
            raise HTTPException(
                400, "this server holds no similarity model (start it with --embedder MODEL)"
            )
        check_texts([body.sentence1, body.sentence2], limits)
        (value,) = await score([(body.sentence1, body.sentence2)])
        return {"score": value, "model": similarity.name}

    return app
