"""The Hugging Face Hub: ``--push-to-hub REPO`` uploads a published output (with its card);
:func:`hub_failure` turns a model the Hub could not give into one line saying what to do."""

from __future__ import annotations

import os
import re
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


_HUB_HINT = (
    "log in with `hf auth login` or set HF_TOKEN for a private or gated model, or work offline: "
    "HF_HUB_OFFLINE=1 with a local model directory"
)
_REPO_IN_URL = re.compile(r"/(?:datasets/)?([\w.-]+/[\w.-]+)/resolve/")
_REPO_IN_API = re.compile(r"/api/(?:models|datasets)/([\w.-]+/[\w.-]+)")


def _chain(err: BaseException) -> list[BaseException]:
    """``err`` and the exceptions it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    while err is not None and all(err is not seen for seen in chain):
        chain.append(err)
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    return chain


def _repo_named(chain: list[BaseException]) -> str | None:
    for exc in chain:
        if getattr(exc, "repo_id", None):
            return str(exc.repo_id)  # type: ignore[attr-defined]
    for exc in chain:
        try:  # an httpx error knows its request; asking one without it raises
            url = str(exc.request.url)  # type: ignore[attr-defined]
        except (AttributeError, RuntimeError):
            url = ""
        text = f"{exc} {url}"
        match = _REPO_IN_URL.search(text) or _REPO_IN_API.search(text)
        if match:
            return match.group(1)
    return None


def hub_failure(err: BaseException) -> InputError | None:
    """The one-line :class:`InputError` for a model the Hub could not give, when ``err`` is
    (or was raised from, or while handling) a ``huggingface_hub`` error; ``None`` otherwise.

    It names the model (an :class:`InputError`'s own file and field are kept) and says why:
    offline and not cached, no such repository (or private, or gated), the Hub unreachable, or
    its HTTP status; then how to log in or work offline.
    """
    try:
        from huggingface_hub import constants
        from huggingface_hub import errors as hf
    except ImportError:  # pragma: no cover - a dependency of transformers
        return None
    chain = _chain(err)
    hub = [e for e in chain if isinstance(e, (hf.HfHubHTTPError, hf.LocalEntryNotFoundError,
                                               hf.OfflineModeIsEnabled))]  # fmt: skip
    if not hub:
        return None
    repo = getattr(err, "file", None) or _repo_named(chain) or "the model"
    field = getattr(err, "field", None)
    endpoint = constants.ENDPOINT
    http = next((e for e in hub if isinstance(e, hf.HfHubHTTPError)), None)
    status = getattr(getattr(http, "response", None), "status_code", None)
    if constants.HF_HUB_OFFLINE and http is None:
        return InputError(
            "is not in the local Hugging Face cache and HF_HUB_OFFLINE=1 (or "
            "TRANSFORMERS_OFFLINE=1) forbids downloading it: unset both to download it (log in "
            "with `hf auth login` or set HF_TOKEN for a private or gated model), or pass a local "
            "model directory",
            file=repo,
            field=field,
        )
    if isinstance(http, hf.GatedRepoError):
        why = "the model is gated on the Hub: accept its terms on its page, then"
    elif isinstance(http, hf.RepositoryNotFoundError):
        why = (
            f"the Hub ({endpoint}) has no such model you may read (HTTP {status}: a wrong "
            "name, or a private or gated model):"
        )
    elif http is not None:
        why = f"the Hub ({endpoint}) answered HTTP {status} for it:"
    else:
        why = f"the Hub ({endpoint}) could not be reached to download it:"
    return InputError(f"{why} {_HUB_HINT}", file=repo, field=field)
