"""Phase 1 on a tiny BERT: output directory, lineage, reload, learning, bad input."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import assert_clean_error
from tests.train.conftest import tiny_args, toy_type_sentences, write_jsonl
from train.models import TaskModel
from train.phases.phase1 import Phase1Config, run_phase1


def test_phase1_writes_a_loadable_model_with_lineage(phase1_dir, tiny_encoder, toy_dir):
    d = phase1_dir.model_dir
    for name in ("config.json", "model.safetensors", "metrics.json", "log_history.json"):
        assert (d / name).is_file(), name
    manifest = json.loads((d / "manifest.json").read_text())
    assert manifest["command"] == "train phase1"
    model = TaskModel.from_pretrained(d)
    assert model.config.task.name == "mbti" and phase1_dir.metrics["target"] == "axes"
    assert len(model.config.labels) == 16  # what phase 2 conditions on
    [entry] = model.config.lineage
    assert entry["phase"] == 1
    assert entry["base_model"] == str(tiny_encoder)
    assert entry["data"]["sha256"] and entry["data"]["rows"] == 64
    assert phase1_dir.metrics["n_train"] + phase1_dir.metrics["n_dev"] == 64
    assert phase1_dir.metrics["n_dev"] > 0
    assert any("loss" in row for row in phase1_dir.log_history)


def test_phase1_does_not_mix_although_wise_ft_and_the_warm_up_are_on(phase1_dir):
    """Phase 1's encoder is an intermediate: WiSE-FT (on by default) is phase 3's."""
    from train.engine.args import TrainArgs

    assert TrainArgs().wise_ft and tiny_args().wise_ft and tiny_args().head_warmup_epochs
    assert "wise_ft" not in phase1_dir.metrics
    manifest = json.loads((phase1_dir.model_dir / "manifest.json").read_text())
    assert manifest["train_args"]["wise_ft"] is False


def test_phase1_learns_the_axes_of_a_learnable_toy_set(tiny_encoder, tmp_path):
    """Axis keywords in every sentence: the training loss must fall clearly."""
    data = write_jsonl(tmp_path / "ts.jsonl", toy_type_sentences(n_per_type=6))
    result = run_phase1(
        Phase1Config(
            data=data,
            model=str(tiny_encoder),
            out=tmp_path / "out",
            args=tiny_args(
                max_steps=-1,
                epochs=6,
                lr=3e-3,
                batch_size=16,
                logging_steps=2,
                early_stopping_patience=None,
            ),
        )
    )
    losses = [row["loss"] for row in result.log_history if "loss" in row]
    assert len(losses) >= 10
    assert sum(losses[-3:]) / 3 < 0.85 * losses[0], losses


def test_phase1_type_target_has_16_outputs(tiny_encoder, toy_dir, tmp_path):
    result = run_phase1(
        Phase1Config(
            data=toy_dir / "type_sentences.jsonl",
            model=str(tiny_encoder),
            out=tmp_path / "out",
            target="type",
            args=tiny_args(max_steps=1),
        )
    )
    model = TaskModel.from_pretrained(result.model_dir)
    assert model.config.task.name == "single" and model.config.task.n_outputs == 16


def test_phase1_cli_rejects_an_unknown_label_and_writes_nothing(cli, tmp_path):
    rows = toy_type_sentences(n_per_type=1)
    rows[3]["label"] = "INXX"
    data = write_jsonl(tmp_path / "ts.jsonl", rows)
    out = tmp_path / "out"
    proc = cli("train", "phase1", data, "--out", out)
    assert_clean_error(proc, "ts.jsonl", "row 4", "label", "INXX")
    assert not out.exists()


def test_phase1_cli_rejects_a_model_dir_without_config(cli, tmp_path, toy_dir):
    (tmp_path / "notamodel").mkdir()
    out = tmp_path / "out"
    proc = cli(
        "train", "phase1", toy_dir / "type_sentences.jsonl", "--out", out,
        "--model", tmp_path / "notamodel",
    )  # fmt: skip
    assert_clean_error(proc, "notamodel", "no config.json")
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_phase1_refuses_a_phase_model_as_base(phase1_dir, toy_dir, tmp_path):
    from schemas.errors import InputError

    with pytest.raises(InputError, match="is a phase-1 model"):
        run_phase1(
            Phase1Config(
                data=toy_dir / "type_sentences.jsonl",
                model=str(phase1_dir.model_dir),
                out=tmp_path / "out",
                args=tiny_args(),
            )
        )
