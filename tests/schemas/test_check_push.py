"""``--push-to-hub``: the token and the Hub are checked before any work (``check_push``), each
failure one error line. Real subprocesses against a Hub stand-in on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import assert_clean_error, cli_env
from tests.support.hub_accounts import account, hub_with_accounts

CHECK = """
import sys
import typer
from schemas.cli import run_app
from schemas.hub import check_push
app = typer.Typer()

@app.command()
def main(repo: str) -> None:
    print("ok", check_push(repo)["name"])

run_app(app)
"""
ACCOUNTS = {
    "hf_write": account("me", orgs=("team",)),
    "hf_read": account("me", role="read"),
    "hf_fine": account("me", role="fineGrained"),
}


def check(repo: str, endpoint: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """``check_push(repo)`` in a fresh process: the Hub at ``endpoint``, online, no token but
    ``HF_TOKEN`` in ``env`` (an empty HF_HOME: no saved login)."""
    base = {"HF_ENDPOINT": endpoint, "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0",
            "HF_HOME": str(tmp_path / "hf-home"), "HF_TOKEN": ""}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", CHECK, "main", repo],
        env=cli_env({**base, **env}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def whoami_calls(requests: list[dict]) -> list[str]:
    return [r["headers"].get("authorization", "") for r in requests
            if r["path"].startswith("/api/whoami-v2")]  # fmt: skip


@pytest.mark.parametrize(("token", "repo"), [("hf_write", "me/posts"), ("hf_write", "team/posts"),
                                             ("hf_fine", "someone/posts")])  # fmt: skip
def test_a_write_token_for_the_owner_passes(token, repo, tmp_path):
    with hub_with_accounts(ACCOUNTS) as (endpoint, requests):
        proc = check(repo, endpoint, tmp_path, HF_TOKEN=token)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok me"
    assert whoami_calls(requests) == [f"Bearer {token}"]
    assert [r for r in requests if r["method"] == "POST"] == []  # nothing created or uploaded


@pytest.mark.parametrize(
    ("env", "repo", "needles"),
    [
        ({"HF_HUB_OFFLINE": "1", "HF_TOKEN": "hf_write"}, "me/posts", ["HF_HUB_OFFLINE=0"]),
        (
            {"HF_HUB_OFFLINE": "", "TRANSFORMERS_OFFLINE": "1", "HF_TOKEN": "hf_write"},
            "me/posts",
            ["offline mode"],
        ),  # fmt: skip
        ({}, "me/posts", ["no Hugging Face token", "hf auth login", "HF_TOKEN"]),
        ({"HF_TOKEN": "hf_write"}, "posts", ["not a Hub repository name", "OWNER/NAME"]),
        ({"HF_TOKEN": "hf_write"}, "a/b/c", ["not a Hub repository name"]),
    ],
)
def test_what_can_be_known_here_fails_without_asking_the_hub(env, repo, needles, tmp_path):
    with hub_with_accounts(ACCOUNTS) as (endpoint, requests):
        proc = check(repo, endpoint, tmp_path, **env)
    assert_clean_error(proc, "--push-to-hub", *needles)
    assert requests == []


@pytest.mark.parametrize(
    ("token", "repo", "needles"),
    [
        ("hf_bad", "me/posts", ["refused the token (HTTP 401)", "hf auth login", "HF_TOKEN"]),
        ("hf_read", "me/posts", ["read-only", "write token"]),
        ("hf_write", "other/posts", ["me's", "under 'other'", "me, team"]),
    ],
)
def test_the_hub_saying_no_fails_before_the_run(token, repo, needles, tmp_path):
    with hub_with_accounts(ACCOUNTS) as (endpoint, requests):
        proc = check(repo, endpoint, tmp_path, HF_TOKEN=token)
    assert_clean_error(proc, "--push-to-hub", *needles)
    assert whoami_calls(requests) == [f"Bearer {token}"]


def test_an_unreachable_hub_fails_before_the_run(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    proc = check("me/posts", endpoint, tmp_path, HF_TOKEN="hf_write")
    assert_clean_error(proc, "--push-to-hub", "could not be reached", endpoint)
