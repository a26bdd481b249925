"""One cache root for every cache: ``MBTIKIT_CACHE``, else ``$XDG_CACHE_HOME/mbtikit``, else
``~/.cache/mbtikit``; the LLM responses, the HTTP pages and the embeddings each keep their
place under it. Each cache is opened for real in a fresh process with that environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from schemas.cache import cache_path, cache_root
from tests.support.cli import cli_env

OPEN_EVERY_CACHE = """
import numpy as np
from augment.search.embed_cache import EmbeddingCache
from datagen.articles.fetcher import FetchConfig, Fetcher
from datagen.llm.cache import ResponseCache
from datagen.llm.config import LLMConfig

EmbeddingCache("some-model").embed(["a text"], lambda t: np.ones((len(t), 2), np.float32))
with Fetcher(FetchConfig()):
    pass
ResponseCache(LLMConfig().cache_path).close()
"""


def open_every_cache(tmp_path: Path, **env: str) -> Path:
    """Open the three caches in a process with ``env`` (HOME: ``tmp_path/home``); return HOME."""
    home = tmp_path / "home"
    home.mkdir()
    base = {"HOME": str(home), "MBTIKIT_CACHE": "", "XDG_CACHE_HOME": ""}
    proc = subprocess.run(
        [sys.executable, "-c", OPEN_EVERY_CACHE],
        env=cli_env({**base, **env}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return home


def assert_caches_under(root: Path) -> None:
    assert (root / "llm.sqlite").is_file()
    assert (root / "http" / "responses.sqlite3").is_file()
    assert list((root / "embeddings").glob("*/*.npz"))


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_mbtikit_cache_holds_every_cache_and_wins_over_xdg(tmp_path):
    root, xdg = tmp_path / "mine", tmp_path / "xdg"
    home = open_every_cache(tmp_path, MBTIKIT_CACHE=str(root), XDG_CACHE_HOME=str(xdg))
    assert_caches_under(root)
    assert not xdg.exists() and files_under(home) == []


def test_xdg_cache_home_holds_every_cache_under_mbtikit(tmp_path):
    xdg = tmp_path / "xdg"
    home = open_every_cache(tmp_path, XDG_CACHE_HOME=str(xdg))
    assert_caches_under(xdg / "mbtikit")
    assert files_under(home) == []


def test_without_either_the_caches_live_in_the_home_cache_folder(tmp_path):
    home = open_every_cache(tmp_path)
    assert_caches_under(home / ".cache" / "mbtikit")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MBTIKIT_CACHE": "/c/m", "XDG_CACHE_HOME": "/x"}, "/c/m"),
        ({"MBTIKIT_CACHE": "", "XDG_CACHE_HOME": "/x"}, "/x/mbtikit"),
        ({"XDG_CACHE_HOME": "relative/x"}, "HOME/.cache/mbtikit"),  # the XDG spec: ignored
        ({"MBTIKIT_CACHE": "~/c"}, "HOME/c"),
        ({}, "HOME/.cache/mbtikit"),
    ],
)
def test_the_root_rule(env, expected, monkeypatch, tmp_path):
    for name in ("MBTIKIT_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    want = Path(expected.replace("HOME", str(tmp_path)))
    assert cache_root() == want
    assert cache_path("http") == want / "http"
