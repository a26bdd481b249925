"""A sentence-transformers bi-encoder whose transformer runs on OpenVINO's CPU runtime, in fp32
or bf16: how every command that embeds encodes on a CPU when OpenVINO is installed.

The transformer is exported once to ONNX (:func:`~train.engine.exported_encoder.export_onnx`),
read by OpenVINO and kept as OpenVINO IR under the project cache root (``openvino/``), keyed
by the model's path and files and the OpenVINO version: a later load reads it (0.3 s for
MiniLM) instead of exporting again. The compiled model runs with
the ``LATENCY`` hint on torch's thread count and ``INFERENCE_PRECISION_HINT`` ``f32`` or
``bf16`` (``auto`` asks for bf16 only where the CPU multiplies it natively).

Why (2,000 Kaggle MBTI posts, MiniLM, batches of 32 by token count, vs fp32
``SentenceTransformer.encode``, 2 EPYC cores with AVX512-BF16; ``bench/embed_search.py``): the
fused graph runs fp32 at 2.41x the anchor with the same neighbours (top-10 overlap 1.000) and
bf16 at 3.80x with 0.993 of them, where torch runs fp32 at 1.18x and bf16 at 3.07x (0.986).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from train.engine import exported_encoder
from train.engine.exported_encoder import (
    ExportedSentenceEncoder,
    build_folder,
    export_onnx,
    quiet,
    reuse_or_build,
)

FORMAT = "ir-traced-v1"
"""What the cached IR holds; a change of the conversion bumps it (a new cache key)."""
INFERENCE_PRECISION = {"fp32": "f32", "bf16": "bf16"}


def openvino_available() -> bool:
    """True when OpenVINO imports."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def model_cache_file(model_path: str) -> Path:
    """Where the converted model of ``model_path`` is kept (``model.xml`` and its ``.bin``;
    not created here): keyed by the path, :data:`FORMAT`, the OpenVINO version and the
    model's files (:func:`~train.engine.exported_encoder.model_cache_file`)."""
    import openvino

    key = [FORMAT, openvino.__version__]
    return exported_encoder.model_cache_file(model_path, "openvino", key, "model.xml")


def convert(st_model: Any, out: Path) -> Path:
    """Convert the transformer of ``st_model`` (a ``SentenceTransformer`` on the CPU) to
    OpenVINO IR at ``out``, through its ONNX export (OpenVINO's runtime reads ONNX itself;
    ``openvino.convert_model`` would trace torch 3 % faster, but sends usage telemetry unless
    the user has opted out). Written in a temporary folder that is then renamed to ``out``'s (a
    concurrent build of the same model keeps the first)."""
    import openvino as ov

    with build_folder(out.parent) as tmp, quiet():
        model = ov.Core().read_model(str(export_onnx(st_model, tmp / "fp32.onnx")))
        ov.save_model(model, str(tmp / "ir" / out.name), compress_to_fp16=False)
        with contextlib.suppress(OSError):  # built meanwhile by another process: keep that one
            os.replace(tmp / "ir", out.parent)
    return out


class OpenVinoSentenceEncoder(ExportedSentenceEncoder):
    """A bi-encoder whose transformer OpenVINO runs in ``precision`` (fp32 or bf16)."""

    encode_runtime = "openvino"

    def __init__(self, st_model: Any, ir_file: Path, precision: str) -> None:
        import openvino as ov
        import torch

        super().__init__(st_model)
        self.encode_precision = precision
        config = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": INFERENCE_PRECISION[precision],
            "INFERENCE_NUM_THREADS": torch.get_num_threads(),
        }
        self.compiled = ov.Core().compile_model(str(ir_file), "CPU", config)
        self._requests = threading.local()  # one infer request per thread (train serve's)

    def hidden_states(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        request = getattr(self._requests, "request", None)
        if request is None:
            request = self._requests.request = self.compiled.create_infer_request()
        return request.infer(feed)[0]  # a copy: the request's buffers are reused


def load_openvino(st_model: Any, model_path: str, precision: str) -> OpenVinoSentenceEncoder:
    """``st_model`` (loaded from ``model_path``) run by OpenVINO in ``precision``; the IR is
    converted on first use and read from the cache afterwards."""
    target = model_cache_file(model_path)
    reuse_or_build(target, lambda: convert(st_model, target))
    return OpenVinoSentenceEncoder(st_model, target, precision)
