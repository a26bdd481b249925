"""``train serve``: the API over real HTTP on 127.0.0.1 and the page in headless Chromium."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from schemas.labels import AXIS_NAMES, MBTI
from tests.support.browser import Browser
from tests.support.cli import assert_clean_error
from tests.support.server import request, running

MESSAGES = [
    "alone quiet ideas dreams logic analysis plans schedule.",
    "party crowd facts details feelings harmony spontaneous flexible.",
    "quiet alone dreams ideas harmony feelings schedule plans.",
]


@pytest.fixture(scope="module")
def server(phase3_dir, minilm_path):
    """The tiny phase-3 model with MiniLM for /similarity, small limits to test them."""
    with running(
        "train", "serve", phase3_dir.model_dir, "--embedder", minilm_path, "--port", "0",
        "--max-texts", "4", "--max-chars", "200", "--batch-wait-ms", "20",
    ) as url:  # fmt: skip
        yield url


def test_predict_gives_a_type_with_probabilities_and_axes(server):
    status, body = request(f"{server}/predict", {"texts": MESSAGES[:2]})
    assert status == 200, body
    assert body["task"] == "mbti"
    first, second = body["predictions"]
    assert first["text"] == MESSAGES[0]
    for pred in (first, second):
        assert pred["label"] in MBTI.labels
        assert set(pred["probabilities"]) == set(MBTI.labels)
        assert sum(pred["probabilities"].values()) == pytest.approx(1, abs=1e-4)
        assert list(pred["axes"]) == list(AXIS_NAMES)
        for poles in pred["axes"].values():
            assert sum(poles.values()) == pytest.approx(1, abs=1e-5)
    # the same text alone gives the same answer (batching does not change results)
    _, alone = request(f"{server}/predict", {"texts": MESSAGES[:1]})
    for name, poles in alone["predictions"][0]["axes"].items():
        assert poles == pytest.approx(first["axes"][name], abs=1e-4)


def test_author_label_is_the_type_of_the_mean_with_the_votes(server):
    status, body = request(f"{server}/predict/author", {"texts": MESSAGES})
    assert status == 200, body
    assert body["n_texts"] == 3
    labels = [p["label"] for p in body["predictions"]]
    for i, (name, axis) in enumerate(body["axes"].items()):
        votes = axis["votes"]
        assert sum(votes.values()) == 3
        assert votes == {pole: sum(lab[i] == pole for lab in labels) for pole in votes}
        first, second = votes
        mean = sum(p["axes"][name][second] for p in body["predictions"]) / 3
        assert axis["mean_probability"][second] == pytest.approx(mean, abs=1e-5)
        assert axis["pole"] == body["label"][i]
        assert axis["agreement"] == pytest.approx(votes[axis["pole"]] / 3, abs=1e-6)
        assert name in AXIS_NAMES


def _votes_against_the_mean(scores, cutoffs) -> list[int] | None:
    """Three rows of ``scores`` whose majority vote and mean disagree on some axis."""
    import itertools

    import numpy as np

    votes = scores >= np.asarray(cutoffs)
    for trio in itertools.combinations(range(len(scores)), 3):
        idx = list(trio)
        by_vote = votes[idx].sum(axis=0) >= 2
        by_mean = scores[idx].mean(axis=0) >= np.asarray(cutoffs)
        if (by_vote != by_mean).any():
            return idx
    return None


def test_predict_by_author_and_the_server_judge_a_person_alike(server, cli, phase3_dir, tmp_path):
    """One rule for one person: three texts whose votes and mean disagree get the same answer
    from ``train predict --by-author`` and ``POST /predict/author``."""
    from tests.train.conftest import toy_posts, write_jsonl
    from train.predict.predictor import load_predictor

    predictor = load_predictor(phase3_dir.model_dir)
    pool = list(dict.fromkeys(r["text"] for r in toy_posts()))[:40]
    trio = _votes_against_the_mean(predictor.scores(pool), predictor.task.active_cutoffs)
    assert trio is not None, "no three toy texts whose votes and mean disagree"
    texts = [pool[i] for i in trio]
    data = write_jsonl(tmp_path / "one.jsonl", [{"text": t, "author": "ann"} for t in texts])
    proc = cli("train", "predict", phase3_dir.model_dir, "--file", data, "--by-author",
               "--format", "jsonl")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (from_cli,) = [json.loads(line) for line in proc.stdout.splitlines()]
    status, from_server = request(f"{server}/predict/author", {"texts": texts})
    assert status == 200, from_server
    assert from_cli["label"] == from_server["label"]
    for name in AXIS_NAMES:
        ours, theirs = from_cli["axes"][name], from_server["axes"][name]
        assert (ours["votes"], ours["pole"]) == (theirs["votes"], theirs["pole"])
        assert ours["mean_probability"] == pytest.approx(theirs["mean_probability"], abs=1e-4)


def test_similarity_is_the_cosine_of_minilm_embeddings(server):
    status, close = request(
        f"{server}/similarity",
        {"sentence1": "A man is playing a guitar.", "sentence2": "Someone plays the guitar."},
    )
    assert status == 200, close
    _, far = request(
        f"{server}/similarity",
        {"sentence1": "A man is playing a guitar.", "sentence2": "The stock market fell today."},
    )
    assert 0.6 < close["score"] <= 1.0
    assert far["score"] < close["score"] - 0.3


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/predict", {"texts": []}, 422, "texts is empty"),
        ("/predict", {"texts": ["a"] * 5}, 413, "at most 4"),
        ("/predict", {"texts": ["x" * 201]}, 413, "201 characters"),
        ("/predict", {"texts": ["ok", "   "]}, 422, "texts[1] is empty"),
        ("/predict/author", {"text": "no list"}, 422, "texts"),
        ("/predict", {"texts": "one string"}, 422, "texts"),
        ("/similarity", {"sentence1": "only one"}, 422, "sentence2"),
    ],
)
def test_bad_requests_get_a_4xx_json_error(server, path, body, status, needle):
    got, answer = request(f"{server}{path}", body)
    assert got == status, answer
    assert needle in answer["error"]


def test_malformed_or_oversized_bodies_are_4xx_never_500(server):
    status, answer = request(f"{server}/predict", raw=b'{"texts": ["unclosed')
    assert status == 400 and "not valid JSON" in answer["error"]
    status, answer = request(f"{server}/predict", raw=b"x" * 2_000_000)
    assert status == 413 and "over" in answer["error"]


def test_concurrent_requests_share_forward_passes(server):
    _, before = request(f"{server}/info")
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda t: request(f"{server}/predict", {"texts": [t]}), MESSAGES * 4)
        )
    assert all(status == 200 for status, _ in answers)
    _, after = request(f"{server}/info")
    assert after["items"] - before["items"] == 12
    assert after["batches"] - before["batches"] < 12


def test_the_classifier_runs_in_the_resolved_encode_precision(server):
    """``--encode-precision auto``: bf16 on a CPU with native bf16, else fp32 (a classifier
    has no int8 twin); the server says which."""
    from train.engine.encoding import torch_precision

    _, info = request(f"{server}/info")
    assert info["precision"] == torch_precision("auto", "cpu")


def test_openapi_page_lists_the_endpoints(server):
    status, spec = request(f"{server}/openapi.json")
    assert status == 200
    assert {"/predict", "/predict/author", "/similarity"} <= set(spec["paths"])


def test_the_page_shows_the_type_and_axis_bars_in_a_browser(server, tmp_path):
    _, expected = request(f"{server}/predict/author", {"texts": MESSAGES})
    with Browser() as page:
        page.goto(server + "/")
        page.wait_for("document.body.dataset.ready === '1'")
        page.eval(f"document.getElementById('texts').value = {json.dumps(chr(10).join(MESSAGES))}")
        page.eval("document.getElementById('predict').click()")
        shown = page.wait_for("document.getElementById('person-type').textContent")
        assert shown == expected["label"]
        rows = page.eval(
            "[...document.querySelectorAll('.axis')].map(r => [r.dataset.axis, r.dataset.pole,"
            " [...r.querySelectorAll('.bar div')].map(d => d.style.width)])"
        )
        assert [r[0] for r in rows] == list(AXIS_NAMES)
        for name, pole, widths in rows:
            axis = expected["axes"][name]
            assert pole == axis["pole"]
            shares = [100 * v / 3 for v in axis["votes"].values()]
            assert [float(w.rstrip("%")) for w in widths] == pytest.approx(shares, abs=0.1)
        types = page.eval(
            "[...document.querySelectorAll('#messages tbody tr')].map(r => r.dataset.type)"
        )
        assert types == [p["label"] for p in expected["predictions"]]
        page.eval("document.getElementById('sentence1').value = 'A man plays a guitar.'")
        page.eval("document.getElementById('sentence2').value = 'Someone is playing guitar.'")
        page.eval("document.getElementById('compare').click()")
        score = page.wait_for("document.getElementById('score').dataset.score")
        assert 0.5 < float(score) <= 1
        assert page.eval("document.getElementById('score').textContent").endswith("%")
        page.eval("document.getElementById('texts').value = ''")
        page.eval("document.getElementById('predict').click()")
        error = page.wait_for("document.getElementById('predict-error').textContent")
        assert "texts is empty" in error
        shot = page.screenshot(tmp_path / "serve.png")
    assert shot.stat().st_size > 10_000


def test_a_sentence_transformers_model_serves_similarity_only(minilm_path):
    with running("train", "serve", minilm_path, "--port", "0") as url:
        status, body = request(f"{url}/similarity", {"sentence1": "hi there", "sentence2": "hello"})
        assert status == 200 and -1 <= body["score"] <= 1
        status, body = request(f"{url}/predict", {"texts": ["hi"]})
        assert status == 400 and "no classifier" in body["error"]


def test_a_run_without_a_model_is_one_error_line(cli, tmp_path: Path):
    (tmp_path / "notes.txt").write_text("no model here")
    assert_clean_error(cli("train", "serve", tmp_path, "--port", "0"), "holds no model to serve")


def test_a_runtime_for_a_classifier_alone_is_one_error_line(cli, phase3_dir):
    """``--encode-backend`` moves the similarity model; a classifier runs in torch, so asking
    for another runtime with nothing to give it to is refused, not ignored."""
    proc = cli("train", "serve", phase3_dir.model_dir, "--encode-backend", "openvino")
    assert_clean_error(proc, "--encode-backend", "the classifier runs in torch")


def test_a_port_in_use_is_one_error_line(cli, phase3_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = cli("train", "serve", phase3_dir.model_dir, "--port", str(port))
    assert_clean_error(proc, f"127.0.0.1:{port}", "in use")


# --- any task: single, multi, regression (untrained heads on the tiny encoder: the server,
# not the model, is under test) ------------------------------------------------------------
SENTIMENTS = ("positive", "negative", "neutral")
EMOTIONS = ("joy", "anger", "fear")


def save_task_model(directory: Path, task, encoder_dir: Path) -> Path:
    """A :class:`TaskModel` for ``task`` on ``encoder_dir`` (its head untrained), saved."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from train.models import TaskModel, TaskModelConfig
    from train.models.init import encoder_config_dict

    encoder = AutoModel.from_pretrained(encoder_dir)
    torch.manual_seed(0)
    TaskModel(TaskModelConfig.for_task(task, encoder=encoder_config_dict(encoder))).save_pretrained(
        directory
    )
    AutoTokenizer.from_pretrained(encoder_dir).save_pretrained(directory)
    return directory


