"""A sentence-transformers bi-encoder whose transformer runs outside torch (ONNX Runtime int8,
:mod:`train.engine.onnx_encoder`; OpenVINO, :mod:`train.engine.openvino_encoder`): the
``SentenceTransformer`` surface the embedding, serving and baseline code use, the build cache
both runtimes keep their exported models in, and what their exports share.

The texts are tokenised by the model's own tokenizer, the exported transformer gives the token
embeddings, and the model's own pooling and normalisation modules run after it, in torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from schemas.cache import cache_path


def model_cache_file(model_path: str, runtime: str, key: Sequence[str], name: str) -> Path:
    """Where ``runtime``'s build of ``model_path`` is kept (not created here): under the cache
    root's ``runtime/``, keyed by the path, ``key`` (what the build holds: precision, format,
    the runtime's version) and the size and time of the model's weight and config files."""
    root = Path(model_path).resolve()
    # a model saved again at the same path (a fine-tuned run) gets a new key: its files' stamps
    stamps = [
        f"{f.relative_to(root)}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
        for f in sorted(root.rglob("*"))
        if f.is_file() and f.suffix in (".safetensors", ".bin", ".json")
    ] if root.is_dir() else []  # fmt: skip
    digest = hashlib.sha1("\n".join([str(root), *key, *stamps]).encode("utf-8")).hexdigest()
    return cache_path(runtime, digest[:16], name)


KEEP_BUILDS = 8
"""Builds kept per runtime (an OpenVINO IR of MiniLM is ~90 MB, and every ``train all`` seed
exports a new phase-2 encoder whose build is never read again)."""


def reuse_or_build(target: Path, build: Callable[[], Path]) -> Path:
    """``target`` (a file in its own cache folder) as built before, or built now by ``build``;
    the folder's time marks its last use, and after a build only the :data:`KEEP_BUILDS` most
    recently used builds of the runtime stay."""
    if target.is_file():
        os.utime(target.parent)
        return target
    build()
    builds = [p for p in target.parent.parent.iterdir() if p.is_dir() and p.name[0] != "."]
    builds.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[KEEP_BUILDS:]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def input_names(tokenizer: Any) -> list[str]:
    """The tokenizer outputs a BERT-like transformer takes, in the export's order."""
    names = list(getattr(tokenizer, "model_input_names", ["input_ids", "attention_mask"]))
    return [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in names]


def export_onnx(st_model: Any, out: Path) -> Path:
    """Export the transformer of ``st_model`` (a ``SentenceTransformer`` on the CPU) to ONNX
    at ``out`` (fp32; inputs :func:`input_names`, output ``last_hidden_state``; dynamic batch
    and length), traced with eager attention: the pattern ONNX Runtime's BERT optimiser fuses;
    OpenVINO runs it as fast as the SDPA trace."""
    import torch

    bert = st_model[0].auto_model
    names = input_names(st_model.tokenizer)

    class Hidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    sample = st_model.tokenizer(["an example sentence", "two"], padding=True, return_tensors="pt")
    previous = getattr(bert.config, "_attn_implementation", None)
    try:
        if hasattr(bert, "set_attn_implementation"):
            bert.set_attn_implementation("eager")
        with torch.no_grad():
            torch.onnx.export(
                Hidden(bert.eval()),
                tuple(sample[n] for n in names),
                str(out),
                dynamo=False,
                opset_version=17,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            )
    finally:
        if previous is not None and hasattr(bert, "set_attn_implementation"):
            bert.set_attn_implementation(previous)
    return out


@contextlib.contextmanager
def build_folder(entry: Path) -> Iterator[Path]:
    """A new temporary folder beside the cache ``entry`` being built (a file or a folder),
    removed with whatever is left in it at the end: the build moves its result to ``entry``
    with ``os.replace``, so a reader never sees half of it."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.parent / f".{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No exporter warnings, and the root logger as it was: onnxruntime's quantiser calls
    ``logging.basicConfig(level=INFO)`` when imported, which would print every INFO line of
    every library afterwards."""
    root = logging.getLogger()
    handlers, level, disabled = root.handlers[:], root.level, logging.root.manager.disable
    logging.disable(logging.INFO)  # the optimiser's and quantiser's INFO lines
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        logging.disable(disabled)


class ExportedSentenceEncoder:
    """The ``SentenceTransformer`` surface :func:`augment.search.embeddings.embed` and the
    serving and baseline code use (``encode``, ``tokenizer``, ``max_seq_length``,
    ``get_embedding_dimension``, ``device``, ``encode_precision``, ``encode_runtime``); a
    runtime gives :meth:`hidden_states`."""

    encode_precision: str
    encode_runtime: str

    def __init__(self, st_model: Any) -> None:
        import torch

        self._st = st_model
        self.tokenizer = st_model.tokenizer
        self.device = torch.device("cpu")
        self._names = input_names(self.tokenizer)

    def hidden_states(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        """The transformer's last hidden state for a batch of int64 inputs."""
        raise NotImplementedError

    @property
    def max_seq_length(self) -> int:
        return self._st.max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        self._st.max_seq_length = value

    def get_embedding_dimension(self) -> int:
        return self._st.get_embedding_dimension()

    def _forward(self, texts: list[str]) -> Any:
        import torch

        enc = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_seq_length,
            return_tensors="np",
        )
        feed = {n: enc[n].astype(np.int64) for n in self._names}
        features = {
            "token_embeddings": torch.from_numpy(self.hidden_states(feed)),
            "attention_mask": torch.from_numpy(feed["attention_mask"]),
        }
        with torch.no_grad():
            for module in list(self._st)[1:]:
                features = module(features)
        return features["sentence_embedding"].float()

    def encode(
        self,
        sentences: Sequence[str] | str,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = False,
        **_: Any,
    ) -> np.ndarray:
        """Embeddings of ``sentences`` in their order, batches of ``batch_size`` as given
        (:func:`~augment.search.embeddings.embed` sorts them by token count first)."""
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        dim = self.get_embedding_dimension()
        parts = [
            self._forward(texts[start : start + batch_size])
            for start in range(0, len(texts), batch_size)
        ]
        out = np.concatenate([p.numpy() for p in parts]) if parts else np.zeros((0, dim))
        out = out.astype(np.float32, copy=False)
        if normalize_embeddings and len(out):
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out[0] if single else out
