"""The offline :class:`~datagen.generation.Generator` of ``masked`` rows (heuristic, not an LLM)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from datagen.llm import RunResult, Usage
from datagen.masked.offline.backend import BACKEND, OfflineBackend, OfflineSettings
from datagen.masked.offline.type_texts import load_type_texts
from datagen.masked.offline.vocabulary import TypeVocabulary
from schemas.errors import InputError

DESCRIPTION = "heuristic backend (log-odds vocabulary + MiniLM ranking)"


class OfflineGenerator:
    """Builds the vocabulary from the type ``articles`` on :meth:`run`; afterwards ``info`` (for
    the manifest) and ``vocabulary`` describe the run."""

    backend = BACKEND

    def __init__(self, articles: Path | None, lang: str, *, k: int) -> None:
        self.articles, self.lang = articles, lang
        self.settings = OfflineSettings(k=k)
        self.model = ""
        self.info: dict = {}
        self.vocabulary: TypeVocabulary | None = None

    def estimate(self, rows: Sequence[dict]) -> str:
        return "dry run: the offline backend sends no requests and costs nothing"

    def run(self, rows: Sequence[dict]) -> RunResult:
        if self.articles is None:
            raise InputError(
                "the offline backend needs the type articles: pass --articles DIR (a data set "
                "from `datagen ingest` or `datagen sentences`), or use an LLM with "
                "--base-url/a key",
                field="--articles",
            )
        started = time.perf_counter()
        texts = load_type_texts(self.articles, self.lang)
        backend = OfflineBackend(texts, self.lang, settings=self.settings)
        built = time.perf_counter()
        records, failures = backend.mask(rows)
        done = time.perf_counter()
        self.model, self.vocabulary = backend.model, backend.vocabulary
        self.info = {
            "model": backend.model,
            "prompt_sha": self.settings.sha,
            "offline_settings": {
                **self.settings.__dict__,
                "vocabulary_size": len(backend.inputs.words),
            },
            "speed": {
                "setup_seconds": round(built - started, 2),
                "mask_seconds": round(done - built, 2),
                "rows_per_second": round(len(records) / max(done - started, 1e-9), 1),
            },
        }
        return RunResult(records, failures, Usage(model=backend.model))