def save_bi_encoder(directory: Path, task, encoder_dir: Path) -> Path:
    """A sentence-transformers model on ``encoder_dir`` saved as ``--pair-model bi`` does."""
    from sentence_transformers import SentenceTransformer

    from schemas.io import write_json
    from train.tasks.bi_encoder import BI_TASK_FILE, bi_task_spec

    SentenceTransformer(str(encoder_dir), device="cpu").save(str(directory))
    write_json(directory / BI_TASK_FILE, bi_task_spec(task))
    return directory


@pytest.fixture(scope="module")
def single_server(tiny_encoder, tmp_path_factory):
    from train.tasks import SingleLabelTask

    model = save_task_model(
        tmp_path_factory.mktemp("single"), SingleLabelTask(labels=SENTIMENTS), tiny_encoder
    )
    with running("train", "serve", model, "--port", "0", "--max-texts", "4") as url:
        yield url


@pytest.fixture(scope="module")
def multi_server(tiny_encoder, tmp_path_factory):
    from train.tasks import MultiLabelTask

    # cut-offs 0 and 1: the first label is always on, the second never, the third at 0.5
    task = MultiLabelTask(labels=EMOTIONS, thresholds="dynamic", cutoffs=(0.0, 1.0, 0.5))
    model = save_task_model(tmp_path_factory.mktemp("multi"), task, tiny_encoder)
    with running("train", "serve", model, "--port", "0") as url:
        yield url


