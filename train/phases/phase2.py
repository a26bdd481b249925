"""``train phase2``: label-conditioned MLM on masked sentences, against the candidates' soft
targets (the 16 MBTI types, or any task's label set)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import typer

from schemas.errors import InputError
from schemas.options import group, option
from train.engine.args import TrainArgs
from train.engine.data import Loaded
from train.engine.result import PhaseResult
from train.tasks.options import LabelOptions

# train.models.type_mlm.TYPE_INPUTS, written here too so that parsing the command line does not
# import transformers (a test checks the two agree)
TYPE_INPUTS = ("tokens", "mask")
HEAD_PRETRAINED = "pretrained"
HEAD_NEW = "new (decoder tied to the input embeddings)"


@dataclass(kw_only=True)
class Phase2Config:
    """Phase 2: type-conditioned MLM on masked sentences (``masked`` schema).

    ``init`` is a phase-1 output dir or a plain model name/path; ``mlm_mix`` > 0 adds
    ordinary random-masking MLM on the same texts with that weight. ``--task single|multi``:
    the label embedding covers the phase-1 model's label set (from a plain encoder:
    ``--labels FILE``, else the labels the data use).
    """

    data: Path | None = option(None, argument=True, help="Masked sentences (phase-2 data set).")
    dataset: datasets.Dataset | Loaded | None = option(
        None, cli=False, help="The rows in memory instead of reading data (Python API)."
    )
    init: str = option(help="Phase-1 output dir (or an encoder name/path).")
    out: Path = option(help="Output model directory.")
    mlm_mix: float = option(0.0, help="Weight of ordinary 15 % random-masking MLM (0: off).", ge=0)
    type_input: str = option(
        "tokens",
        help="Where the label embedding is added: every input token's embedding (tokens) or "
        "the hidden state at [MASK], before the MLM head (mask).",
        choices=TYPE_INPUTS,
    )
    dev_fraction: float = option(
        0.1, cli=False, help="Share of base sentences held out for dev.", ge=0, lt=1
    )
    task_options: LabelOptions = group(LabelOptions, panel="Task")
    args: TrainArgs = group(TrainArgs, panel="Training")

    def __post_init__(self) -> None:
        if self.data is None and self.dataset is None:
            raise InputError("missing argument DATA (the masked sentences)")
        self.task_options.check_label_set()


def build_rows(ds: Any, type_ids: list[int], tokenizer: Any, max_length: int) -> tuple[list, Any]:
    """Rows with tokenised inputs, ``type_id`` (each row's label id), ``mask_position``, soft
    targets and the filled-in sentence ids (for ``--mlm-mix``); plus the mass statistics."""
    from schemas.records import MASK
    from train.engine.data import MODEL_INPUTS
    from train.models.soft_targets import CandidateMapper, SoftTargetStats, mask_text, soft_target

    mapper, stats = CandidateMapper(tokenizer), SoftTargetStats()
    rows = []
    for row, type_id in zip(ds, type_ids, strict=True):
        stats.rows += 1
        target_ids, target_probs = soft_target(row["candidates"], mapper, stats)
        if not target_ids:
            stats.rows_dropped_no_mapped_mass += 1
            continue
        enc = tokenizer(mask_text(row["text"], tokenizer), truncation=True, max_length=max_length)
        ids = enc["input_ids"]
        if tokenizer.mask_token_id not in ids:
            stats.rows_dropped_mask_truncated += 1
            continue
        filled = tokenizer(
            row["text"].replace(MASK, row["target"]), truncation=True, max_length=max_length
        )["input_ids"]
        rows.append(
            {
                **{k: enc[k] for k in MODEL_INPUTS if k in enc},
                "length": len(ids),
                "type_id": type_id,
                "mask_position": ids.index(tokenizer.mask_token_id),
                "target_ids": target_ids,
                "target_probs": target_probs,
                "mlm_input_ids": filled,
                "base_id": row["base_id"],
            }
        )
    return rows, stats


def build_model(config: Any, init: Any) -> tuple[Any, str]:
    """The phase-2 model: the family's MLM head taken from the base checkpoint when it has a
    trained one (else new, tied), and the encoder weights from ``init``."""
    from transformers import AutoModelForMaskedLM

    from train.engine.logs import LOG, quiet_loading
    from train.models import TypeConditionedMlm
    from train.models.init import transfer_encoder

    model = TypeConditionedMlm(config)
    head = HEAD_NEW
    try:
        with quiet_loading():
            base, info = AutoModelForMaskedLM.from_pretrained(
                init.base_model_path, output_loading_info=True
            )
    except (OSError, ValueError, KeyError):
        base, info = None, {}
    prefix = base.base_model_prefix + "." if base is not None else ""
    head_missing = [k for k in info.get("missing_keys", []) if not k.startswith(prefix)]
    if (
        base is not None
        and not head_missing
        and base.config.model_type == config.encoder["model_type"]
        and base.config.vocab_size == config.encoder["vocab_size"]
    ):
        model.mlm.load_state_dict(base.state_dict(), strict=False)
        head = HEAD_PRETRAINED
        model.head_is_new = False
    transfer_encoder(model, init.encoder)
    LOG.info(f"phase 2: MLM head {head}")
    return model, head


def run_phase2(cfg: Phase2Config) -> PhaseResult:
    """Train phase 2 and write its model directory to ``cfg.out``."""
    from train.engine.inputs import open_phase_data
    from train.tasks.row_labels import row_labels
    from train.tasks.splits import assign_splits

    args = cfg.args
    loaded, manifest = open_phase_data(
        cfg, "train phase2", "masked", ("text", "label", "candidates")
    )
    ds, name, prov = loaded
    # torch-backed modules only once the data has passed its checks (fast bad-input exits)
    from transformers import set_seed

    from train.engine.collators import TypeMlmCollator
    from train.engine.logs import configure
    from train.engine.trainer import finish_phase, fit, pad_multiple
    from train.models import TypeMlmConfig
    from train.models.init import encoder_config_dict, lineage_entry, load_init

    configure(args)
    init = load_init(cfg.init, phase=2)
    labels = row_labels(
        ds["label"],
        cfg.task_options,
        file=name,
        label_set=init.labels,
        label_set_of=f"the phase-1 model {init.path}",
    )
    rows, stats = build_rows(ds, labels.ids, init.tokenizer, args.max_length)
    if not rows:
        raise InputError(
            "no row has a candidate word in the encoder's vocabulary "
            f"(mapped mass {stats.mapped_share:.1%})",
            file=name,
            field="candidates",
        )
    split = assign_splits(
        [None] * len(rows),
        [r.pop("base_id") for r in rows],
        dev=cfg.dev_fraction,
        test=0.0,
        seed=args.seed,
    )
    train_rows = [r for r, s in zip(rows, split, strict=True) if s == "train"]
    dev_rows = [r for r, s in zip(rows, split, strict=True) if s == "dev"]
    train_ds = datasets.Dataset.from_list(train_rows)
    dev_ds = datasets.Dataset.from_list(dev_rows) if dev_rows else None

    config = TypeMlmConfig(
        encoder=encoder_config_dict(init.encoder),
        labels=list(labels.label_set),
        mlm_mix=cfg.mlm_mix,
        type_input=cfg.type_input,
        head_dropout=args.head_dropout,
        lineage=[*init.lineage, lineage_entry(2, init, prov, mlm_mix=cfg.mlm_mix)],
    )
    set_seed(args.seed)  # the new head's weights: the same in every process
    model, head = build_model(config, init)
    trainer = fit(
        model,
        args,
        cfg.out,
        train_ds=train_ds,
        eval_ds=dev_ds,
        collator=TypeMlmCollator(
            init.tokenizer, mlm_mix=cfg.mlm_mix, pad_to_multiple_of=pad_multiple(args)
        ),
        tokenizer=init.tokenizer,
        metric="loss",
        greater_is_better=False,
        label_names=["target_ids", "target_probs"],
    )
    dev = trainer.evaluate() if dev_ds is not None else {}
    eval_collator = TypeMlmCollator(init.tokenizer, pad_to_multiple_of=pad_multiple(args))
    metrics = {
        "n_train": len(train_ds),
        "n_dev": len(dev_rows),
        "mlm_head": head,
        "mlm_mix": cfg.mlm_mix,
        "soft_targets": stats.as_dict(),
        "dev": dev,
        **(
            type_use(trainer.model, eval_collator, dev_rows, len(labels.label_set), args)
            if dev
            else {}
        ),
    }
    return finish_phase(cfg.out, trainer, init.tokenizer, metrics, manifest, args)


def label_losses(
    model: Any, collator: Any, rows: list[dict[str, Any]], n_labels: int, batch_size: int
) -> Any:
    """Each row's soft-target loss under every label (``[rows, labels]``), the model in eval
    mode: what the fills of a held-out sentence cost if its label were each of the others."""
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = torch.zeros(len(rows), n_labels)
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            batch = {k: v.to(device) for k, v in collator(chunk).items()}
            ids, probs = batch.pop("target_ids"), batch.pop("target_probs")
            for label in range(n_labels):
                batch["type_ids"] = torch.full_like(batch["type_ids"], label)
                logits = model(**batch).logits.float()
                logp = torch.log_softmax(logits, dim=-1).gather(1, ids)
                out[start : start + len(chunk), label] = -(probs * logp).sum(1).cpu()
    model.train(was_training)
    return out


def type_use(
    model: Any, collator: Any, rows: list[dict[str, Any]], n_labels: int, args: TrainArgs
) -> dict[str, float]:
    """Whether the model uses the label it is conditioned on, on held-out base sentences.

    ``label_gain``: the mean loss of each row's fills under another label (shifted by half the
    label set: for MBTI the same type with the other E/I pole) minus under its own (> 0: the
    label moves the fills the way the data say; exactly 0 for a model that ignores it).
    ``label_accuracy``: the share of rows whose own label gives their fills the lowest loss of
    all labels ("which type is this fill distribution from?"; chance ``1/labels``)."""
    import torch

    losses = label_losses(model, collator, rows, n_labels, args.eval_batch_size or 64)
    own_ids = torch.tensor([r["type_id"] for r in rows])
    idx = torch.arange(len(rows))
    own = losses[idx, own_ids]
    other = losses[idx, (own_ids + n_labels // 2) % n_labels]
    own_loss, other_loss = float(own.mean()), float(other.mean())
    return {
        "dev_loss_own_label": own_loss,
        "dev_loss_other_label": other_loss,
        "label_gain": other_loss - own_loss,
        "label_accuracy": float(own_is_lowest(losses, own_ids).mean()),
        "label_chance": 1.0 / n_labels,
    }


def own_is_lowest(losses: Any, own_ids: Any) -> Any:
    """Per row: 1 where the own label's loss is the lowest, ``1/k`` where it ties with ``k - 1``
    others at the lowest, else 0 (a model that ignores the label scores chance, not the
    share of rows whose label happens to come first)."""
    own = losses[range(len(own_ids)), own_ids]
    lowest = losses.min(1).values
    ties = (losses == lowest[:, None]).sum(1).float()
    return (own == lowest).float() / ties


def command(cfg: Phase2Config) -> None:
    """Phase 2: label-conditioned MLM against the candidates' soft targets (MBTI types by
    default; any label set with --task single/multi)."""
    result = run_phase2(cfg)
    st = result.metrics["soft_targets"]
    typer.echo(
        f"phase 2: {result.metrics['n_train']} train / {result.metrics['n_dev']} dev rows; "
        f"mapped candidate mass {st['mapped_share']:.1%} (single-piece "
        f"{st['single_piece_share']:.1%}); MLM head {result.metrics['mlm_head']}; "
        f"dev loss {result.metrics['dev'].get('eval_loss', float('nan')):.4f} "
        f"(another label: +{result.metrics.get('label_gain', float('nan')):.4f}; own label "
        f"the likeliest for {result.metrics.get('label_accuracy', float('nan')):.1%} of the "
        f"held-out rows, chance {result.metrics.get('label_chance', float('nan')):.1%}) "
        f"-> {result.model_dir}"
    )
