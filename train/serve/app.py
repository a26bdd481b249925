"""The FastAPI app of ``train serve``: ``/predict``, ``/predict/author`` (a classifier),
``/score`` (a regression model), ``/similarity`` (an embedder), ``/info``, the page at ``/``
and the OpenAPI page at ``/docs``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from schemas.http import add_page, install_error_handlers
from train.serve.batcher import MicroBatcher
from train.serve.options import ServeOptions
from train.serve.predictors import Classifier, Models


class Texts(BaseModel):
    texts: list[str] = Field(description="Texts to classify (one person's, for /predict/author).")


class Pair(BaseModel):
    sentence1: str
    sentence2: str


def max_body_bytes(options: ServeOptions) -> int:
    """The largest request body worth reading: every character may take 6 bytes as JSON."""
    return options.max_texts * (options.max_chars * 6 + 16) + 1024


def check_texts(texts: list[str], limits: ServeOptions) -> None:
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


def create_app(models: Models, limits: ServeOptions) -> FastAPI:
    """An app serving ``models`` (loaded once, shared by all requests) within ``limits``."""
    classifier, similarity, scorer = models.classifier, models.similarity, models.scorer
    batching = {
        "max_items": max(limits.batch_size, limits.max_texts),
        "max_wait": limits.batch_wait_ms / 1000,
    }
    predict = MicroBatcher(classifier.predict, **batching) if classifier else None
    score = MicroBatcher(similarity.similarity, **batching) if similarity else None
    regress = MicroBatcher(scorer.score, **batching) if scorer else None
    batchers = [b for b in (predict, score, regress) if b is not None]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for batcher in batchers:
            await batcher.close()

    app = FastAPI(
        title="mbtikit serve",
        description="Predictions and similarity from a model trained with mbtikit.",
        lifespan=lifespan,
    )
    install_error_handlers(app, max_body_bytes=max_body_bytes(limits))
    add_page(app, "train.serve", "mbtikit serve")

    @app.get("/info")
    async def info() -> dict[str, Any]:
        """What this server holds, its limits, and how many batches it has run."""
        model = classifier or scorer
        return {
            "task": model.task if model else None,
            "labels": classifier.labels if classifier else [],
            "score_range": list(scorer.score_range) if scorer else None,
            "model": model.name if model else None,
            "similarity_model": similarity.name if similarity else None,
            "limits": {"max_texts": limits.max_texts, "max_chars": limits.max_chars},
            "batches": sum(b.calls for b in batchers),
            "items": sum(b.items for b in batchers),
        }

    async def classify(texts: list[str]) -> tuple[Classifier, list[dict[str, Any]]]:
        """The classifier and one prediction per text (the text first)."""
        if predict is None or classifier is None:
            serves = "a regression model: /score" if scorer else "a similarity model: /similarity"
            raise HTTPException(400, f"this server holds no classifier (it serves {serves})")
        check_texts(texts, limits)
        preds = await predict(texts)
        return classifier, [{"text": t, **p} for t, p in zip(texts, preds, strict=True)]

    @app.post("/predict")
    async def predict_texts(body: Texts) -> dict[str, Any]:
        """Per text: ``label`` (single, MBTI) or ``labels`` over the cut-offs (multi), and the
        probability of each label (for MBTI also each axis's two poles)."""
        model, preds = await classify(body.texts)
        return {"task": model.task, "predictions": preds}

    @app.post("/predict/author")
    async def predict_author(body: Texts) -> dict[str, Any]:
        """One person's prediction from all their texts: MBTI votes per axis pole; single and
        multi the prediction of the mean probabilities with the texts' votes per label."""
        model, preds = await classify(body.texts)
        return {"task": model.task, **model.author(preds), "predictions": preds}

    @app.post("/score")
    async def pair_score(body: Pair) -> dict[str, Any]:
        """A regression model's score of a sentence pair, on the task's score range."""
        if regress is None or scorer is None:
            raise HTTPException(
                400, "this server holds no regression model (a --task regression run)"
            )
        check_texts([body.sentence1, body.sentence2], limits)
        (value,) = await regress([(body.sentence1, body.sentence2)])
        return {
            "task": scorer.task,
            "score": value,
            "score_range": list(scorer.score_range),
            "model": scorer.name,
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