def test_a_single_label_model_gives_a_label_with_its_probabilities(single_server):
    status, info = request(f"{single_server}/info")
    assert status == 200 and info["task"] == "single" and info["labels"] == list(SENTIMENTS)
    status, body = request(f"{single_server}/predict", {"texts": MESSAGES[:2]})
    assert status == 200, body
    assert body["task"] == "single"
    for text, pred in zip(MESSAGES, body["predictions"], strict=False):
        assert pred["text"] == text and "axes" not in pred
        probs = pred["probabilities"]
        assert list(probs) == list(SENTIMENTS)
        assert sum(probs.values()) == pytest.approx(1, abs=1e-4)
        assert pred["label"] == max(probs, key=probs.get)
    status, person = request(f"{single_server}/predict/author", {"texts": MESSAGES})
    assert status == 200, person
    assert person["n_texts"] == 3 and sum(person["agreement"].values()) == 3
    assert set(person["agreement"]) <= set(SENTIMENTS)
    mean = {lab: sum(p["probabilities"][lab] for p in person["predictions"]) / 3 for lab in probs}
    assert person["probabilities"] == pytest.approx(mean, abs=1e-5)
    assert person["label"] == max(mean, key=mean.get)
    status, answer = request(f"{single_server}/score", {"sentence1": "a", "sentence2": "b"})
    assert status == 400 and "no regression model" in answer["error"]


