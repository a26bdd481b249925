"""Phase 2: soft targets, lineage 1 -> 2, --mlm-mix, the bundled MiniLM, bad input."""

from __future__ import annotations

import json

import pytest

from schemas.labels import MBTI
from tests.support.cli import assert_clean_error
from tests.train.conftest import POLE_WORDS, tiny_args, toy_masked, write_jsonl
from train.engine.args import TrainArgs
from train.models import TypeConditionedMlm
from train.models.soft_targets import CandidateMapper, SoftTargetStats, soft_target
from train.phases.phase2 import HEAD_NEW, Phase2Config, own_is_lowest, run_phase2


class _Tok:
    """A tokenizer stand-in with a fixed vocabulary (whitespace + '##' pieces)."""

    unk_token_id = 1

    def __call__(self, word, add_special_tokens=False):
        table = {"calm": [10], "calmly": [10, 11], "zzz": [1], "tea": [12], "": []}
        return {"input_ids": table[word]}


def test_soft_target_first_piece_and_renormalised_unmapped_mass():
    stats = SoftTargetStats()
    cands = [
        {"word": "calm", "prob": 0.4},
        {"word": "calmly", "prob": 0.2},  # multi-piece: mass on its first piece (10)
        {"word": "tea", "prob": 0.2},
        {"word": "zzz", "prob": 0.2},  # unknown -> unmapped
    ]
    ids, probs = soft_target(cands, CandidateMapper(_Tok()), stats)
    assert ids == [10, 12]
    assert probs == pytest.approx([0.75, 0.25])
    assert stats.mapped_share == pytest.approx(0.8)
    assert stats.as_dict()["single_piece_share"] == pytest.approx(0.6)


def test_phase2_from_phase1_records_lineage_and_mass(phase2_dir, phase1_dir):
    m = phase2_dir.metrics
    assert m["mlm_head"] == HEAD_NEW  # a bare BertModel has no trained MLM head
    st = m["soft_targets"]
    assert st["rows"] == 48 and st["candidates"] == 144
    assert 0.85 < st["mapped_share"] <= 1.0
    assert m["n_dev"] > 0 and "eval_loss" in m["dev"]
    assert m["label_gain"] == pytest.approx(m["dev_loss_other_label"] - m["dev_loss_own_label"])
    model = TypeConditionedMlm.from_pretrained(phase2_dir.model_dir)
    assert [e["phase"] for e in model.config.lineage] == [1, 2]
    assert model.config.lineage[1]["init"] == str(phase1_dir.model_dir)
    saved = json.loads((phase2_dir.model_dir / "metrics.json").read_text())
    assert saved["soft_targets"]["mapped_share"] == st["mapped_share"]


def typed_masked(n_sentences: int) -> list[dict]:
    """Fills that follow all four letters of the type: one word per pole (``POLE_WORDS``), a
    quarter of the mass each, on sentences that say nothing about the type."""
    rows = []
    for i in range(n_sentences):
        for t in MBTI.labels:
            words = [POLE_WORDS[letter][0] for letter in t]
            rows.append(
                {
                    "id": f"m{i}-{t}",
                    "base_id": f"s{i}",
                    "text": f"sentence number {i} is about [MASK] today.",
                    "label": t,
                    "target": words[0],
                    "candidates": [{"word": w, "prob": 0.25} for w in words],
                    "backend": "offline",
                    "model": "toy",
                    "prompt_sha": "0" * 8,
                }
            )
    return rows


def test_phase2_with_the_defaults_learns_the_label_on_held_out_sentences(phase1_dir, tmp_path):
    """With the default rates (encoder 5e-5, label embedding and new head at --head-lr) and the
    label added to every token, 40 steps make the held-out sentences' fills clearly likelier
    under their own type than under the other E/I pole, and their type identifiable. Before
    (label added at [MASK] only, everything at 5e-5) the gain after 40 steps was 0.00004 nats
    (the own type was still the likeliest for 81 % of the rows: the direction was learnt, the
    size was not)."""
    defaults = TrainArgs()
    result = run_phase2(
        Phase2Config(
            data=write_jsonl(tmp_path / "masked.jsonl", typed_masked(12)),
            init=phase1_dir.model_dir,
            out=tmp_path / "out",
            dev_fraction=0.25,
            args=tiny_args(max_steps=40, lr=defaults.lr, head_lr=defaults.head_lr),
        )
    )
    m = result.metrics
    assert m["label_gain"] > 0.01, m  # 0.027 (old: 0.00004)
    assert m["label_accuracy"] > 3 * m["label_chance"], m


def test_label_accuracy_shares_ties():
    import torch

    losses = torch.tensor([[1.0, 2.0, 3.0], [2.0, 1.0, 3.0], [1.0, 1.0, 1.0], [1.0, 1.0, 5.0]])
    score = own_is_lowest(losses, torch.tensor([0, 0, 2, 1]))
    assert score.tolist() == pytest.approx([1.0, 0.0, 1 / 3, 0.5])


def test_phase2_with_mlm_mix_on_the_bundled_minilm(minilm_path, toy_dir, tmp_path):
    """The bundled MiniLM (sentence-transformers, no MLM head): new tied head, [MASK] mapped."""
    rows = toy_masked()[:16]
    data = write_jsonl(tmp_path / "masked.jsonl", rows)
    result = run_phase2(
        Phase2Config(
            data=data,
            init=minilm_path,
            out=tmp_path / "out",
            mlm_mix=0.5,
            args=tiny_args(max_steps=1, batch_size=4, max_length=16),
        )
    )
    assert result.metrics["mlm_head"] == HEAD_NEW
    assert result.metrics["soft_targets"]["rows"] == 16
    model = TypeConditionedMlm.from_pretrained(result.model_dir)
    assert model.config.mlm_mix == 0.5
    assert model.config.encoder["hidden_size"] == 384
    assert model.mlm.get_output_embeddings().weight is (
        model.encoder_module().embeddings.word_embeddings.weight
    )


def test_phase2_cli_rejects_text_without_mask(cli, phase1_dir, tmp_path):
    rows = toy_masked()[:5]
    rows[2]["text"] = "no mask in this sentence."
    data = write_jsonl(tmp_path / "masked.jsonl", rows)
    out = tmp_path / "out"
    proc = cli("train", "phase2", data, "--init", phase1_dir.model_dir, "--out", out)
    assert_clean_error(proc, "masked.jsonl", "row 3", "text", "[MASK]")
    assert not out.exists()


def test_phase2_refuses_a_phase3_or_foreign_init(phase3_dir, toy_dir, tmp_path):
    from schemas.errors import InputError

    with pytest.raises(InputError, match="is a phase-3 model"):
        run_phase2(
            Phase2Config(
                data=toy_dir / "masked.jsonl",
                init=phase3_dir.model_dir,
                out=tmp_path / "a",
                args=tiny_args(),
            )
        )
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text('{"model_type": "not-a-model"}')
    with pytest.raises(InputError, match="unknown model_type"):
        run_phase2(
            Phase2Config(
                data=toy_dir / "masked.jsonl", init=foreign, out=tmp_path / "b", args=tiny_args()
            )
        )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_type_input_choices_are_the_models():
    from train.models.type_mlm import TYPE_INPUTS
    from train.phases import phase2

    assert phase2.TYPE_INPUTS == TYPE_INPUTS
