"""Where a phase's encoder comes from: a plain pretrained model or an earlier phase's output.

``load_init`` checks the ``--init``/``--model`` argument before any work (a directory must
hold a ``config.json`` of a known model type; an earlier phase's model only where the phase
order allows it) and returns the encoder, its tokenizer and the lineage so far;
``transfer_encoder`` copies the encoder weights into the next phase's model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.errors import InputError
from schemas.models import resolve_model


@dataclass
class InitSource:
    """A resolved starting point: the encoder, its tokenizer, and how it was made (``labels``:
    a phase model's label set; ``None`` for a plain encoder)."""

    spec: str
    path: str
    encoder: Any
    tokenizer: Any
    phase: int | None
    base_model: str
    base_model_path: str
    lineage: list[dict[str, Any]] = field(default_factory=list)
    labels: tuple[str, ...] | None = None


def phase_of(config: dict[str, Any]) -> int | None:
    """The phase that trained a phase model (its last lineage entry's); ``None`` for an
    encoder that no phase trained."""
    lineage = config.get("lineage") or []
    return int(lineage[-1]["phase"]) if lineage and "phase" in lineage[-1] else None


def read_config(path: str | Path) -> dict[str, Any]:
    """A model directory's ``config.json`` (``{}`` when there is none or it is unreadable)."""
    try:
        value = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def read_model_type(path: str, *, flag: str) -> str | None:
    """``model_type`` of a local model directory; ``None`` for a hub name (not a path)."""
    p = Path(path)
    if not p.exists():
        if p.is_absolute() or path.startswith((".", "~")) or p.suffix or len(p.parts) > 2:
            raise InputError("no such model directory", file=path, field=flag)
        return None
    if not p.is_dir():
        raise InputError("is not a model directory", file=path, field=flag)
    cfg = p / "config.json"
    if not cfg.is_file():
        raise InputError(
            "is not a model directory (no config.json); pass an earlier phase's --out "
            "directory or a pretrained encoder",
            file=path,
            field=flag,
        )
    try:
        model_type = json.loads(cfg.read_text(encoding="utf-8")).get("model_type")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        raise InputError("config.json is not a JSON object", file=path, field=flag) from None
    if not model_type:
        raise InputError("config.json has no model_type", file=path, field=flag)
    return str(model_type)


def load_init(
    spec: str | Path | None, *, phase: int, flag: str = "--init", announce: bool = True
) -> InitSource:
    """Load the starting encoder of ``phase`` from ``spec`` (``announce``: log where the
    encoder comes from, as a phase that trains on it does).

    ``spec`` may be ``None``/``bundled:...`` (the bundled MiniLM), a model name or path, or
    an output directory of a phase before ``phase``.
    """
    from transformers import AutoModel, AutoTokenizer
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    from train.engine.logs import LOG, quiet_loading
    from train.models import PHASE_MODELS

    path = resolve_model(spec)
    model_type = read_model_type(path, flag=flag)
    source_phase = phase_of(read_config(path)) if model_type in PHASE_MODELS else None
    if source_phase is not None and source_phase >= phase:
        raise InputError(
            f"is a phase-{source_phase} model ({model_type}); phase {phase} starts from "
            + ("a pretrained encoder" if phase == 1 else f"a phase-1..{phase - 1} model")
            + " or a pretrained encoder",
            file=path,
            field=flag,
        )
    if model_type and source_phase is None and model_type not in CONFIG_MAPPING:
        raise InputError(
            f"unknown model_type {model_type!r} (not a transformers encoder nor a phase model)",
            file=path,
            field=flag,
        )
    with quiet_loading():
        try:
            if source_phase is not None:
                model = PHASE_MODELS[model_type].from_pretrained(path)
                encoder, lineage = model.encoder_module(), list(model.config.lineage)
                labels = tuple(model.config.labels) or None
                base = lineage[0] if lineage else {}
                base_model = base.get("base_model", path)
                base_model_path = base.get("base_model_path", path)
            else:
                encoder, lineage, labels = AutoModel.from_pretrained(path), [], None
                base_model = str(spec) if spec is not None else path
                base_model_path = path
            tokenizer = AutoTokenizer.from_pretrained(path)
        except (OSError, ValueError, KeyError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise InputError(f"cannot load the model: {first}", file=path, field=flag) from None
    if announce:
        LOG.info(
            f"phase {phase}: encoder from {spec or path}"
            + (f" (phase {source_phase})" if source_phase else "")
            + f"; the phase-{phase} head is new (trained from scratch)"
        )
    return InitSource(
        spec=str(spec) if spec is not None else path,
        path=path,
        encoder=encoder,
        tokenizer=tokenizer,
        phase=source_phase,
        base_model=base_model,
        base_model_path=base_model_path,
        lineage=lineage,
        labels=labels,
    )


def encoder_config_dict(encoder: Any) -> dict[str, Any]:
    """The encoder's config as the dict stored in a phase model's config."""
    cfg = encoder.config.to_dict()
    for key in ("architectures", "_name_or_path", "transformers_version"):
        cfg.pop(key, None)
    return cfg


def transfer_encoder(target: Any, encoder: Any) -> None:
    """Copy ``encoder``'s weights into ``target.encoder_module()`` (a pooler may be left out)."""
    result = target.encoder_module().load_state_dict(encoder.state_dict(), strict=False)
    missing = [k for k in result.missing_keys if not k.startswith("pooler.")]
    if missing:
        raise RuntimeError(f"encoder weights do not fit the new model: missing {missing[:5]}")


def lineage_entry(phase: int, init: InitSource, data: dict[str, Any], **extra: Any) -> dict:
    """One lineage record: the phase, its data's provenance and where the encoder came from."""
    return {
        "phase": phase,
        "data": data,
        "init": init.spec,
        "base_model": init.base_model,
        "base_model_path": init.base_model_path,
        **extra,
    }
