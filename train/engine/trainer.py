"""The Hugging Face Trainer set up the same way for every phase, and the phase output dir.

The best weights on the dev metric are kept in memory (no optimiser state, nothing on disk)
and put back at the end. With ``--resume`` the Trainer writes resumable checkpoints (weights
and optimiser, once per epoch) to ``.<out>.checkpoints`` beside ``--out`` (so the output
itself stays atomic) and continues from the newest; they are removed once the phase output is
written.
"""

from __future__ import annotations

import functools
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import SequentialSampler
from transformers import EarlyStoppingCallback, Trainer, TrainerCallback, TrainingArguments
from transformers.trainer_utils import has_length

from schemas.io import publish
from train.engine import hardware
from train.engine.args import TrainArgs
from train.engine.distributed import main_process_writes, uses_cuda, world_size
from train.engine.head_warmup import HeadWarmup, has_pooled_head
from train.engine.logs import quiet_tied_keys, trainer_callbacks
from train.engine.result import PhaseResult
from train.engine.weight_ensemble import cpu_copy


def checkpoint_dir(out: str | Path) -> Path:
    out = Path(out)
    return out.parent / f".{out.name}.checkpoints"


def fresh_parameters(model: Any) -> set[int]:
    """Ids of the parameters trained from scratch: the model's ``fresh_parameters()`` where it
    has one (phase 2: the label embedding and a new MLM head), else those under ``head.``."""
    if hasattr(model, "fresh_parameters"):
        return {id(p) for p in model.fresh_parameters()}
    return {id(p) for name, p in model.named_parameters() if name.startswith("head.")}


class PhaseTrainer(Trainer):
    """The Trainer with one more parameter group: what is trained from scratch (the new
    classification head, phase 2's label embedding: :func:`fresh_parameters`) learns at
    ``head_lr``, the pretrained encoder at ``--lr``.

    At the encoder's 5e-5 the study's 4-layer head from scratch learnt nothing for the first
    ~100 steps on Corona tweets (loss flat at ln 5); at 1e-3 (the default) plain fine-tuning
    went from below TF-IDF to well above it (README, real-data tables).
    """

    def __init__(
        self, *args: Any, head_lr: float, freeze_encoder_steps: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.head_lr = head_lr
        self.freeze_encoder_steps = freeze_encoder_steps

    def _get_eval_sampler(self, eval_dataset: Any) -> torch.utils.data.Sampler | None:
        """Evaluation keeps the data set's row order (the base class groups evaluation rows by
        length like training ones, in an order nobody else knows), so a ``compute_metrics``
        can join predictions to what the rows carry besides labels (authors). The caller sorts
        by length where padding matters (:func:`train.engine.finetune.by_length`)."""
        if eval_dataset is None or not has_length(eval_dataset):
            return None
        return SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None

    def create_optimizer(self, model: Any = None) -> torch.optim.Optimizer:
        fresh = self.optimizer is None
        optimizer = super().create_optimizer(model)
        split = self.head_lr != self.args.learning_rate or self.freeze_encoder_steps
        if not fresh or not split:
            return optimizer
        model = self.model if model is None else model
        head = fresh_parameters(model)
        for group in list(optimizer.param_groups):
            mine = [p for p in group["params"] if id(p) in head]
            if mine:
                group["params"] = [p for p in group["params"] if id(p) not in head]
                extra = {k: v for k, v in group.items() if k != "params"}
                optimizer.add_param_group(
                    {**extra, "params": mine, "lr": self.head_lr, "fresh": True}
                )
        return optimizer

    def create_scheduler(
        self, num_training_steps: int, optimizer: torch.optim.Optimizer | None = None
    ) -> torch.optim.lr_scheduler.LRScheduler:
        """The linear schedule; with ``freeze_encoder_steps`` the pretrained groups' rate is 0
        for those first steps (only the new parts learn: a linear probe, then fine-tuning)."""
        created = self.lr_scheduler is None
        scheduler = super().create_scheduler(num_training_steps, optimizer)
        if created and self.freeze_encoder_steps:
            groups = (optimizer or self.optimizer).param_groups
            for i, group in enumerate(groups):
                if not group.get("fresh"):
                    scheduler.lr_lambdas[i] = functools.partial(
                        _after, self.freeze_encoder_steps, scheduler.lr_lambdas[i]
                    )
                    group["lr"] = scheduler.base_lrs[i] * scheduler.lr_lambdas[i](0)
        return scheduler


def freeze_word_embeddings(model: Any) -> None:
    """Stop training ``model``'s input word embeddings (and an output layer tied to them)."""
    model.get_input_embeddings().weight.requires_grad_(False)


def _after(first: int, factor: Callable[[int], float], step: int) -> float:
    """0 for the ``first`` steps, then ``factor``."""
    return 0.0 if step < first else factor(step)


class EarlyStoppingAfter(EarlyStoppingCallback):
    """Early stopping whose patience starts counting at ``start_step`` (``--min-steps``): on
    5 % of Corona's tweets (9 steps an epoch) dev macro-F1 sat at the majority's for the first
    epochs and patience 2 stopped one seed at step 27, before the head had learnt anything."""

    def __init__(self, patience: int, start_step: int) -> None:
        super().__init__(patience)
        self.start_step = start_step

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """The best weights come back by :class:`BestWeights` (not the Trainer's checkpoints),
        so the base class's warning about ``load_best_model_at_end`` does not apply."""

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Any, **kwargs: Any) -> None:
        if state.global_step >= self.start_step:
            super().on_evaluate(args, state, control, metrics, **kwargs)


