"""The bi-encoder option, the loss under data parallelism, and Korean vocabulary coverage."""

from __future__ import annotations

import datasets
import numpy as np

from schemas.records import MASK
from tests.support.korean import korean_corpus, korean_masked
from tests.support.tiny_models import tiny_encoder, train_wordpiece
from tests.train.conftest import tiny_args
from train.models.soft_targets import CandidateMapper, SoftTargetStats, soft_target
from train.phases.phase3 import finetune
from train.tasks import RegressionTask, SingleLabelTask
from train.tasks.bi_encoder import train_bi_encoder
from train.tasks.columns import DataOptions, load_task_data


def test_bi_encoder_trains_with_cosine_similarity_loss(sts, task_encoder, tmp_path):
    data = load_task_data(sts, RegressionTask(binary_threshold=3.0), DataOptions(), seed=0)
    result = train_bi_encoder(data, str(task_encoder), tmp_path / "bi", tiny_args(max_steps=3))
    assert result.test_scores.shape == (len(data.test), 1)
    assert {"pearson", "spearman", "binary_f1"} <= set(result.metrics)
    assert result.metrics["pair_model"] == "bi"
    assert np.isfinite(result.model.encode(["a man slices a tomato."])).all()


def test_task_models_keep_their_loss_unscaled_under_data_parallelism(task_encoder):
    from transformers import Trainer, TrainingArguments

    from train.models import PHASE_MODELS, TaskModel, TaskModelConfig

    assert all(cls.accepts_loss_kwargs is False for cls in PHASE_MODELS.values())
    config = TaskModelConfig.for_task(
        SingleLabelTask(labels=("a", "b")),
        encoder={
            "model_type": "bert",
            "hidden_size": 8,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 16,
            "vocab_size": 30,
        },
    )
    trainer = Trainer(
        model=TaskModel(config),
        args=TrainingArguments(output_dir="unused", use_cpu=True, report_to="none"),
    )
    assert trainer.model_accepts_loss_kwargs is False
    assert config.problem_type == "single_label_classification" and config.labels == ["a", "b"]


def _single_piece_share(tokenizer) -> float:
    mapper, stats = CandidateMapper(tokenizer), SoftTargetStats()
    for row in korean_masked():
        soft_target(row["candidates"], mapper, stats)
    return stats.as_dict()["single_piece_share"]


def test_korean_wordpiece_puts_phase2_candidate_mass_on_single_pieces(minilm_path):
    from transformers import AutoTokenizer

    assert _single_piece_share(train_wordpiece(korean_corpus(), vocab_size=2000)) >= 0.9
    # the bundled English MiniLM breaks Hangul into jamo: next to no single pieces
    assert _single_piece_share(AutoTokenizer.from_pretrained(minilm_path)) < 0.1


def test_tiny_korean_electra_trains_a_task(tmp_path):
    encoder = tiny_encoder(
        tmp_path / "ko-electra", korean_corpus(), family="electra", vocab_size=2000
    )
    rows = [
        {"text": row["text"].replace(MASK, row["target"]), "label": row["label"][0]}
        for row in korean_masked()
    ]
    data = load_task_data(
        datasets.Dataset.from_list(rows), SingleLabelTask(), DataOptions(dev="0.2", test="0.2")
    )
    result = finetune(data, str(encoder), tmp_path / "out", tiny_args(max_steps=3))
    assert result.trainer.model.config.encoder["model_type"] == "electra"
    assert data.task.labels == ("E", "I") and "macro_f1" in result.metrics
