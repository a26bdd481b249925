"""``--encode-precision``: ``auto`` resolves by device and CPU, int8 (ONNX Runtime) gives
embeddings close to fp32's and builds its model once, fp32 and bf16 run on OpenVINO on a CPU
(fp32's embeddings are torch's, the IR is converted once, torch takes over where it cannot),
and every command that embeds takes the option (and refuses a precision it does not know,
before any work)."""

from __future__ import annotations

import numpy as np
import pytest

from schemas.errors import InputError
from schemas.options import build
from tests.support.cli import assert_clean_error, run_cli
from train.engine import hardware, onnx_encoder, openvino_encoder
from train.engine.encoding import EncodeOptions, load_encoder, precision_label, resolve_precision

TEXTS = [
    "I love quiet evenings with a good book.",
    "Parties drain me, honestly.",
    "see https://example.com/a?b=c lol :)",
    "ok",
    "The weather finally got warmer and we went hiking all day long in the hills.",
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache_root(onnx_cache, monkeypatch):
    monkeypatch.setenv("MBTIKIT_CACHE", str(onnx_cache))
    return onnx_cache


@pytest.fixture
def cpu(monkeypatch):
    """A CPU without native bf16, with onnxruntime and OpenVINO installed (as the flags make
    it)."""

    def set_cpu(native_bf16: bool = False, ort: bool = True, ov: bool = True) -> None:
        monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: native_bf16)
        monkeypatch.setattr(onnx_encoder, "onnxruntime_available", lambda: ort)
        monkeypatch.setattr(openvino_encoder, "openvino_available", lambda: ov)

    return set_cpu


def test_auto_on_a_cpu_without_native_bf16_is_fp32_with_openvino_else_int8_with_onnxruntime(cpu):
    cpu(native_bf16=False, ort=True, ov=True)
    assert resolve_precision("auto", "cpu") == "fp32"
    cpu(native_bf16=False, ort=True, ov=False)
    assert resolve_precision("auto", "cpu") == "int8"
    assert resolve_precision("auto", "cpu", "torch") == "fp32"
    cpu(native_bf16=False, ort=False, ov=False)
    assert resolve_precision("auto", "cpu") == "fp32"
    cpu(native_bf16=True, ort=True)
    assert resolve_precision("auto", "cpu") == "bf16"
    assert resolve_precision("fp32", "cpu") == "fp32"  # always available
    assert resolve_precision("auto", "mps") == "fp32"


@pytest.mark.parametrize(("bf16", "expected"), [(True, "bf16"), (False, "fp16")])
def test_auto_is_bf16_or_fp16_on_cuda(monkeypatch, bf16, expected):
    import torch

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    assert resolve_precision("auto", "cuda") == expected


def test_int8_off_a_cpu_or_without_onnxruntime_is_an_error_naming_the_option(cpu):
    with pytest.raises(InputError, match="--encode-precision.*runs on a CPU"):
        resolve_precision("int8", "cuda")
    cpu(ort=False)
    with pytest.raises(InputError, match="--encode-precision.*needs onnxruntime"):
        resolve_precision("int8", "cpu")
    with pytest.raises(InputError, match="must be one of"):
        resolve_precision("int4", "cpu")


def test_int8_embeddings_are_close_to_fp32_and_the_model_is_built_once(
    minilm_path, cache_root, monkeypatch
):
    from augment.search.embeddings import embed

    fp32 = load_encoder.__wrapped__(minilm_path, "cpu", "fp32")
    int8 = load_encoder.__wrapped__(minilm_path, "cpu", "int8")
    assert (fp32.encode_precision, int8.encode_precision) == ("fp32", "int8")
    built = onnx_encoder.model_cache_file(minilm_path, "int8")
    assert built.is_file() and built.is_relative_to(cache_root / "onnx")
    a = embed(TEXTS, fp32, batch_size=2)
    b = embed(TEXTS, int8, batch_size=2)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.99, cosine
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    _takes_one_text_and_none(int8)
    again = _loaded_from_the_cache(monkeypatch, onnx_encoder, "export_int8", minilm_path, "int8")
    np.testing.assert_allclose(embed(TEXTS, again, batch_size=2), b, atol=1e-6)


def _takes_one_text_and_none(model) -> None:
    assert model.encode(TEXTS[0], normalize_embeddings=True).shape == (384,)
    assert model.encode([]).shape == (0, 384)


def _loaded_from_the_cache(monkeypatch, module, builder: str, model: str, precision: str):
    """``model`` loaded again in ``precision`` while ``module.builder`` fails."""

    def fails(*_):
        raise AssertionError(f"{builder} ran again: the cached build was not used")

    monkeypatch.setattr(module, builder, fails)
    return load_encoder.__wrapped__(model, "cpu", precision)


