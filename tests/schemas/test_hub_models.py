"""A user's ``--model org/name`` comes from the Hub (``HF_ENDPOINT``) when the user has not
set ``HF_HUB_OFFLINE``; a model the Hub cannot give is one line saying how to log in or work
offline. Real subprocess CLI runs against a Hub stand-in on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import BIN, assert_clean_error, cli_env
from tests.support.model_hub import model_hub
from tests.support.tiny_models import tiny_encoder

TYPES = ["ISTJ", "ENFP", "INTP", "ESFJ"]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = ["alone quiet ideas dreams logic", "party crowd facts details feelings"] * 4
    return tiny_encoder(tmp_path_factory.mktemp("hub") / "tiny", texts, vocab_size=80)


@pytest.fixture
def sentences(tmp_path: Path) -> Path:
    rows = [
        {"id": f"s{i}", "text": f"alone quiet ideas {i}.", "label": t, "article_id": f"a-{t}"}
        for i, t in enumerate(TYPES * 2)
    ]
    path = tmp_path / "type_sentences.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def online(endpoint: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The Hub at ``endpoint`` and an empty HF cache (``run`` unsets HF_HUB_OFFLINE)."""
    return {"HF_ENDPOINT": endpoint, "HF_HOME": str(tmp_path / "hf-home"), **extra}


def run(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A console script (or ``python``) in a user's environment: the tests' HF_HUB_OFFLINE and
    TRANSFORMERS_OFFLINE removed unless ``env`` sets them again."""
    full = cli_env()
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        full.pop(name, None)
    full.update(env)
    cmd = [str(BIN / str(args[0])), *map(str, args[1:])]
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=600)


def phase1(sentences: Path, model: str, out: Path, env: dict[str, str]):
    return run(
        "train", "phase1", sentences, "--model", model, "--out", out, "--max-steps", "1",
        "--min-steps", "0", "--batch-size", "4", "--max-length", "16", "--device", "cpu",
        env=env,
    )  # fmt: skip


def resolved(requests: list[dict], repo: str) -> list[str]:
    return [r["path"] for r in requests if r["path"].startswith(f"/{repo}/resolve/")]


def test_a_hub_model_is_downloaded_when_the_user_is_online(encoder, sentences, tmp_path):
    with model_hub({"org/tiny": encoder}) as (endpoint, requests):
        proc = phase1(sentences, "org/tiny", tmp_path / "out", online(endpoint, tmp_path))
    assert proc.returncode == 0, proc.stderr
    fetched = {Path(p).name for p in resolved(requests, "org/tiny")}
    assert {"config.json", "model.safetensors"} <= fetched, fetched
    assert (tmp_path / "out" / "config.json").is_file()
    assert list((tmp_path / "hf-home" / "hub").glob("models--org--tiny"))


def test_a_model_the_hub_does_not_have_is_one_line_on_logging_in_or_offline(sentences, tmp_path):
    with model_hub({}) as (endpoint, requests):
        proc = phase1(sentences, "org/missing", tmp_path / "out", online(endpoint, tmp_path))
    assert any("org/missing" in r["path"] for r in requests), requests  # it asked the Hub
    assert_clean_error(
        proc, "org/missing", "HTTP 404", "hf auth login", "HF_TOKEN", "HF_HUB_OFFLINE=1"
    )
    assert not (tmp_path / "out").exists()


def test_offline_mode_and_an_uncached_model_is_one_line_and_no_request(sentences, tmp_path):
    with model_hub({}) as (endpoint, requests):
        env = {**online(endpoint, tmp_path), "HF_HUB_OFFLINE": "1"}
        proc = phase1(sentences, "org/tiny", tmp_path / "out", env)
    assert_clean_error(proc, "org/tiny", "not in the local Hugging Face cache", "HF_HUB_OFFLINE")
    assert resolved(requests, "org/tiny") == []


def test_a_hub_error_the_command_does_not_catch_is_one_line_too(tmp_path):
    code = """
from huggingface_hub import hf_hub_download
import typer
from schemas.cli import run_app
app = typer.Typer()

@app.command()
def main() -> None:
    hf_hub_download("org/gone", "config.json")

run_app(app)
"""
    with model_hub({}) as (endpoint, requests):
        env = online(endpoint, tmp_path)
        proc = run(Path(sys.executable).name, "-c", code, "main", env=env)
    assert resolved(requests, "org/gone") == ["/org/gone/resolve/main/config.json"]
    assert_clean_error(proc, "org/gone", "HTTP 404", "hf auth login", "HF_HUB_OFFLINE=1")


def test_an_unreachable_hub_names_the_model_and_the_way_offline(monkeypatch):
    import httpx2
    from huggingface_hub import constants
    from huggingface_hub.errors import LocalEntryNotFoundError

    from schemas.errors import InputError
    from schemas.hub import hub_failure

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/org/gone/resolve/main/config.json"
    try:
        try:
            httpx2.head(url, timeout=5)
        except httpx2.ConnectError as err:  # as hf_hub_download raises it
            raise LocalEntryNotFoundError("cannot find the requested files") from err
    except LocalEntryNotFoundError as err:
        failure = hub_failure(err)
    assert isinstance(failure, InputError)
    line = str(failure)
    assert line.startswith("org/gone: ") and "could not be reached" in line
    assert "HF_HUB_OFFLINE=1" in line and "HF_TOKEN" in line


def test_an_error_that_is_not_the_hubs_is_left_alone():
    from schemas.errors import InputError
    from schemas.hub import hub_failure

    assert hub_failure(ValueError("no")) is None
    try:
        try:
            raise FileNotFoundError("config.json")
        except OSError:
            raise InputError("cannot load the model", file="x", field="--model") from None
    except InputError as err:
        assert hub_failure(err) is None


def test_the_cli_leaves_the_users_environment_alone(tmp_path):
    code = """
import os
import typer
from schemas.cli import run_app
app = typer.Typer()

@app.command()
def main() -> None:
    print([os.environ.get(n) for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")])

run_app(app)
"""
    proc = run(Path(sys.executable).name, "-c", code, "main", env={})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[None, None]"
