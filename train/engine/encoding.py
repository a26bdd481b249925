"""The precision a model runs in: one option (``--encode-precision``) for every command that
embeds or predicts, resolved here, and the loader that gives a bi-encoder with ``encode`` in it.

``auto`` is bf16 on CUDA (fp16 where the GPU has no bf16), bf16 on a CPU that multiplies
bf16 natively (AVX512_BF16 or AMX); on another CPU fp32 when OpenVINO is installed, else int8
(ONNX Runtime, :mod:`train.engine.onnx_encoder`) when onnxruntime is, else fp32. ``fp32`` is
always available.

On a CPU a bi-encoder's fp32 and bf16 run on OpenVINO when it is installed
(:mod:`train.engine.openvino_encoder`: 2.41x / 3.80x plain fp32 encode on Kaggle posts,
against torch's 1.18x / 3.07x); torch runs them where OpenVINO is missing or cannot convert
the model, and for a pool of processes (``--devices``). int8 is ONNX Runtime's.
``--encode-backend`` picks the runtime instead (sentence-transformers' ``backend``): ``torch``,
``openvino`` or ``onnx``, an error where it cannot run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from schemas.errors import InputError
from schemas.options import option
from train.engine import hardware

PRECISIONS = ("auto", "fp32", "bf16", "int8")
#: runtimes of a bi-encoder: auto (as the module says), torch, OpenVINO (fp32, bf16), ONNX
#: Runtime (int8)
BACKENDS = ("auto", "torch", "openvino", "onnx")
#: the backends a model that only runs in torch (a classifier, a pool of processes) accepts
TORCH_BACKENDS = ("auto", "torch")
logger = logging.getLogger(__name__)


@dataclass
class EncodeOptions:
    """How a bi-encoder encodes texts (silver search, similarity, frozen-encoder baselines)."""

    options_panel = "Encoding"

    encode_precision: str = option(
        "auto",
        help="Precision of the model's forward passes (bi-encoder encoding; the classifier of "
        "train predict and train serve): fp32; bf16; int8 (bi-encoders only: ONNX Runtime, "
        "CPU, 8-bit weights and arithmetic, top-10 neighbours 0.98 of fp32's on MiniLM); auto "
        "= bf16 on CUDA and on a CPU with native bf16, else fp32 (int8 for a bi-encoder on a "
        "CPU with onnxruntime but not OpenVINO). On a CPU a bi-encoder's fp32 and bf16 run on "
        "OpenVINO when it is installed. Embeddings are cached per precision and runtime.",
        choices=PRECISIONS,
    )
    encode_backend: str = option(
        "auto",
        help="Runtime of a bi-encoder's forward passes: auto (on a CPU OpenVINO for fp32 and "
        "bf16 where it is installed, ONNX Runtime for int8; else torch); torch; openvino "
        "(fp32, bf16; CPU); onnx (int8; CPU). Classifiers run in torch (train predict "
        "takes torch or auto).",
        choices=BACKENDS,
    )
    devices: str | None = option(
        None,
        help="Encode in several processes, one per device, comma-separated (cuda:0,cuda:1 or "
        "cpu,cpu): sentence-transformers' multi-process pool, for a pool too large for one "
        "process or GPU; torch precisions only (auto picks bf16 or fp32 then).",
    )

    def __post_init__(self) -> None:
        for device in self.device_list() or ():
            if not DEVICE.fullmatch(device):
                raise InputError(f"{device!r} is not a device (cpu, cuda, cuda:N, mps, npu:N)",
                                 field="--devices")  # fmt: skip
        if self.devices is not None and self.encode_precision == "int8":
            raise InputError("int8 encodes in one process: give fp32, bf16 or auto with "
                             "--devices", field="--encode-precision")  # fmt: skip
        if self.devices is not None and self.encode_backend not in TORCH_BACKENDS:
            raise InputError("--devices encodes in torch processes: give torch or auto with "
                             "--devices", field="--encode-backend")  # fmt: skip

    def require_one_process(self) -> None:
        """For a command that runs its model in its own process (no ``--devices``)."""
        if self.devices is not None:
            raise InputError("this command runs its model in its own process", field="--devices")

    def require_torch(self) -> None:
        """For a command whose models all run in torch (``train predict``'s classifiers and
        regression models): a runtime asked for is refused, not silently swapped."""
        if self.encode_backend not in TORCH_BACKENDS:
            raise InputError("this command runs its model in torch: give torch or auto",
                             field="--encode-backend")  # fmt: skip

    def device_list(self) -> list[str] | None:
        """``--devices`` as a list, or ``None`` when not given."""
        if self.devices is None:
            return None
        return [d.strip() for d in self.devices.split(",") if d.strip()]


DEVICE = re.compile(r"cpu|mps|(cuda|npu|xpu)(:\d+)?")


def resolve_precision(precision: str, device_type: str, backend: str = "auto") -> str:
    """``precision`` for a bi-encoder on ``device_type`` (``cpu``, ``cuda``, ...) run by
    ``backend`` (``--encode-backend``; ``torch`` for a pool of processes): ``auto`` made
    concrete (fp32, bf16, fp16, int8; int8 only from ONNX Runtime); a precision the backend or
    device cannot run, or a backend that is not installed, is an error."""
    from train.engine.onnx_encoder import onnxruntime_available
    from train.engine.openvino_encoder import openvino_available

    if precision not in PRECISIONS:
        raise InputError(f"must be one of {', '.join(PRECISIONS)}, got {precision!r}",
                         field="--encode-precision")  # fmt: skip
    if backend not in BACKENDS:
        raise InputError(f"must be one of {', '.join(BACKENDS)}, got {backend!r}",
                         field="--encode-backend")  # fmt: skip
    if backend in ("openvino", "onnx") and device_type != "cpu":
        raise InputError(f"{backend} runs on a CPU, not on {device_type}",
                         field="--encode-backend")  # fmt: skip
    if backend == "openvino" and not openvino_available():
        raise InputError("needs openvino (pip install openvino)", field="--encode-backend")
    if precision == "auto":
        precision = _auto_precision(device_type, backend)
    if precision == "int8":
        if backend in ("torch", "openvino"):
            raise InputError(f"int8 runs on ONNX Runtime, not {backend}: give fp32, bf16 or "
                             "auto", field="--encode-precision")  # fmt: skip
        if device_type != "cpu":
            raise InputError(f"int8 encoding runs on a CPU, not on {device_type}",
                             field="--encode-precision")  # fmt: skip
        if not onnxruntime_available():
            raise InputError("int8 encoding needs onnxruntime and onnx (pip install "
                             "onnxruntime onnx onnx-ir)", field="--encode-precision")  # fmt: skip
    elif backend == "onnx":
        raise InputError(f"ONNX Runtime runs int8 here, not {precision}: give int8 or auto",
                         field="--encode-precision")  # fmt: skip
    return precision


def _auto_precision(device_type: str, backend: str) -> str:
    """``auto``: bf16 on CUDA (fp16 without bf16) and on a CPU with native bf16 (int8 for the
    onnx backend); on another CPU fp32 unless only ONNX Runtime is there to speed it up."""
    from train.engine.onnx_encoder import onnxruntime_available
    from train.engine.openvino_encoder import openvino_available

    if device_type == "cuda":
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if device_type != "cpu":
        return "fp32"
    if backend == "onnx":
        return "int8"
    if hardware.cpu_has_native_bf16():
        return "bf16"
    if backend != "auto" or openvino_available():
        return "fp32"
    return "int8" if onnxruntime_available() else "fp32"


def torch_precision(precision: str, device_type: str) -> str:
    """``precision`` for a torch model other than a bi-encoder (a classifier, a regression
    model: no ONNX twin): ``auto`` made concrete as :func:`resolve_precision` does for a pool of
    processes (fp32, bf16 or fp16); int8 is an error."""
    if precision == "int8":
        raise InputError("int8 runs bi-encoders (ONNX Runtime); give fp32, bf16 or auto for a "
                         "classifier", field="--encode-precision")  # fmt: skip
    return resolve_precision(precision, device_type, "torch")


def to_precision(model: Any, precision: str) -> Any:
    """``model`` cast to a concrete torch ``precision`` (fp32 leaves it as it is)."""
    import torch

    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16}
    return model.to(dtypes[precision]) if precision in dtypes else model


def pool_backend(backend: str, devices: Sequence[str] | None) -> str:
    """The backend that runs an encoder: ``torch`` when ``devices`` spread the work over
    sentence-transformers' pool of processes (it runs torch models), else ``backend``."""
    return "torch" if devices else backend


