"""Every task through the real ``train phase3`` and ``train predict`` commands (tiny encoder,
a few steps), and the task layer's bad input as one-line errors (exit 2, nothing written)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLE
from tests.support.cli import assert_clean_error
from tests.train.conftest import toy_posts, write_jsonl
from tests.train.tasks.conftest import emotion_rows, sentiment_rows

TINY = ("--max-steps", "4", "--batch-size", "8", "--max-length", "32", "--lr", "1e-3")
TINY += ("--device", "cpu", "--no-progress", "--warmup-ratio", "0")


def test_single_label_trains_evaluates_and_predicts_per_author(cli, task_encoder, tmp_path):
    data = write_jsonl(tmp_path / "tweets.jsonl", sentiment_rows())
    out = tmp_path / "single"
    proc = cli(
        "train", "phase3", data, "--task", "single", "--text-col", "tweet",
        "--label-col", "sentiment", "--author-col", "user", "--init", task_encoder,
        "--out", out, *TINY,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    for name in ("accuracy", "macro_f1", "majority_accuracy", "majority_macro_f1"):
        assert 0 <= metrics[name] <= 1, name
    assert metrics["task"] == "single" and metrics["n_test"] > 0
    assert metrics["per_author"]["n_authors"] > 1 and "accuracy" in metrics["per_author"]
    assert "test (" in proc.stdout and "per author" in proc.stdout
    assert "'loss'" not in proc.stdout + proc.stderr  # raw loss dicts only with -v
    assert "head is new" in proc.stderr and "MISSING" not in proc.stderr

    texts = write_jsonl(tmp_path / "new.jsonl", sentiment_rows(per_label=2, seed=5))
    proc = cli(
        "train", "predict", out, "--file", texts, "--text-col", "tweet", "--author-col",
        "user", "--format", "jsonl",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 6
    assert {r["label"] for r in rows} <= {"positive", "negative", "neutral"}
    assert set(rows[0]["probabilities"]) == {"positive", "negative", "neutral"}
    proc = cli("train", "predict", out, "--by-author", "--format", "jsonl", "great", "awful")
    assert proc.returncode == 0, proc.stderr
    (person,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert person["n_texts"] == 2 and sum(person["agreement"].values()) == 2


def test_multi_label_with_a_delimited_column_and_dynamic_cutoffs(cli, task_encoder, tmp_path):
    data = write_jsonl(tmp_path / "emotions.jsonl", emotion_rows(as_list=False))
    out = tmp_path / "multi"
    proc = cli(
        "train", "phase3", data, "--task", "multi", "--label-sep", "|", "--thresholds",
        "dynamic", "--init", task_encoder, "--out", out, *TINY,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    for name in ("auc_macro", "hamming_loss", "micro_f1", "macro_f1"):
        assert 0 <= metrics[name] <= 1, name
    assert {"micro_f1_static", "macro_f1_static"} <= set(metrics)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["train_args"]["epochs"] == 5  # multi-label's default (--max-steps caps it)
    proc = cli("train", "predict", out, "--format", "jsonl", "smile sunshine", "scared")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(set(r["labels"]) <= {"joy", "anger", "fear", "surprise"} for r in rows)


def test_regression_on_pairs_with_a_given_test_file(cli, task_encoder, tmp_path):
    out = tmp_path / "sts"
    proc = cli(
        "train", "phase3", SAMPLE / "sts_pairs.jsonl", "--task", "regression", "--test",
        SAMPLE / "sts_test.jsonl", "--binary-threshold", "3", "--init", task_encoder,
        "--out", out, *TINY,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_test"] == 60
    assert {"pearson", "spearman", "binary_f1", "mse"} <= set(metrics)
    proc = cli("train", "predict", out, "--file", SAMPLE / "sts_test.jsonl", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 60 and all(0 <= r["score"] <= 5 for r in rows)


def test_a_bi_encoder_trains_and_predicts_pairs_on_the_score_range(cli, task_encoder, tmp_path):
    out = tmp_path / "bi"
    proc = cli(
        "train", "phase3", SAMPLE / "sts_pairs.jsonl", "--task", "regression", "--pair-model",
        "bi", "--score-range", "0,10", "--init", task_encoder, "--out", out, *TINY,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    pairs = write_jsonl(
        tmp_path / "pairs.jsonl",
        [
            {"sentence1": "a man is playing a guitar.", "sentence2": "a man is playing a guitar."},
            {"sentence1": "a man slices a tomato.", "sentence2": "a woman is dancing."},
        ],
    )
    proc = cli("train", "predict", out, "--file", pairs, "--format", "jsonl",
               "--encode-precision", "fp32")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    same, other = [json.loads(line) for line in proc.stdout.splitlines()]
    assert same["text"] == "a man is playing a guitar." and set(same["probabilities"]) == {"score"}
    assert same["score"] == pytest.approx(10, abs=1e-3)  # cosine 1 -> the range's top
    assert 0 <= other["score"] <= 10
    assert other["score"] == pytest.approx(10 * other["probabilities"]["score"], abs=1e-3)
    proc = cli("train", "predict", out, "--format", "table", "--file", pairs,
               "--encode-precision", "fp32")  # fmt: skip
    assert proc.returncode == 0 and "10.000" in proc.stdout, proc.stderr
    # bf16 (the default on a CPU with native bf16) scores one sentence twice at the top too
    proc = cli("train", "predict", out, "--file", pairs, "--format", "jsonl",
               "--encode-precision", "bf16")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["score"] == pytest.approx(10, abs=1e-3)
    assert_clean_error(cli("train", "predict", out, "one text"), "sentence pairs")


def test_mbti_predict_by_author_gives_one_type_with_the_axis_votes(cli, phase3_dir, tmp_path):
    rows = [{"text": r["text"], "author": r["author"]} for r in toy_posts()[:6]]
    data = write_jsonl(tmp_path / "people.jsonl", rows)
    proc = cli("train", "predict", phase3_dir.model_dir, "--file", data, "--by-author",
               "--format", "jsonl")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    people = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [p["author"] for p in people] == ["u-ISTJ-0", "u-ISTJ-1"]
    for p in people:
        assert p["n_texts"] == 3 and len(p["label"]) == 4
        assert all(sum(v["votes"].values()) == 3 for v in p["axes"].values())


def _labels_file(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("joy\nanger\n")
    return path


BAD_INPUT = {
    "unknown task": (
        lambda d: (write_jsonl(d / "a.jsonl", sentiment_rows()), "--task", "sentiment"),
        ("--task", "must be one of mbti, single, multi, regression, got 'sentiment'"),
    ),
    "missing label column": (
        lambda d: (
            write_jsonl(d / "a.jsonl", sentiment_rows()),
            "--task",
            "single",
            "--text-col",
            "tweet",
        ),  # fmt: skip
        ("a.jsonl", "field 'label'", "--label-col"),
    ),
    "unknown multi label": (
        lambda d: (
            write_jsonl(d / "a.jsonl", emotion_rows()),
            "--task",
            "multi",
            "--labels",
            _labels_file(d),
        ),  # fmt: skip
        ("a.jsonl", "row ", "field 'label'"),
    ),
    "non-numeric score": (
        lambda d: (
            write_jsonl(
                d / "a.jsonl",
                [
                    {"sentence1": "a", "sentence2": "b", "score": "1.5"},
                    {"sentence1": "c", "sentence2": "d", "score": "high"},
                ],
            ),
            "--task",
            "regression",
        ),  # fmt: skip
        ("a.jsonl", "row 2", "field 'label'", "'high' is not a number"),
    ),
    "score out of range": (
        lambda d: (
            write_jsonl(
                d / "a.jsonl",
                [
                    {"sentence1": "a", "sentence2": "b", "score": 1.0},
                    {"sentence1": "c", "sentence2": "d", "score": 7},
                ],
            ),
            "--task",
            "regression",
        ),  # fmt: skip
        ("a.jsonl", "row 2", "outside the score range 0..5"),
    ),
    "one class": (
        lambda d: (
            write_jsonl(
                d / "a.jsonl", [r for r in sentiment_rows() if r["sentiment"] == "positive"]
            ),
            "--task",
            "single",
            "--text-col",
            "tweet",
            "--label-col",
            "sentiment",
        ),  # fmt: skip
        ("a.jsonl", "fewer than two classes"),
    ),
    "pair column outside regression": (
        lambda d: (
            write_jsonl(d / "a.jsonl", sentiment_rows()),
            "--task",
            "single",
            "--text-pair-col",
            "user",
        ),  # fmt: skip
        ("--text-pair-col", "needs --task regression"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_nothing_written(case, cli, tmp_path):
    make, needles = BAD_INPUT[case]
    out = tmp_path / "out"
    proc = cli("train", "phase3", *make(tmp_path), "--out", out)
    assert_clean_error(proc, *needles)
    assert not out.exists() and not list(tmp_path.glob(".out*"))


STUDY = ("--max-steps", "2", "--batch-size", "8", "--max-length", "32", "--no-progress")


@pytest.mark.parametrize(
    ("task", "rows", "extra"),
    [
        ("single", sentiment_rows, ("--text-col", "tweet", "--label-col", "sentiment",
                                    "--author-col", "user", "--seeds", "2", "--fractions",
                                    "0.5,1")),
        ("multi", emotion_rows, ("--thresholds", "dynamic")),
        # the cross-encoder path is the other tasks' fine-tuning; here the bi-encoder arm
        ("regression", None, ("--test", str(SAMPLE / "sts_test.jsonl"), "--pair-model", "bi")),
    ],
)  # fmt: skip
def test_train_all_for_a_task_writes_report_plots_and_metrics(
    task, rows, extra, cli, task_encoder, tmp_path
):
    data = write_jsonl(tmp_path / "d.jsonl", rows()) if rows else SAMPLE / "sts_pairs.jsonl"
    out = tmp_path / "study"
    proc = cli("train", "all", "--task", task, "--posts", data, "--model", task_encoder,
               "--out", out, *STUDY, *extra)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "majority" in proc.stdout and "TF-IDF" in proc.stdout
    report = (out / "report.md").read_text()
    assert f"--task {task}" in report and "E/I" not in report
    for png in ("comparison", "low_data_curve", "loss_curves"):
        assert (out / f"{png}.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == task
    arms = {(r["arm"], r["fraction"]) for r in metrics["runs"]}
    assert {"plain", "tfidf", "frozen", "majority"} == {arm for arm, _ in arms}
    headline = {"single": "macro_f1", "multi": "auc_macro", "regression": "spearman"}[task]
    table = metrics["summary"]["1"]["per_post"][headline]
    assert table["plain"]["n"] == table["tfidf"]["n"] >= 1
    assert "plain_minus_tfidf" in table
    if task == "single":
        assert {f for _, f in arms} == {0.5, 1.0} and table["plain"]["n"] == 2
        assert "per_author" in metrics["summary"]["1"] and "Per-author" in report
        assert (out / "seed0" / "fraction1" / "plain" / "config.json").is_file()
        assert not (out / "seed0" / "fraction0.5" / "plain").exists()
    if task == "regression":  # --pair-model bi reaches the plain arm (it used to be ignored)
        assert (out / "seed0" / "fraction1" / "plain" / "mbtikit_task.json").is_file()
        plain = next(r for r in metrics["runs"] if r["arm"] == "plain")
        assert plain["metrics"]["pair_model"] == "bi"
