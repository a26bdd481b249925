"""The phase models: save/load round trips, AutoModel registration, tying, the losses."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModel, BertConfig

from schemas.errors import InputError
from schemas.labels import MBTI
from train.models import TaskModel, TaskModelConfig, TypeConditionedMlm, TypeMlmConfig
from train.models.type_mlm import mlm_head_modules
from train.tasks import MbtiTask, SingleLabelTask

ENCODER = BertConfig(
    vocab_size=50,
    hidden_size=32,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=32,
).to_dict()
LABELS = list(MBTI.labels)


def _inputs():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 50, (3, 7), generator=g)
    mask = torch.ones_like(ids)
    mask[0, 5:] = 0
    return ids, mask


def mbti_model(**task: object) -> TaskModel:
    return TaskModel(TaskModelConfig.for_task(MbtiTask(**task), encoder=ENCODER))


CASES = [
    (TaskModel, TaskModelConfig.for_task(MbtiTask(), encoder=ENCODER), {}, 4),
    (
        TaskModel,
        TaskModelConfig.for_task(SingleLabelTask(labels=MBTI.labels), encoder=ENCODER),
        {},
        16,
    ),
    (
        TypeConditionedMlm,
        TypeMlmConfig(encoder=ENCODER, labels=LABELS),
        {"type_ids": torch.tensor([0, 5, 15]), "mask_positions": torch.tensor([1, 2, 3])},
        50,
    ),
]


@pytest.mark.parametrize("cls,config,extra,n_out", CASES, ids=lambda x: getattr(x, "__name__", ""))
def test_round_trip_through_from_pretrained(tmp_path, cls, config, extra, n_out):
    config.lineage = [{"phase": 1, "base_model": "tiny"}]
    model = cls(config).eval()
    ids, mask = _inputs()
    logits = model(ids, mask, **extra).logits
    assert logits.shape == (3, n_out)
    model.save_pretrained(tmp_path)

    again = cls.from_pretrained(tmp_path).eval()
    assert torch.allclose(logits, again(ids, mask, **extra).logits, atol=1e-6)
    assert again.config.lineage == [{"phase": 1, "base_model": "tiny"}]
    # registered with the Auto classes: no auto_map, no remote code
    assert type(AutoModel.from_pretrained(tmp_path)) is cls
    assert type(AutoConfig.from_pretrained(tmp_path)) is type(config)


def test_phase2_decoder_tied_and_type_embedding_starts_at_zero(tmp_path):
    model = TypeConditionedMlm(TypeMlmConfig(encoder=ENCODER, labels=LABELS))
    decoder = model.mlm.get_output_embeddings().weight
    assert decoder is model.encoder_module().embeddings.word_embeddings.weight
    assert model.type_embedding.weight.abs().sum() == 0
    model.save_pretrained(tmp_path)
    again = TypeConditionedMlm.from_pretrained(tmp_path)
    assert (
        again.mlm.get_output_embeddings().weight
        is again.encoder_module().embeddings.word_embeddings.weight
    )


@pytest.mark.parametrize("type_input", ["tokens", "mask"])
def test_phase2_type_changes_the_prediction_once_trained(type_input, tmp_path):
    config = TypeMlmConfig(encoder=ENCODER, labels=LABELS, type_input=type_input)
    model = TypeConditionedMlm(config).eval()
    with torch.no_grad():
        model.type_embedding.weight.normal_()
    ids, mask = _inputs()
    pos = torch.tensor([1, 1, 1])
    a = model(ids, mask, type_ids=torch.tensor([0, 0, 0]), mask_positions=pos).logits
    b = model(ids, mask, type_ids=torch.tensor([3, 3, 3]), mask_positions=pos).logits
    assert not torch.allclose(a, b)
    model.save_pretrained(tmp_path)
    again = TypeConditionedMlm.from_pretrained(tmp_path).eval()
    assert again.config.type_input == type_input
    assert torch.allclose(
        a, again(ids, mask, type_ids=torch.tensor([0, 0, 0]), mask_positions=pos).logits, atol=1e-6
    )


def test_a_phase2_config_without_type_input_is_the_first_design():
    """A model saved before ``type_input`` existed added the label at [MASK]: it loads so."""
    assert TypeMlmConfig(encoder=ENCODER, labels=LABELS).type_input == "mask"
    with pytest.raises(InputError, match="type_input"):
        TypeMlmConfig(encoder=ENCODER, labels=LABELS, type_input="cls")


def test_soft_target_loss_is_cross_entropy_against_the_distribution():
    model = TypeConditionedMlm(TypeMlmConfig(encoder=ENCODER, labels=LABELS)).eval()
    ids, mask = _inputs()
    kw = {"type_ids": torch.tensor([0, 1, 2]), "mask_positions": torch.tensor([1, 1, 1])}
    target_ids = torch.tensor([[7, 9], [7, 0], [8, 9]])
    target_probs = torch.tensor([[0.75, 0.25], [1.0, 0.0], [0.5, 0.5]])
    out = model(ids, mask, **kw, target_ids=target_ids, target_probs=target_probs)
    logp = torch.log_softmax(out.logits, -1)
    expected = (
        -(0.75 * logp[0, 7] + 0.25 * logp[0, 9] + logp[1, 7] + 0.5 * logp[2, 8] + 0.5 * logp[2, 9])
        / 3
    )
    assert torch.allclose(out.loss, expected, atol=1e-5)


def test_sample_weight_zero_removes_a_row_from_the_loss():
    model = mbti_model(class_weights=False).eval()
    ids, mask = _inputs()
    labels = torch.tensor([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1]]).float()
    weighted = model(ids, mask, labels=labels, sample_weight=torch.tensor([1.0, 1.0, 0.0])).loss
    first_two = model(ids[:2], mask[:2], labels=labels[:2]).loss
    assert torch.allclose(weighted, first_two, atol=1e-6)


def test_pos_weight_scales_the_positive_term():
    plain = mbti_model().eval()
    weighted = mbti_model(pos_weight=(3.0,) * 4)
    weighted.load_state_dict(plain.state_dict())
    weighted.eval()
    ids, mask = _inputs()
    ones = torch.ones(3, 4)
    assert torch.allclose(
        weighted(ids, mask, labels=ones).loss, 3 * plain(ids, mask, labels=ones).loss
    )


def test_unsupported_mlm_family_is_an_input_error():
    class Bare(torch.nn.Module):
        config = type("C", (), {"model_type": "mystery"})()

    with pytest.raises(InputError, match="no supported MLM head"):
        mlm_head_modules(Bare())
