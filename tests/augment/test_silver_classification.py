import json
import math

import datasets
import pytest

from augment.classification.downstream import WEAK_C
from augment.classification.selection import parse_targets
from schemas.labels import MBTI
from schemas.type_mentions import find_type_mentions
from tests.augment.conftest import TOPICS, write_jsonl
from tests.support.cli import assert_clean_error


def test_balances_gold_with_confident_silver(cli, gold_posts, pool_posts, tmp_path):
    out = tmp_path / "balanced"
    args = ["--threshold", "0.6", "--folds", "2", "--top-k", "5", "--label-set", "any"]
    proc = cli("augment", "silver", gold_posts, "--pool", pool_posts, "--out", out, *args)
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_from_disk(str(out))
    gold_in = [json.loads(line) for line in gold_posts.read_text().splitlines()]
    gold = ds.filter(lambda r: not r["is_silver"])
    silver = ds.filter(lambda r: r["is_silver"])
    assert gold["id"] == [r["id"] for r in gold_in]
    assert gold["label"] == [r["label"] for r in gold_in]
    assert gold["author"] == [r["author"] for r in gold_in]
    assert len(silver) > 0
    assert all(s >= 0.6 for s in silver["silver_score"])
    assert set(silver["label"]) == {"sport"}  # only the short class receives silver
    assert set(silver["silver_query_id"]) <= set(gold["id"])
    assert "I love pasta with tomato sauce." not in silver["text"]  # exact duplicate of gold
    assert len(silver) <= 2  # target max = 12 food, capped at 1.5 x sport's 4
    assert not any(find_type_mentions(t) for t in ds["text"])
    assert len(set(silver["text"]) & set(gold["text"])) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["silver"] == len(silver)
    after = manifest["counts"]["after"]
    for lab, n in manifest["counts"]["before"].items():
        assert (
            after[lab]
            == n + silver["label"].count(lab)
            <= max(manifest["counts"]["targets"][lab], n)
        )
    assert manifest["teacher"] == "mean:tfidf+logreg" and manifest["threshold"] == 0.6
    # --encode-precision auto, resolved for this machine's CPU
    assert manifest["encode_precision"] in (
        "fp32",
        "bf16",
        "int8",
        "fp32-openvino",
        "bf16-openvino",
    )
    # target max = 12, capped by the default --max-growth 1.5 at 1.5 x sport's 4 gold rows
    assert manifest["counts"]["requested_targets"]["sport"] == 12
    assert manifest["counts"]["targets"]["sport"] == 6 and manifest["max_growth"] == 1.5
    assert list(manifest["stage_seconds"]) == [
        "read + mask", "encode", "search + de-duplication", "teacher", "precision estimate",
        "selection + downstream check",
    ]  # fmt: skip
    assert all(v >= 0 for v in manifest["stage_seconds"].values())
    assert manifest["estimated_precision"]["folds"] == 2
    report = (out / "report.md").read_text()
    assert "Estimated silver precision" in report and "short of their target" in report
    assert (out / "labels.png").stat().st_size > 0
    assert (out / "precision_curve.png").stat().st_size > 0


def test_target_dist_and_n():
    counts = {"INFP": 10, "ESTJ": 2, "INTJ": 5}
    assert parse_targets("max", None, counts, MBTI) == {"INFP": 10, "ESTJ": 10, "INTJ": 10}
    assert parse_targets("6", None, counts, MBTI) == {"INFP": 10, "ESTJ": 6, "INTJ": 6}


def test_target_dist_file(tmp_path):
    dist = tmp_path / "dist.json"
    dist.write_text(json.dumps({"INFP": 1, "ESTJ": 1, "INTJ": 2}))
    counts = {"INFP": 10, "ESTJ": 2, "INTJ": 5}
    assert parse_targets("max", dist, counts, MBTI) == {"INFP": 10, "ESTJ": 10, "INTJ": 20}


def _one_class(tmp_path):
    rows = [{"id": f"a{i}", "text": f"post {i}", "label": "INFP"} for i in range(5)]
    return write_jsonl(tmp_path / "one.jsonl", rows)


def _unknown(tmp_path):
    rows = [{"id": "a", "text": "hi", "label": "INFP"}, {"id": "b", "text": "yo", "label": "ISXJ"}]
    return write_jsonl(tmp_path / "unknown.jsonl", rows)