class BestWeights(TrainerCallback):
    """Keeps a CPU copy of the weights at the best dev metric seen so far and loads it into the
    model when training ends: the best model without writing a checkpoint (MiniLM's, with its
    optimiser state, is ~270 MB; ``make demo`` wrote ~23 GB of them)."""

    def __init__(self, metric: str, greater_is_better: bool) -> None:
        self.key = metric if metric.startswith("eval_") else f"eval_{metric}"
        self.sign = 1.0 if greater_is_better else -1.0
        self.best: float | None = None
        self.weights: dict[str, torch.Tensor] | None = None

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        value = (kwargs.get("metrics") or {}).get(self.key)
        if value is None or (self.best is not None and self.sign * value <= self.sign * self.best):
            return
        self.best = value
        model = kwargs["model"]
        self.weights = cpu_copy(model)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.weights is not None:
            kwargs["model"].load_state_dict(self.weights)


def _callback(trainer: Any, kind: type[TrainerCallback]) -> Any:
    """``trainer``'s callback of class ``kind`` (``None``: it has none)."""
    return next((c for c in trainer.callback_handler.callbacks if isinstance(c, kind)), None)


def warmed_up_weights(trainer: Any) -> dict[str, torch.Tensor] | None:
    """The warmed-up model's weights of a run that warmed its head up (else ``None``)."""
    warmup = _callback(trainer, HeadWarmup)
    return None if warmup is None else warmup.start


def best_weights(trainer: Any) -> dict[str, torch.Tensor] | None:
    """The CPU copy of the weights that :class:`BestWeights` loaded into the model at the end of
    training (``None``: no dev evaluation, the model holds its last weights)."""
    best = _callback(trainer, BestWeights)
    return None if best is None else best.weights


def planned_steps(args: TrainArgs, n_train: int | None) -> int:
    """``max_steps`` for the Trainer: ``--max-steps`` when given; else, when ``--epochs`` over
    ``n_train`` rows would be fewer than ``--min-steps`` optimiser steps, ``--min-steps``
    (at 5 % of Corona's tweets two epochs were 18 steps and nothing was learnt); else -1
    (train by epochs)."""
    if args.max_steps > 0 or not args.min_steps or not n_train:
        return args.max_steps
    return args.min_steps if epoch_steps(args, n_train) < args.min_steps else -1


