import numpy as np
import pytest

from augment.embeddings import embed, load_embedder
from augment.teachers import make_teacher
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