def test_openvino_runs_fp32_as_torch_does_and_bf16_close_and_converts_once(
    minilm_path, cache_root, monkeypatch
):
    from augment.search.embeddings import embed

    torch_fp32 = load_encoder.__wrapped__(minilm_path, "cpu", "fp32", "torch")
    ov_fp32 = load_encoder.__wrapped__(minilm_path, "cpu", "fp32")
    ov_bf16 = load_encoder.__wrapped__(minilm_path, "cpu", "bf16")
    assert [precision_label(m) for m in (torch_fp32, ov_fp32, ov_bf16)] == [
        "fp32", "fp32-openvino", "bf16-openvino"]  # fmt: skip
    built = openvino_encoder.model_cache_file(minilm_path)
    assert built.is_file() and built.is_relative_to(cache_root / "openvino")
    assert built.with_suffix(".bin").is_file()
    assert [p.name for p in built.parent.parent.iterdir()] == [built.parent.name]  # no leftovers
    reference = embed(TEXTS, torch_fp32, batch_size=2)
    np.testing.assert_allclose(embed(TEXTS, ov_fp32, batch_size=2), reference, atol=1e-5)
    cosine = (embed(TEXTS, ov_bf16, batch_size=2) * reference).sum(axis=1)
    assert cosine.min() > 0.995, cosine
    _takes_one_text_and_none(ov_fp32)
    again = _loaded_from_the_cache(monkeypatch, openvino_encoder, "convert", minilm_path, "fp32")
    np.testing.assert_allclose(embed(TEXTS, again, batch_size=2), reference, atol=1e-5)


@pytest.fixture
def openvino_cannot_convert(tmp_path, monkeypatch):
    """An empty cache, and an OpenVINO conversion that fails (a model it cannot run)."""
    monkeypatch.setenv("MBTIKIT_CACHE", str(tmp_path))

    def fails(*_):
        raise RuntimeError("unsupported operation")

    monkeypatch.setattr(openvino_encoder, "convert", fails)


def test_a_model_openvino_cannot_run_encodes_in_torch_with_one_warning(
    minilm_path, openvino_cannot_convert, caplog
):
    with caplog.at_level("WARNING"):
        model = load_encoder.__wrapped__(minilm_path, "cpu", "fp32")
    assert precision_label(model) == "fp32" and model.encode_runtime == "torch"
    assert [r.getMessage() for r in caplog.records] == [
        f"OpenVINO could not run {minilm_path} (RuntimeError); encoding with torch"]  # fmt: skip
    assert model.encode(TEXTS[:2]).shape == (2, 384)


def _commands_that_embed():
    from augment.classification.config import BalanceConfig
    from augment.pairs.options import PairConfig
    from train.serve.options import ServeOptions
    from train.study.config import StudyConfig

    return [
        (BalanceConfig, {"gold": "g.jsonl", "out": "o", "pool": "p.jsonl"}),
        (PairConfig, {"gold": "g.jsonl", "out": "o"}),
        (ServeOptions, {"run": "r"}),
        (StudyConfig, {"posts": "p.jsonl", "out": "o"}),
    ]


@pytest.mark.parametrize(
    ("cls", "values"), _commands_that_embed(), ids=lambda v: getattr(v, "__name__", "")
)
def test_every_command_that_embeds_takes_the_one_option(cls, values):
    assert build(cls, values).encoding == EncodeOptions()  # auto by default
    assert build(cls, {**values, "encode_precision": "int8"}).encoding.encode_precision == "int8"
    with pytest.raises(InputError, match="must be one of auto, fp32, bf16, int8"):
        build(cls, {**values, "encode_precision": "int4"})
    assert build(cls, {**values, "encode_backend": "torch"}).encoding.encode_backend == "torch"


def test_a_backend_runs_what_it_can_and_refuses_the_rest_naming_the_option(cpu):
    """``--encode-backend``: auto picks per precision and CPU; torch, openvino and onnx (int8)
    run only their precisions, on a CPU, when installed."""
    cpu(native_bf16=False, ort=True, ov=True)
    assert resolve_precision("auto", "cpu", "onnx") == "int8"
    assert resolve_precision("auto", "cpu", "openvino") == "fp32"
    assert resolve_precision("bf16", "cpu", "openvino") == "bf16"
    cpu(native_bf16=False, ort=True, ov=False)
    assert resolve_precision("auto", "cpu", "torch") == "fp32"  # auto alone would be int8
    refused = [
        (("auto", "cpu", "openvino"), "--encode-backend.*needs openvino"),
        (("int8", "cpu", "torch"), "--encode-precision.*int8 runs on ONNX Runtime, not torch"),
        (("fp32", "cpu", "onnx"), "--encode-precision.*ONNX Runtime runs int8 here, not fp32"),
        (("auto", "cuda", "onnx"), "--encode-backend.*onnx runs on a CPU, not on cuda"),
        (("auto", "cpu", "tensorrt"), "--encode-backend.*must be one of auto, torch"),
    ]
    for call, message in refused:
        with pytest.raises(InputError, match=message):
            resolve_precision(*call)
    with pytest.raises(InputError, match="--encode-backend.*--devices encodes in torch"):
        EncodeOptions(encode_backend="openvino", devices="cpu,cpu")


