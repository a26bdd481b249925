"""``--push-to-hub``: publish then upload, tested against a Hub stand-in on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from schemas.errors import InputError
from schemas.hub import push_to_hub
from tests.support.cli import cli_env
from tests.support.hub_accounts import account, hub_with_accounts

PUBLISH = """
import sys
from schemas.io import publish, to_dataset
rows = [{"id": str(i), "text": f"sentence {i}", "lang": "en"} for i in range(3)]
with publish(sys.argv[1], manifest={"command": "test"}, push_to_hub="me/base") as output:
    output.dataset(to_dataset(rows, "base_sentences"))
"""


def _run(code: str, *args: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    env = cli_env({"HF_ENDPOINT": endpoint, "HF_TOKEN": "hf_fake", "HF_HUB_OFFLINE": "0"})
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_a_published_data_set_is_uploaded_with_its_card(tmp_path):
    with hub_with_accounts({"hf_fake": account("me")}) as (endpoint, requests):
        proc = _run(PUBLISH, str(tmp_path / "base"), endpoint=endpoint)
    assert proc.returncode == 0, proc.stderr
    # the token and the repository were checked before the work, the upload came after it
    paths = [r["path"] for r in requests]
    whoami = next(i for i, path in enumerate(paths) if path.startswith("/api/whoami-v2"))
    assert whoami < next(i for i, r in enumerate(requests) if r["method"] == "POST")
    assert (tmp_path / "base" / "README.md").is_file()
    posts = [r for r in requests if r["method"] == "POST"]
    create = next(r for r in posts if r["path"].startswith("/api/repos/create"))
    assert json.loads(create["body"]) == {
        "name": "base", "organization": "me", "visibility": "public", "type": "dataset"
    }  # fmt: skip
    commit = next(r for r in posts if r["path"] == "/api/datasets/me/base/commit/main")
    assert commit["headers"]["authorization"] == "Bearer hf_fake"
    lines = [json.loads(line) for line in commit["body"].decode().splitlines()]
    paths = {line["value"]["path"] for line in lines if line["key"] == "file"}
    assert {"README.md", "data.parquet", "manifest.json", "dataset_info.json"} <= paths


def test_a_refused_token_stops_publish_before_the_work(tmp_path):
    with hub_with_accounts({}) as (endpoint, requests):
        proc = _run(PUBLISH, str(tmp_path / "base"), endpoint=endpoint)
    assert proc.returncode != 0 and not (tmp_path / "base").exists()
    assert all(r["method"] == "GET" for r in requests)  # nothing was created or uploaded


def test_an_unreachable_hub_is_one_input_error(tmp_path):
    code = "from schemas.hub import push_to_hub; import sys; push_to_hub(sys.argv[1], 'me/x')"
    (tmp_path / "config.json").write_text("{}")
    proc = _run(code, str(tmp_path), endpoint="http://127.0.0.1:9")
    assert proc.returncode == 1
    assert "HubError" in proc.stderr and "upload to me/x failed" in proc.stderr  # an InputError


def test_offline_mode_refuses_to_push(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="HF_HUB_OFFLINE=0"):
        push_to_hub(tmp_path, "me/x")
