"""What this machine's CPU can do, where a default depends on it (``--encode-precision auto``,
``--bf16``'s default)."""

from __future__ import annotations

from pathlib import Path


def cpu_has_native_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (AVX512_BF16 or AMX); elsewhere PyTorch
    emulates it and bf16 encodes 2-6x slower than fp32 (measured on an AVX2-only EPYC); with
    native bf16 torch encodes 2.21-3.07x as fast as plain fp32 (two EPYC machines whose bf16
    matmul rates differ twofold), int8 1.36-1.79x (2,000 Kaggle posts, 2 cores)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
