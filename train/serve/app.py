"""The FastAPI app of ``train serve``: ``/predict``, ``/predict/author`` (a classifier),
``/score`` (a regression model), ``/similarity`` (an embedder), ``/info``, the page at ``/``
and the OpenAPI page at ``/docs`` (Swagger UI from the ``fastapi-offline`` package on disk:
no CDN). With an API key every API route needs ``Authorization: Bearer KEY``; the page, its
style and the API description stay public (the page asks for the key)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from schemas.http import BearerKey, add_page, install_error_handlers
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


DOCS_ASSETS = "/docs-assets"


def offline_docs_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app whose ``/docs`` (Swagger UI) and ``/redoc`` load their scripts and style
    from this server (``/docs-assets/``, the ``fastapi-offline`` package's files), not a CDN.
    Without that package ``/docs`` is a short page pointing at ``/openapi.json``."""
    try:
        from fastapi_offline import FastAPIOffline
    except ImportError:
        from fastapi.responses import HTMLResponse

        app = FastAPI(docs_url=None, redoc_url=None, **kwargs)

        @app.get("/docs", include_in_schema=False)
        async def no_docs() -> HTMLResponse:
            return HTMLResponse(
                "<!doctype html><title>API docs</title><p>The interactive docs need the "
                "<code>fastapi-offline</code> package; the API description is at "
                '<a href="/openapi.json">/openapi.json</a>.</p>'
            )

        return app
    return FastAPIOffline(static_url=DOCS_ASSETS, **kwargs)


def require_key(app: FastAPI, key: str) -> None:
    """Every route but the page, its style and the docs needs ``Authorization: Bearer key``
    (checked before the body is read); the OpenAPI description says so, so that /docs'
    Authorize button sends it."""
    public = ["/", "/page.css", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"]
    app.add_middleware(BearerKey, key=key, public=public, public_prefixes=[DOCS_ASSETS + "/"])
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain_openapi()
            schema.setdefault("components", {})["securitySchemes"] = {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "--api-key"}
            }
            schema["security"] = [{"apiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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

    app = offline_docs_app(
        title="mbtikit serve",
        description="Predictions and similarity from a model trained with mbtikit.",
        lifespan=lifespan,
    )
    install_error_handlers(app, max_body_bytes=max_body_bytes(limits))
    add_page(app, "train.serve", "mbtikit serve")
    if limits.api_key:
        require_key(app, limits.api_key)  # an ApiKey: '***' in any repr

    @app.get("/info")
    async def info() -> dict[str, Any]:
        """What this server holds, its limits, and how many batches it has run."""
        model = classifier or scorer
        return {
            "task": model.task if model else None,
            "labels": classifier.labels if classifier else [],
            "score_range": list(scorer.score_range) if scorer else None,
            "model": model.name if model else None,
            "precision": model.precision if model else None,
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
