"""The Hugging Face Hub: ``--push-to-hub REPO`` uploads a published output (with its card),
after :func:`check_push` made sure, before any work, that the upload can succeed;
:func:`hub_failure` turns a model the Hub could not give into one line saying what to do."""

from __future__ import annotations

import os
import re
from pathlib import Path

from schemas.errors import InputError

PUSH_HELP = (
    "After writing --out, upload it to this Hugging Face Hub repository (owner/name): a "
    "dataset repo for a data set, a model repo otherwise. Needs a write token (HF_TOKEN or "
    "`hf auth login`) and no offline mode (HF_HUB_OFFLINE)."
)


class HubError(InputError):
    """An :class:`InputError` already written for the Hub (``hub_failure`` leaves it as is)."""


_PUSH = "--push-to-hub"
_LOG_IN = "log in with `hf auth login` or set HF_TOKEN"


def _offline() -> bool:
    """huggingface_hub's rule (HF_HUB_OFFLINE, else TRANSFORMERS_OFFLINE), read now."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in ("1", "true", "yes", "on")


def check_push(repo: str) -> dict:
    """Before any work, that ``--push-to-hub repo`` can succeed: ``repo`` is ``OWNER/NAME``,
    the Hub is not off (HF_HUB_OFFLINE), there is a token, and the Hub accepts it, for writing,
    under OWNER. Each failure is one :class:`InputError` line; returns the Hub's ``whoami``.

    A fine-grained token's rights per repository are not listed by ``whoami``: for one only
    the token itself is checked.
    """
    import httpx2
    from huggingface_hub import HfApi, constants, get_token
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError
    from huggingface_hub.utils import validate_repo_id

    owner, _, name = repo.partition("/")
    try:
        validate_repo_id(repo)
        if not owner or not name:
            raise HFValidationError(repo)
    except HFValidationError:
        raise HubError(
            f"{repo!r} is not a Hub repository name: use OWNER/NAME (e.g. me/mbti-posts)",
            field=_PUSH,
        ) from None
    if _offline():
        raise HubError(
            "the Hub is unreachable in offline mode: set HF_HUB_OFFLINE=0 (and unset "
            "TRANSFORMERS_OFFLINE) to push",
            field=_PUSH,
        )
    token = get_token()
    if not token:
        raise HubError(f"no Hugging Face token to push {repo} with: {_LOG_IN}", field=_PUSH)
    endpoint = constants.ENDPOINT
    try:
        me = HfApi().whoami(token=token)
    except HfHubHTTPError as err:
        status = err.response.status_code
        why = "refused the token" if status in (401, 403) else "answered"
        raise HubError(
            f"the Hub ({endpoint}) {why} (HTTP {status}) before pushing {repo}: {_LOG_IN} "
            "with a valid write token",
            field=_PUSH,
        ) from None
    except (httpx2.HTTPError, OSError) as err:
        raise HubError(
            f"the Hub ({endpoint}) could not be reached before pushing {repo} "
            f"({type(err).__name__}); check the network or drop --push-to-hub",
            field=_PUSH,
        ) from None
    access = (me.get("auth") or {}).get("accessToken") or {}
    role = access.get("role")
    if role == "read":
        raise HubError(
            f"the token is read-only: pushing {repo} needs a write token ({_LOG_IN})",
            field=_PUSH,
        )
    accounts = {me.get("name")} | {org.get("name") for org in me.get("orgs") or []}
    if role != "fineGrained" and owner not in accounts:
        raise HubError(
            f"the token is {me.get('name')}'s, who cannot create repositories under {owner!r} "
            f"(theirs: {', '.join(sorted(a for a in accounts if a))})",
            field=_PUSH,
        )
    return me


def push_to_hub(directory: str | Path, repo: str, *, private: bool = False) -> str:
    """Create ``repo`` if needed and upload ``directory`` as one commit; returns its URL."""
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    directory = Path(directory)
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        raise HubError(
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
        raise HubError(f"upload to {repo} failed: {message}", field="--push-to-hub") from None
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


def hub_failure(err: BaseException) -> HubError | None:
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
    if isinstance(err, HubError):
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
        return HubError(
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
    return HubError(f"{why} {_HUB_HINT}", file=repo, field=field)