@pytest.mark.parametrize("backend", ["torch", "openvino", "onnx"])
def test_the_backend_asked_is_the_one_that_encodes(minilm_path, cache_root, backend):
    model = load_encoder.__wrapped__(minilm_path, "cpu", "auto", backend)
    runtime = {"onnx": "onnxruntime"}.get(backend, backend)
    assert model.encode_runtime == runtime
    assert model.encode(TEXTS[:2]).shape == (2, 384)


def test_openvino_asked_for_a_model_it_cannot_run_is_a_clear_error(
    minilm_path, openvino_cannot_convert
):
    """Without ``--encode-backend`` such a model falls back to torch (above); asked for, the
    backend is not silently swapped."""
    with pytest.raises(InputError, match=r"--encode-backend.*OpenVINO could not run this model "
                       r"\(RuntimeError\)"):  # fmt: skip
        load_encoder.__wrapped__(minilm_path, "cpu", "fp32", "openvino")


@pytest.mark.parametrize(("option", "value"), [("--encode-precision", "int4"),
                                               ("--encode-backend", "tensorrt")])  # fmt: skip
def test_an_unknown_precision_or_backend_is_refused_on_the_command_line(tmp_path, option, value):
    proc = run_cli("train", "serve", "run", option, value, cwd=tmp_path)
    assert_clean_error(proc, option)


def test_a_precision_the_backend_cannot_run_is_refused_before_the_model_loads(monkeypatch):
    from train.engine import sentence_fit

    def no_load(*args, **kwargs):
        raise AssertionError("the model loaded before its options were checked")

    monkeypatch.setattr(sentence_fit, "load_bi_encoder", no_load)
    with pytest.raises(InputError, match="int8 runs on ONNX Runtime, not torch"):
        load_encoder("/no/such/model", device="cpu", precision="int8", backend="torch")


def test_two_cpu_processes_give_the_embeddings_of_one(minilm_path):
    from augment.search.embeddings import embed

    model = load_encoder.__wrapped__(minilm_path, "cpu", "fp32", "torch")
    texts = TEXTS * 3
    one = embed(texts, model, batch_size=4)
    two = embed(texts, model, batch_size=4, devices=["cpu", "cpu"])
    np.testing.assert_allclose(two, one, atol=1e-5)


def test_devices_are_checked_and_refuse_int8():
    assert EncodeOptions(devices="cuda:0, cuda:1").device_list() == ["cuda:0", "cuda:1"]
    assert EncodeOptions().device_list() is None
    with pytest.raises(InputError, match="--devices.*'gpu0' is not a device"):
        EncodeOptions(devices="cpu,gpu0")
    with pytest.raises(InputError, match="int8 encodes in one process"):
        EncodeOptions(encode_precision="int8", devices="cpu,cpu")
    assert resolve_precision("auto", "cpu", "torch") in ("bf16", "fp32")


def test_a_server_refuses_devices():
    from train.serve.options import ServeOptions

    with pytest.raises(InputError, match="--devices.*its own process"):
        build(ServeOptions, {"run": "r", "devices": "cpu,cpu"})


def test_a_model_saved_again_at_its_path_gets_a_new_int8_build(tmp_path, cache_root):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"v1")
    first = onnx_encoder.model_cache_file(str(tmp_path))
    assert onnx_encoder.model_cache_file(str(tmp_path)) == first
    assert onnx_encoder.model_cache_file(str(tmp_path), "int8-other") != first
    (tmp_path / "model.safetensors").write_bytes(b"v2 fine-tuned")
    assert onnx_encoder.model_cache_file(str(tmp_path)) != first


def test_a_classifier_runs_in_a_torch_precision_never_int8(cpu):
    from train.engine.encoding import torch_precision

    cpu(native_bf16=False, ort=True)
    assert torch_precision("auto", "cpu") == "fp32"  # no ONNX twin for a classifier
    cpu(native_bf16=True, ort=True)
    assert torch_precision("auto", "cpu") == "bf16"
    assert torch_precision("fp32", "cpu") == "fp32"
    with pytest.raises(InputError, match="--encode-precision.*int8 runs bi-encoders"):
        torch_precision("int8", "cpu")


def test_only_the_most_recently_used_builds_stay(tmp_path):
    """A study exports a new phase-2 encoder every seed: its build (~90 MB of IR for MiniLM)
    must not pile up in the cache."""
    import os

    from train.engine.exported_encoder import KEEP_BUILDS, reuse_or_build

    runtime = tmp_path / "openvino"
    for i in range(KEEP_BUILDS + 2):  # older builds, the first used longest ago
        (runtime / f"b{i}").mkdir(parents=True)
        (runtime / f"b{i}" / "model.xml").write_text("old")
        os.utime(runtime / f"b{i}", (1_000 + i, 1_000 + i))
    assert reuse_or_build(runtime / "b0" / "model.xml", lambda: 1 / 0).is_file()  # used now

    def build() -> None:
        (runtime / "new").mkdir()
        (runtime / "new" / "model.xml").write_text("new")

    reuse_or_build(runtime / "new" / "model.xml", build)
    kept = sorted(p.name for p in runtime.iterdir())
    assert len(kept) == KEEP_BUILDS and {"new", "b0"} <= set(kept)
    assert not {"b1", "b2"} & set(kept)  # the least recently used went