@lru_cache(maxsize=4)
def load_encoder(
    name_or_path: str | None = None,
    device: str | None = None,
    precision: str = "auto",
    backend: str = "auto",
) -> Any:
    """A bi-encoder with ``encode`` (a ``SentenceTransformer``, or its OpenVINO or ONNX Runtime
    twin), loaded once per (model, device, precision, backend); its resolved precision in
    ``.encode_precision``, the runtime in ``.encode_runtime``. ``backend`` as
    ``--encode-backend`` takes it; ``torch``: a ``SentenceTransformer`` whatever ``auto`` would
    pick (for a pool of processes, :func:`encode_in_processes`)."""
    import torch
    from sentence_transformers.util import get_device_name

    from schemas.models import resolve_model
    from train.engine.openvino_encoder import INFERENCE_PRECISION, openvino_available
    from train.engine.sentence_fit import load_bi_encoder

    # the device sentence-transformers would pick: a precision or backend it cannot run is an
    # error before the model loads
    resolved = resolve_precision(precision, torch.device(device or get_device_name()).type, backend)
    model = load_bi_encoder(name_or_path, device=device)
    path = resolve_model(name_or_path)
    if resolved == "int8":
        from train.engine.onnx_encoder import load_int8

        return load_int8(model, path)
    cpu = model.device.type == "cpu"
    if cpu and resolved in INFERENCE_PRECISION and backend != "torch" and openvino_available():
        from train.engine.openvino_encoder import load_openvino

        try:
            return load_openvino(model, path, resolved)
        except Exception as err:  # a model OpenVINO cannot convert still encodes, in torch
            if backend == "openvino":
                raise InputError(f"OpenVINO could not run this model ({type(err).__name__})",
                                 file=path, field="--encode-backend") from None  # fmt: skip
            logger.warning("OpenVINO could not run %s (%s); encoding with torch",
                           path, type(err).__name__)  # fmt: skip
    model = to_precision(model, resolved)
    model.encode_precision = resolved
    model.encode_runtime = "torch"
    return model


def precision_label(model: Any) -> str:
    """What a bi-encoder's embeddings are cached and recorded under: its precision, and the
    runtime where that is neither torch nor ONNX Runtime's int8 (``bf16-openvino``): the
    runtimes' embeddings differ in the last digits, so one is never served for another."""
    if model.encode_runtime in ("torch", "onnxruntime"):
        return model.encode_precision
    return f"{model.encode_precision}-{model.encode_runtime}"


def encode_in_processes(model: Any, texts: list[str], devices: list[str], batch_size: int) -> Any:
    """L2-normalised float32 embeddings of ``texts`` by sentence-transformers' multi-process
    pool, one process per entry of ``devices``, started and stopped here; ``texts`` go out in
    chunks in their order (give them sorted by length: each chunk then pads little)."""
    import math

    import numpy as np

    from train.engine.logs import no_progress_bars

    chunk = max(batch_size, math.ceil(len(texts) / len(devices) / 4))
    with no_progress_bars():
        out = model.encode(
            texts,
            batch_size=batch_size,
            device=devices,
            chunk_size=chunk,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    out = np.asarray(out, dtype=np.float32)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
