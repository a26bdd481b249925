"""A sentence-transformers bi-encoder run by ONNX Runtime with 8-bit weights and 8-bit
arithmetic (``--encode-precision int8`` on a CPU).

The transformer is exported once with ``torch.onnx`` (eager attention, so that ONNX Runtime's
BERT optimiser fuses attention, embeddings, GELU and layer norms;
:func:`~train.engine.exported_encoder.export_onnx`), and each remaining
``MatMul`` becomes a ``MatMulNBits`` node with 8-bit weights in blocks of 32 and
``accuracy_level=4``: the activations are quantised to int8 per block of 32 values of each
token, so the outlier channels of a BERT encoder do not crush the other channels' resolution.

Why that format (MiniLM, 1,000 GoEmotions texts and 1,000 Kaggle posts, vs fp32
``SentenceTransformer.encode``): ``quantize_dynamic(per_channel=True)`` (one activation scale
per tensor, ``MatMulIntegerToFloat``) keeps only 0.87 of each text's top-10 neighbours (mean
cosine 0.992), with or without ``reduce_range``, SmoothQuant-style input scaling or QDQ; a
simulation shows the per-tensor activation scale is the cause (per-token: 0.95) and that the
FFN matmuls carry nearly all of the error. Blocks of 32 keep 0.978 of the neighbours (mean
cosine 0.9997); blocks of 128 keep 0.965.

The built model is cached under the project cache root (``onnx/``), keyed by the model's path
and files, the precision and the ONNX Runtime version, so it is built once (a few seconds for
MiniLM).
The pooling and normalisation modules after the transformer run as they are, in torch, on
ONNX Runtime's token embeddings (:class:`~train.engine.exported_encoder.ExportedSentenceEncoder`).
"""

from __future__ import annotations

import os
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

FORMAT = "matmulnbits8-b32-acc4-v1"
"""What the cached file holds; a change of export or quantisation bumps it (a new cache key)."""
BLOCK_SIZE = 32


def onnxruntime_available() -> bool:
    """True when the packages the int8 path needs import."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def model_cache_file(model_path: str, precision: str = "int8") -> Path:
    """Where the exported, quantised model of ``model_path`` is kept (not created here): keyed
    by the path, the precision, :data:`FORMAT`, the onnxruntime version and the model's files
    (:func:`~train.engine.exported_encoder.model_cache_file`)."""
    import onnxruntime

    key = [precision, FORMAT, onnxruntime.__version__]
    return exported_encoder.model_cache_file(model_path, "onnx", key, "model.onnx")


def export_int8(st_model: Any, out: Path) -> Path:
    """Export the transformer of ``st_model`` (a ``SentenceTransformer`` on the CPU), fuse it
    and quantise its matmuls; written to a temporary name beside ``out``, then renamed."""
    with quiet():
        return _export_int8(st_model, out)


def _export_int8(st_model: Any, out: Path) -> Path:
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    from onnxruntime.transformers import optimizer

    config = st_model[0].auto_model.config
    with build_folder(out) as tmp:
        fused = optimizer.optimize_model(
            str(export_onnx(st_model, tmp / "fp32.onnx")),
            model_type="bert",
            num_heads=getattr(config, "num_attention_heads", 0),
            hidden_size=getattr(config, "hidden_size", 0),
        )
        quantizer = MatMulNBitsQuantizer(
            fused.model, bits=8, block_size=BLOCK_SIZE, is_symmetric=True, accuracy_level=4
        )
        quantizer.process()
        onnx.save_model(quantizer.model.model, str(tmp / "model.onnx"))
        os.replace(tmp / "model.onnx", out)
    return out


class OnnxSentenceEncoder(ExportedSentenceEncoder):
    """A bi-encoder whose transformer ONNX Runtime runs in int8."""

    encode_precision = "int8"
    encode_runtime = "onnxruntime"

    def __init__(self, st_model: Any, onnx_file: Path) -> None:
        import onnxruntime as ort
        import torch

        super().__init__(st_model)
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )

    def hidden_states(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, feed)[0]


def load_int8(st_model: Any, model_path: str) -> OnnxSentenceEncoder:
    """``st_model`` (loaded from ``model_path``) run by ONNX Runtime in int8; the quantised
    model is built on first use and read from the cache afterwards."""
    target = model_cache_file(model_path, "int8")
    reuse_or_build(target, lambda: export_int8(st_model, target))
    return OnnxSentenceEncoder(st_model, target)