def epoch_steps(args: TrainArgs, n_train: int) -> int:
    """The optimiser steps of ``--epochs`` passes over ``n_train`` rows (all processes)."""
    per_step = args.batch_size * args.grad_accum * world_size()
    return math.ceil(args.epoch_count * math.ceil(n_train / per_step))


def bf16_by_default(cuda: bool) -> bool:
    """``--bf16``'s default: on for a CUDA GPU with bf16 and for a CPU that multiplies bf16
    natively (AVX512_BF16 or AMX: torch's CPU autocast trains MiniLM 1.74x as fast at the same
    dev loss, GoEmotions posts, 2 EPYC cores); off on other CPUs, where bf16 is emulated (2-6x
    slower)."""
    return torch.cuda.is_bf16_supported() if cuda else hardware.cpu_has_native_bf16()


def mixed_precision(args: TrainArgs, cuda: bool) -> dict[str, bool | None]:
    """``bf16`` and ``tf32`` of a ``TrainingArguments`` (the product's Trainer and the
    sentence-transformers fits): ``--bf16``/``--tf32`` as given, else their defaults
    (:func:`bf16_by_default`; tf32 on CUDA; tf32 means nothing on a CPU)."""
    bf16 = args.bf16 if args.bf16 is not None else bf16_by_default(cuda)
    tf32 = args.tf32 if args.tf32 is not None else cuda
    return {"bf16": bool(bf16), "tf32": bool(tf32) if cuda else None}


def training_arguments(
    args: TrainArgs,
    out: str | Path,
    *,
    metric: str | None,
    greater_is_better: bool = True,
    label_names: list[str] | None = None,
    prediction_loss_only: bool = False,
    n_train: int | None = None,
    evaluate_first: bool = False,
) -> TrainingArguments:
    """TrainingArguments from :class:`TrainArgs`; ``metric`` (a dev metric) enables
    per-epoch evaluation, best-model selection and early stopping (checkpoints on disk only
    with ``--resume``); ``n_train`` (training rows) lets ``--min-steps`` lengthen a short run;
    ``evaluate_first``: with a metric, also evaluate before the first step."""
    cuda = uses_cuda(args)
    strategy = "epoch" if metric else "no"
    checkpoints = strategy if args.resume else "no"
    return TrainingArguments(
        output_dir=str(checkpoint_dir(out)),
        seed=args.seed,
        data_seed=args.seed,
        num_train_epochs=args.epoch_count,
        max_steps=planned_steps(args, n_train),
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.eval_batch_size or args.batch_size * 2,
        gradient_accumulation_steps=args.grad_accum,
        learning_rate=args.lr,
        weight_decay=args.weight_decay,
        warmup_steps=args.warmup_ratio,
        lr_scheduler_type="linear",
        **mixed_precision(args, cuda),
        use_cpu=not cuda,
        train_sampling_strategy="group_by_length" if args.group_by_length else "random",
        length_column_name="length",
        eval_strategy=strategy,
        eval_on_start=bool(metric) and evaluate_first,
        save_strategy=checkpoints,
        save_total_limit=2,
        load_best_model_at_end=bool(metric) and args.resume,
        metric_for_best_model=metric,
        greater_is_better=greater_is_better,
        logging_strategy="steps",
        logging_steps=args.logging_steps,
        logging_first_step=True,
        remove_unused_columns=False,
        label_names=label_names,
        prediction_loss_only=prediction_loss_only,
        dataloader_num_workers=args.num_workers,
        torch_compile=args.torch_compile,
        report_to=args.reporters(),
        disable_tqdm=not args.progress,
    )