def test_a_multi_label_model_gives_the_labels_over_their_cutoffs(multi_server):
    status, body = request(f"{multi_server}/predict", {"texts": MESSAGES})
    assert status == 200, body
    assert body["task"] == "multi"
    for pred in body["predictions"]:
        assert "label" not in pred and list(pred["probabilities"]) == list(EMOTIONS)
        assert pred["cutoffs"] == {"joy": 0.0, "anger": 1.0, "fear": 0.5}
        over = [lab for lab, p in pred["probabilities"].items() if p >= pred["cutoffs"][lab]]
        assert pred["labels"] == over and "joy" in over and "anger" not in over
    status, person = request(f"{multi_server}/predict/author", {"texts": MESSAGES})
    assert status == 200 and person["n_texts"] == 3 and person["agreement"]["joy"] == 3


@pytest.mark.parametrize(
    ("pair_model", "precision"), [("cross", "fp32"), ("bi", "fp32"), ("bi", "bf16")]
)
def test_a_regression_model_scores_pairs_on_its_range(
    pair_model, precision, tiny_encoder, tmp_path
):
    from train.tasks import RegressionTask

    task = RegressionTask(score_range=(1.0, 10.0))
    save = save_task_model if pair_model == "cross" else save_bi_encoder
    model = save(tmp_path / pair_model, task, tiny_encoder)
    served = ("train", "serve", model, "--port", "0", "--encode-precision", precision)
    with running(*served) as url:
        _, info = request(f"{url}/info")
        assert info["task"] == "regression" and info["score_range"] == [1.0, 10.0]
        same = {"sentence1": "alone quiet ideas.", "sentence2": "alone quiet ideas."}
        status, body = request(f"{url}/score", same)
        assert status == 200, body
        assert body["task"] == "regression" and body["score_range"] == [1.0, 10.0]
        assert 1.0 <= body["score"] <= 10.0
        if pair_model == "bi":  # one sentence twice: cosine 1, the top of the range (bf16 too)
            assert body["score"] == pytest.approx(10.0, abs=1e-3)
        status, answer = request(f"{url}/predict", {"texts": ["hi"]})
        assert status == 400 and "no classifier" in answer["error"] and "/score" in answer["error"]
        status, answer = request(f"{url}/score", {"sentence1": "", "sentence2": "b"})
        assert status == 422 and "texts[0] is empty" in answer["error"]


def test_the_page_shows_label_probability_bars_for_a_single_label_model(single_server):
    _, expected = request(f"{single_server}/predict", {"texts": MESSAGES[:2]})
    with Browser() as page:
        page.goto(single_server + "/")
        page.wait_for("document.body.dataset.ready === '1'")
        assert page.eval("document.getElementById('classify-title').textContent") == (
            "Classify texts"
        )
        assert page.eval("document.getElementById('similar').hidden") is True
        page.eval(
            f"document.getElementById('texts').value = {json.dumps(chr(10).join(MESSAGES[:2]))}"
        )
        page.eval("document.getElementById('predict').click()")
        page.wait_for("document.querySelectorAll('.text-result').length === 2")
        shown = page.eval(
            "[...document.querySelectorAll('.text-result')].map(b => [b.dataset.prediction,"
            " [...b.querySelectorAll('.prob')].map(r => [r.dataset.label,"
            " r.querySelector('.bar div').style.width, r.classList.contains('win')])])"
        )
        assert page.eval("document.getElementById('result').hidden") is True  # no MBTI view
    for (prediction, rows), pred in zip(shown, expected["predictions"], strict=True):
        assert prediction == pred["label"]
        ranked = sorted(pred["probabilities"].items(), key=lambda kv: -kv[1])
        assert [r[0] for r in rows] == [lab for lab, _ in ranked]
        widths = [float(r[1].rstrip("%")) for r in rows]
        assert widths == pytest.approx([100 * p for _, p in ranked], abs=0.1)
        assert [r[2] for r in rows] == [lab == pred["label"] for lab, _ in ranked]
