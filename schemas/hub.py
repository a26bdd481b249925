"""``--push-to-hub REPO``: upload a published output (with its card) to the Hugging Face Hub."""

from __future__ import annotations

import os
from pathlib import Path

from schemas.errors import InputError

PUSH_HELP = (
    "After writing --out, upload it to this Hugging Face Hub repository (owner/name): a "
    "dataset repo for a data set, a model repo otherwise. Needs HF_TOKEN and HF_HUB_OFFLINE=0."
)


def push_to_hub(directory: str | Path, repo: str, *, private: bool = False) -> str:
    """Create ``repo`` if needed and upload ``directory`` as one commit; returns its URL."""
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    directory = Path(directory)
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        raise InputError(
            "the Hub is unreachable in offline mode: set HF_HUB_OFFLINE=0 to push",
            field="--push-to-hub",
        )
    repo_type = "dataset" if (directory / "dataset_info.json").is_file() else "model"
    api = HfApi()
    try:
        url = api.create_repo(repo, repo_type=repo_type, private=private, exist_ok=True)
        api.upload_folder(
            folder_path=directory,
            repo_id=repo,
            repo_type=repo_type,
            commit_message=f"Upload {directory.name} (written by mbtikit)",
        )
    except (HfHubHTTPError, httpx2.HTTPError, OSError) as err:
        message = " ".join(str(err).split())[:300]
        raise InputError(f"upload to {repo} failed: {message}", field="--push-to-hub") from None
    return str(url)
