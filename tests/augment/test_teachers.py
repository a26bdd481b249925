import dataclasses

import numpy as np
import pytest

from augment.classification.teachers import make_teacher
from augment.search.embeddings import embed, load_embedder
from schemas.errors import InputError

FOOD = ["I love pasta with tomato sauce.", "Pizza is my favourite dinner.",
        "We cooked soup and baked bread.", "Fresh salad with olive oil for lunch.",
        "Chocolate cake for dessert tonight.", "Grilled fish and rice again."]  # fmt: skip
SPORT = ["I ran ten kilometres this morning.", "Our football team won the match.",
         "Swimming laps at the pool after work.", "The tennis final went to five sets.",
         "Cycling up the mountain was brutal.", "Basketball practice ran late."]  # fmt: skip


@pytest.mark.parametrize("name", ["logreg", "knn"])
def test_builtin_teacher_labels_unseen_texts(minilm_path, name):
    model = load_embedder(minilm_path)
    emb = embed(FOOD + SPORT, model)
    y = np.array([0] * len(FOOD) + [1] * len(SPORT))
    teacher = make_teacher(name, ["food", "sport"]).fit(emb, FOOD + SPORT, y)
    new = ["Noodles with garlic for supper.", "I jogged around the lake."]
    probs = teacher.predict_proba(embed(new, model), new)
    assert probs.shape == (2, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert probs.argmax(axis=1).tolist() == [0, 1]


def test_teacher_path_that_is_not_a_classifier(minilm_path, tmp_path):
    with pytest.raises(InputError, match="not a sequence-classification model"):
        make_teacher(minilm_path, ["INFP", "ESTJ"])
    with pytest.raises(InputError, match="config.json"):
        make_teacher(str(tmp_path), ["INFP", "ESTJ"])
    with pytest.raises(InputError, match="unknown teacher"):
        make_teacher("svm", ["INFP", "ESTJ"])


NEW = ["Noodles with garlic for supper.", "I jogged around the lake."]


@pytest.fixture(scope="module")
def topical(minilm_path):
    model = load_embedder(minilm_path)
    y = np.array([0] * len(FOOD) + [1] * len(SPORT))
    return embed(FOOD + SPORT, model), y, embed(NEW, model)


@pytest.mark.parametrize("spec", ["tfidf", "mean:tfidf+logreg", "agree:tfidf+logreg"])
def test_text_and_ensemble_teachers_label_unseen_texts(topical, spec):
    emb, y, new = topical
    teacher = make_teacher(spec, ["food", "sport"]).fit(emb, FOOD + SPORT, y)
    probs = teacher.predict_proba(new, NEW)
    assert probs.shape == (2, 2)
    assert probs.argmax(axis=1).tolist() == [0, 1]
    assert teacher.name == spec


def test_agree_zeroes_rows_where_members_disagree(topical):
    emb, y, new = topical
    teacher = make_teacher("agree:tfidf+logreg", ["food", "sport"]).fit(emb, FOOD + SPORT, y)
    # a food text whose embedding is sport's: the members see different evidence
    probs = teacher.predict_proba(new[[1, 0]], NEW)
    np.testing.assert_array_equal(probs, 0.0)


def test_axis_teacher_composes_types_from_axes(minilm_path):
    intro = [
        "I stayed home alone reading all weekend.",
        "Quiet evenings with a book recharge me.",
        "I skipped the party to be by myself.",
        "Crowds drain me, I need time alone.",
    ]
    extra = [
        "I threw a huge party and invited everyone!",
        "Meeting new people energises me.",
        "Out with twenty friends again tonight!",
        "I love being the centre of attention.",
    ]
    labels = ["INFP", "ENFP"]
    model = load_embedder(minilm_path)
    y = np.array([0] * 4 + [1] * 4)
    teacher = make_teacher("axis", labels).fit(embed(intro + extra, model), intro + extra, y)
    texts = ["A quiet night alone with tea.", "Big crowd, loud music, so many new friends!"]
    emb = embed(texts, model)
    axes = teacher.predict_axes(emb)
    assert axes.shape == (2, 4)
    assert axes[0, 0] > 0.5 > axes[1, 0]  # E/I: the second pole (I) for the quiet night
    np.testing.assert_allclose(axes[:, 1:], [[1.0, 1.0, 1.0]] * 2)  # N, F, P: one pole in gold
    probs = teacher.predict_proba(emb, texts)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert probs.argmax(axis=1).tolist() == [0, 1]
    with pytest.raises(InputError, match="MBTI"):
        make_teacher("axis", ["food", "sport"])


def test_llm_teacher_reads_labels_written_by_datagen(tmp_path):
    path = tmp_path / "llm.jsonl"
    path.write_text(
        '{"text": "Noodles with garlic for supper.", "label": "food", "confidence": 0.8}\n'
        '{"text": "I jogged around the lake.", "label": "sport"}\n'
    )
    teacher = make_teacher("llm", ["food", "sport"], llm_labels=path)
    assert not teacher.trains_on_gold
    probs = teacher.predict_proba(np.zeros((3, 4)), [*NEW, "unlabelled text"])
    np.testing.assert_allclose(probs, [[0.8, 0.2], [0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(InputError, match="--llm-labels"):
        make_teacher("llm", ["food", "sport"])
    path.write_text('{"text": "x", "label": "music"}\n')
    with pytest.raises(InputError, match="not a gold label"):
        make_teacher("llm", ["food", "sport"], llm_labels=path)


def test_finetune_teacher_trains_a_classifier_on_gold(topical):
    from augment.classification.finetune_teacher import TEACHER_ARGS, FinetuneTeacher

    # CPU test budget (20 steps, a larger step size); the training code path is the default's
    args = dataclasses.replace(TEACHER_ARGS, min_steps=20, lr=3e-4)
    assert isinstance(make_teacher("finetune", ["food", "sport"]), FinetuneTeacher)
    emb, y, new = topical
    teacher = FinetuneTeacher(["food", "sport"], args=args).fit(emb, FOOD + SPORT, y)
    assert teacher.temperature != 1.0  # fitted on the held-out fifth (1.0 is off the grid)
    probs = teacher.predict_proba(new, NEW)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert probs.argmax(axis=1).tolist() == [0, 1]


def test_fit_temperature_softens_overconfident_logits():
    from augment.classification.finetune_teacher import fit_temperature

    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    logits = np.array([[8.0, 0], [0, 8.0], [0, 8.0], [8.0, 0], [8.0, 0], [0, 8.0], [8.0, 0],
                       [0, 8.0]])  # fmt: skip  # 6/8 right, all very confident
    assert fit_temperature(logits, y) > 2.0
    assert fit_temperature(logits[[0, 1, 4, 5]], y[[0, 1, 4, 5]]) < 1.0  # all right: sharpen