def fit(
    model: Any,
    args: TrainArgs,
    out: str | Path,
    *,
    train_ds: Any,
    eval_ds: Any | None,
    collator: Callable,
    tokenizer: Any,
    metric: str | None,
    greater_is_better: bool = True,
    compute_metrics: Callable | None = None,
    label_names: list[str] | None = None,
) -> Trainer:
    """Train ``model`` (resuming from the newest checkpoint with ``args.resume``)."""
    metric = metric if eval_ds is not None and len(eval_ds) > 0 else None
    warm_head = bool(args.head_warmup_epochs) and has_pooled_head(model)
    targs = training_arguments(
        args,
        out,
        metric=metric,
        greater_is_better=greater_is_better,
        label_names=label_names,
        prediction_loss_only=compute_metrics is None,
        n_train=len(train_ds),
        # a warmed-up head makes the model before fine-tuning a candidate too (BestWeights)
        evaluate_first=warm_head,
    )
    ckpt = checkpoint_dir(out)
    resume = args.resume and any(ckpt.glob("checkpoint-*"))
    with main_process_writes(args) as main:
        if main and not resume and ckpt.exists():
            shutil.rmtree(ckpt)
    text_config = model.config.get_text_config()
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        # what the Trainer's alignment would do, without its warning about doing it
        token = getattr(tokenizer, name, None)
        if token is not None and not isinstance(getattr(text_config, name, None), list):
            setattr(text_config, name, token)
    if args.freeze_word_embeddings:
        freeze_word_embeddings(model)
    callbacks: list[TrainerCallback] = []
    if metric and not args.resume:
        callbacks.append(BestWeights(metric, greater_is_better))
    if warm_head:
        callbacks.append(
            HeadWarmup(args.head_warmup_epochs, args.head_rate(), args.weight_decay, args.seed)
        )
    if metric and args.early_stopping_patience:
        callbacks.append(EarlyStoppingAfter(args.early_stopping_patience, args.min_steps))
    trainer = PhaseTrainer(
        model=model,
        args=targs,
        head_lr=args.head_rate(),
        freeze_encoder_steps=args.freeze_encoder_steps,
        train_dataset=train_ds,
        eval_dataset=eval_ds if metric else None,
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=compute_metrics if metric else None,
        callbacks=callbacks,
    )
    trainer_callbacks(trainer)
    with quiet_tied_keys(model):
        trainer.train(resume_from_checkpoint=True if resume else None)
    return trainer


def pad_multiple(args: TrainArgs) -> int | None:
    """Pad to multiples of 8 on GPU (tensor cores); no extra padding on CPU."""
    return 8 if uses_cuda(args) else None


def write_phase_dir(
    out: str | Path,
    *,
    model: Any,
    tokenizer: Any,
    metrics: dict[str, Any],
    log_history: list[dict[str, Any]],
    manifest: dict[str, Any],
    overwrite: bool,
    args: TrainArgs,
) -> Path:
    """Publish the model, tokenizer, ``metrics.json``, ``log_history.json`` and
    ``manifest.json``; remove the checkpoints afterwards (rank 0 alone; the other processes
    wait until it is there)."""
    with main_process_writes(args) as main:
        if main:
            with publish(out, manifest=manifest, overwrite=overwrite) as output:
                model.save_pretrained(output.dir)
                tokenizer.save_pretrained(output.dir)
                output.json("metrics.json", metrics)
                output.json("log_history.json", log_history)
            shutil.rmtree(checkpoint_dir(out), ignore_errors=True)
    return Path(out)


def finish_phase(
    out: str | Path,
    trainer: Trainer,
    tokenizer: Any,
    metrics: dict[str, Any],
    manifest: Any,
    args: TrainArgs,
    **result: Any,
) -> PhaseResult:
    """Write the phase directory (model, tokenizer, metrics, log, manifest) and return the
    :class:`PhaseResult`."""
    log_history = list(trainer.state.log_history)
    model_dir = write_phase_dir(
        out,
        model=trainer.model,
        tokenizer=tokenizer,
        metrics=metrics,
        log_history=log_history,
        manifest=manifest.finish(
            counts={k: v for k, v in metrics.items() if k.startswith("n_")},
            lineage=trainer.model.config.lineage,
            train_args={**vars(args), "epochs": trainer.args.num_train_epochs},
        ),
        overwrite=args.overwrite,
        args=args,
    )
    return PhaseResult(model_dir=model_dir, metrics=metrics, log_history=log_history, **result)