@pytest.mark.parametrize(
    "case, needles",
    [
        ("one_class", ["one class only"]),
        ("unknown_label", ["row 2", "label", "ISXJ"]),
        ("empty_pool", ["empty"]),
        ("pool_no_text", ["text"]),
        ("threshold_zero", ["--threshold", "must be > 0 and <= 1, got 0"]),
        ("threshold_big", ["--threshold"]),
        ("teacher_not_classifier", ["not a sequence-classification model"]),
        ("min_precision_zero", ["--min-precision", "must be > 0 and < 1, got 0"]),
        ("min_precision_one", ["--min-precision", "must be > 0 and < 1, got 1"]),
        ("llm_without_labels", ["--teacher llm", "--llm-labels"]),
        ("eval_unknown_label", ["test.jsonl", "row 2", "'music'", "not among the gold labels"]),
        ("pool_all_duplicates", ["no pool text left after de-duplication"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    cli, case, needles, gold_posts, pool_posts, tmp_path, minilm_path
):
    gold, pool, extra = gold_posts, pool_posts, []
    if case == "one_class":
        gold = _one_class(tmp_path)
    elif case == "unknown_label":
        gold = _unknown(tmp_path)
    elif case == "empty_pool":
        pool = tmp_path / "empty.jsonl"
        pool.write_text("")
    elif case == "pool_no_text":
        pool = write_jsonl(tmp_path / "nottext.jsonl", [{"id": "q1", "body": "hello"}])
    elif case == "threshold_zero":
        extra = ["--threshold", "0"]
    elif case == "threshold_big":
        extra = ["--threshold", "1.5"]
    elif case == "teacher_not_classifier":
        extra = ["--teacher", minilm_path]
    elif case == "min_precision_zero":
        extra = ["--min-precision", "0"]
    elif case == "min_precision_one":
        extra = ["--min-precision", "1"]
    elif case == "llm_without_labels":
        extra = ["--teacher", "llm"]
    elif case == "eval_unknown_label":
        rows = [{"text": "Soup for lunch.", "label": "food"}, {"text": "Jazz!", "label": "music"}]
        extra = ["--eval", write_jsonl(tmp_path / "test.jsonl", rows)]
    elif case == "pool_all_duplicates":
        rows = [
            {"id": f"d{i}", "text": t}
            for i, t in enumerate(
                [
                    "Pizza is my favourite dinner.",
                    "I ran ten kilometres this morning.",
                    "Our football team won the match.",
                ]
            )
        ]
        pool = write_jsonl(tmp_path / "dups.jsonl", rows)
    out = tmp_path / "out"
    if case not in ("one_class", "unknown_label"):
        extra = [*extra, "--label-set", "any"]
    proc = cli("augment", "silver", gold, "--pool", pool, "--out", out, "--folds", "0", *extra)
    assert_clean_error(proc, *needles)
    assert not out.exists()
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_min_precision_and_downstream_check(cli, gold_posts, pool_posts, tmp_path):
    """Default teacher, per-class cut-offs from held-out precision, growth target, and the
    student trained on gold vs gold + silver over 3 seeds."""
    test = write_jsonl(
        tmp_path / "test.jsonl",
        [{"text": t, "label": "food"} for t in ("Rice and beans tonight.", "Apple pie recipe.")]
        + [{"text": t, "label": "sport"} for t in ("Ran a half marathon.", "Won at squash.")],
    )
    out = tmp_path / "out"
    args = ["--label-set", "any", "--min-precision", "0.6", "--folds", "2", "--target", "3x",
            "--no-equal-quota", "--eval", test, "--top-k", "5"]  # fmt: skip
    proc = cli("augment", "silver", gold_posts, "--pool", pool_posts, "--out", out, *args)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["targets"] == {"food": 36, "sport": 12}
    assert manifest["min_precision"] == 0.6 and manifest["teacher"] == "mean:tfidf+logreg"
    silver = datasets.load_from_disk(str(out)).filter(lambda r: r["is_silver"])
    for lab, info in manifest["per_class"].items():
        assert info["silver"] == silver["label"].count(lab)
        if info["cutoff"] is None:  # never reaches 0.6 on held-out gold: no silver, and why
            assert info["silver"] == 0 and "wanted precision" in info["why_short"]
        else:
            assert all(
                s >= info["cutoff"]
                for s, x in zip(silver["silver_score"], silver["label"], strict=True)
                if x == lab
            )
    ev = manifest["eval"]
    assert ev["student"] == "linear"
    students = ev["students"]
    assert set(students) == {"frozen", f"frozen_c{WEAK_C:g}", "tfidf"}
    n_gold, n_silver = manifest["counts"]["gold"], manifest["counts"]["silver"]
    for name, st in students.items():
        assert st["seeds"] == [0, 1, 2] and len(st["a"]) == len(st["b"]) == 3, name
        assert st["ci95"][0] <= st["mean_diff"] <= st["ci95"][1]
        assert all(0 <= f <= 100 for f in st["a"] + st["b"])
        assert st["n_train_a"] == [n_gold] * 3 and st["n_train_b"] == [n_gold + n_silver] * 3
        assert st["description"]
        assert len(st["all_gold"]) == 2 and all(0 <= f <= 100 for f in st["all_gold"])
        assert st["all_gold_diff"] == st["all_gold"][1] - st["all_gold"][0]
    assert ev["min_diff"] == min(st["mean_diff"] for st in students.values())
    assert ev["min_all_gold_diff"] == min(st["all_gold_diff"] for st in students.values())
    report = (out / "report.md").read_text()
    assert "Downstream check" in report and "est. precision" in report
    for name, st in students.items():  # every student's row in the report and on the console
        assert f"| {name} | {st['mean_a']:.2f} | {st['mean_b']:.2f} |" in report
        assert f"{st['all_gold'][0]:.2f} -> {st['all_gold'][1]:.2f}" in report
        assert f"### `{name}`" in report
        assert f"student {name}" in proc.stdout + proc.stderr


def test_eval_student_train_fine_tunes_on_gold_and_on_gold_plus_silver(
    cli, tiny_embedder, tmp_path
):
    """``train``'s trainer as the student (a tiny encoder, 10 steps a run): 3 seeds, both
    arms scored, arm b trained on arm a's rows plus every silver row; a quiet console."""
    food, sport = TOPICS["food"], TOPICS["sport"]
    gold = write_jsonl(
        tmp_path / "gold.jsonl",
        [{"id": f"f{i}", "text": t, "label": "food"} for i, t in enumerate(food[:20])]
        + [{"id": f"s{i}", "text": t, "label": "sport"} for i, t in enumerate(sport[:5])],
    )
    pool = write_jsonl(
        tmp_path / "pool.jsonl", [{"id": f"p{i}", "text": t} for i, t in enumerate(sport[5:14])]
    )
    test = write_jsonl(
        tmp_path / "test.jsonl",
        [{"text": t, "label": "food"} for t in food[20:24]]
        + [{"text": t, "label": "sport"} for t in sport[14:18]],
    )
    out = tmp_path / "out"
    args = ["--label-set", "any", "--folds", "0", "--near-duplicate", "0.99999", "--no-progress",
            "--embedder", tiny_embedder, "--eval", test, "--eval-student", "train",
            "--eval-max-steps", "10"]  # fmt: skip
    proc = cli("augment", "silver", gold, "--pool", pool, "--out", out, *args)
    assert proc.returncode == 0, proc.stderr
    # no warning, no bar: stderr holds the one summary line
    assert [" gold + " in line for line in proc.stderr.splitlines()] == [True], proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    n_silver = manifest["counts"]["silver"]
    assert n_silver > 0
    assert manifest["eval"]["student"] == "train" and manifest["eval"]["max_steps"] == 10
    students = manifest["eval"]["students"]
    assert set(students) == {"frozen", f"frozen_c{WEAK_C:g}", "tfidf", "train"}
    ev = students["train"]
    assert ev["seeds"] == [0, 1, 2]
    assert all(math.isfinite(f) and 0 <= f <= 100 for f in ev["a"] + ev["b"])
    assert len(ev["a"]) == len(ev["b"]) == 3
    assert ev["n_train_a"] == [20, 20, 20]  # 80 % of gold (16 food, 4 sport); 5 in dev
    assert ev["n_train_b"] == [20 + n_silver] * 3
    assert "| train |" in (out / "report.md").read_text()


def test_eval_max_steps_needs_the_train_student(tmp_path):
    from augment.classification.config import BalanceConfig
    from schemas.errors import InputError

    with pytest.raises(InputError, match="--eval-student train"):
        BalanceConfig(gold=tmp_path / "g.jsonl", out=tmp_path / "o", eval_max_steps=10)
