"""``datagen view``: paged JSON over real HTTP and the page in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.io import to_dataset, write_dataset
from schemas.labels import MBTI
from tests.support.browser import Browser
from tests.support.cli import assert_clean_error
from tests.support.server import request, running

N_SENTENCES = 30


def masked_rows() -> list[dict]:
    return [
        {
            "id": f"b{b:03d}-{t}",
            "base_id": f"b{b:03d}",
            "text": f"sentence {b}: on weekends I [MASK] with friends.",
            "label": t,
            "target": f"{t.lower()}-word",
            "candidates": [
                {"word": f"{t.lower()}-word", "prob": 0.75},
                {"word": "x", "prob": 0.25},
            ],
            "backend": "offline-heuristic",
            "model": "toy",
            "prompt_sha": "abc123",
        }
        for b in range(N_SENTENCES)
        for t in MBTI.labels
    ]


def post_rows() -> list[dict]:
    gold = [
        {"id": f"g{i}", "text": f"gold post {i}", "label": "INFJ", "author": f"u{i}",
         "is_silver": False, "silver_score": None, "silver_query_id": None}
        for i in range(25)
    ]  # fmt: skip
    silver = [
        {"id": f"s{i}", "text": f"silver post {i}", "label": "ESTP", "author": None,
         "is_silver": True, "silver_score": 0.9, "silver_query_id": f"g{i}"}
        for i in range(7)
    ]  # fmt: skip
    return gold + silver


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("view")
    manifest = {"command": "datagen masked-sentences", "counts": {"rows": N_SENTENCES * 16}}
    write_dataset(to_dataset(masked_rows(), "masked"), root / "masked", manifest=manifest)
    write_dataset(to_dataset(post_rows(), "posts"), root / "posts", manifest={"counts": {}})
    (root / "posts" / "report.md").write_text("# Silver report\n7 silver rows\n")
    return root


@pytest.fixture(scope="module")
def viewer(data):
    with running("datagen", "view", data, "--port", "0") as url:
        yield url


def test_lists_every_data_set_with_its_kind(viewer):
    status, sets = request(f"{viewer}/api/datasets")
    assert status == 200
    assert {s["name"]: (s["kind"], s["rows"]) for s in sets} == {
        "masked": ("masked", N_SENTENCES * 16),
        "posts": ("posts", 32),
    }


def test_masked_rows_are_paged_by_sentence_with_the_16_types(viewer):
    status, page = request(f"{viewer}/api/rows?name=masked&page=2&size=4")
    assert status == 200, page
    assert (page["pages"], page["total"]) == (8, N_SENTENCES)
    assert [g["base_id"] for g in page["groups"]] == ["b008", "b009", "b010", "b011"]
    types = page["groups"][0]["types"]
    assert [t["label"] for t in types] == list(MBTI.labels)
    assert types[0]["candidates"][0] == {"word": f"{MBTI.labels[0].lower()}-word", "prob": 0.75}
    _, last = request(f"{viewer}/api/rows?name=masked&page=7&size=4")
    assert len(last["groups"]) == 2


def test_silver_rows_come_with_score_and_query_text(viewer):
    _, page = request(f"{viewer}/api/rows?name=posts&filter=silver&size=5")
    assert page["total"] == 7 and len(page["rows"]) == 5
    row = page["rows"][0]
    assert row["is_silver"] and row["silver_score"] == pytest.approx(0.9)
    assert row["silver_query_text"] == "gold post 0"
    _, gold = request(f"{viewer}/api/rows?name=posts&filter=gold&size=100")
    assert gold["total"] == 25 and not any(r["is_silver"] for r in gold["rows"])


def test_notes_hold_the_manifest_report_and_card(viewer):
    _, notes = request(f"{viewer}/api/notes?name=posts")
    assert notes["files"]["report.md"].startswith("# Silver report")
    assert notes["files"]["README.md"].startswith("---\n")
    _, notes = request(f"{viewer}/api/notes?name=masked")
    assert notes["manifest"]["command"] == "datagen masked-sentences"


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        ("rows?name=nope", 404, "no data set 'nope'"),
        ("rows?name=posts&size=1000", 422, "size"),
        ("rows?name=posts&filter=bronze", 422, "filter"),
        ("rows?name=posts&page=-1", 422, "page"),
    ],
)
def test_bad_queries_are_4xx_json(viewer, query, status, needle):
    got, body = request(f"{viewer}/api/{query}")
    assert got == status and needle in body["error"]


def test_the_page_browses_sentences_and_silver_rows(viewer, tmp_path):
    with Browser() as page:
        page.goto(viewer + "/#masked")
        page.wait_for("document.body.dataset.loaded === 'masked:0:all'")
        first = page.eval("document.querySelector('.group').dataset.base")
        cells = page.eval(
            "[...document.querySelectorAll('.group')[0].querySelectorAll('.cell')]"
            ".map(c => c.dataset.type)"
        )
        assert (first, cells) == ("b000", list(MBTI.labels))
        assert page.eval("document.querySelector('.mask').textContent") == "[MASK]"
        page.eval("document.getElementById('next').click()")
        page.wait_for("document.body.dataset.loaded === 'masked:1:all'")
        assert page.eval("document.querySelector('.group').dataset.base") == "b005"
        assert page.eval("document.getElementById('where').textContent").startswith("page 2 of 6")
        page.screenshot(tmp_path / "view-masked.png")
        page.eval("[...document.querySelectorAll('nav button')].at(-1).click()")
        page.wait_for("document.body.dataset.loaded === 'posts:0:all'")
        page.eval(
            "const f = document.getElementById('filter'); f.value = 'silver';"
            "f.dispatchEvent(new Event('change'))"
        )
        page.wait_for("document.body.dataset.loaded === 'posts:0:silver'")
        badges = page.eval("[...document.querySelectorAll('.badge')].map(b => b.textContent)")
        assert badges == ["silver"] * 7
        assert "gold post 0" in page.eval("document.querySelector('tr.silver').textContent")
        shot = page.screenshot(tmp_path / "view-silver.png")
    assert shot.stat().st_size > 5_000


def test_a_directory_without_data_sets_is_one_error_line(cli, tmp_path):
    assert_clean_error(cli("datagen", "view", tmp_path, "--port", "0"), "holds no data set")
