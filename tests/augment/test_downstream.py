import datasets

from augment.classification.downstream import student_splits


def _rows(labels: list[str], is_silver: bool, prefix: str) -> datasets.Dataset:
    return datasets.Dataset.from_dict(
        {
            "text": [f"{prefix} {i}" for i in range(len(labels))],
            "label": labels,
            "is_silver": [is_silver] * len(labels),
        }
    )


def test_train_student_arms_share_the_seed_split():
    """Per seed: arm b = arm a's gold rows + every silver row; one dev set for both, the rest
    of gold, stratified; another seed draws another split."""
    gold = _rows(["food"] * 20 + ["sport"] * 10, False, "gold")
    silver = _rows(["sport"] * 7, True, "silver")
    devs = []
    for seed in (0, 1):
        train_a, train_b, dev = student_splits(gold, silver, seed)
        a, b, d = list(train_a["text"]), list(train_b["text"]), list(dev["text"])
        assert b == a + list(silver["text"])
        assert list(train_b["is_silver"]) == [False] * len(a) + [True] * len(silver)
        assert sorted(a + d) == sorted(gold["text"])
        assert list(dev["label"]).count("food") == 4 and list(dev["label"]).count("sport") == 2
        devs.append(d)
    assert devs[0] != devs[1]


def _topic_posts(rng, words: dict[str, list[str]], per_label: int, lo: int, hi: int):
    """``per_label`` texts a label, each 4 words of ``words[label][lo:hi]``."""
    texts, labels = [], []
    for lab, vocab in words.items():
        for _ in range(per_label):
            texts.append(" ".join(rng.choice(vocab[lo:hi], 4)))
            labels.append(lab)
    return texts, labels


def test_every_linear_student_gains_from_right_silver_and_loses_from_wrong():
    """Gold uses a few words of each topic, silver and test the rest: right silver teaches
    every student (frozen embeddings at both strengths, TF-IDF) what gold cannot; the same
    silver with its labels swapped must hurt each of them."""
    import numpy as np

    from augment.classification.downstream import (
        LINEAR_STUDENTS,
        KnownEmbeddings,
        linear_student_check,
    )

    rng = np.random.default_rng(0)
    words = {lab: [f"{lab}{i}" for i in range(12)] for lab in ("a", "b", "c")}
    gold = _topic_posts(rng, words, 4, 0, 3)
    silver = _topic_posts(rng, words, 10, 3, 12)
    test = _topic_posts(rng, words, 10, 3, 12)
    vec = {w: rng.normal(size=16) for vocab in words.values() for w in vocab}
    texts = sorted({*gold[0], *silver[0], *test[0]})
    emb = np.stack([np.sum([vec[w] for w in t.split()], axis=0) for t in texts])
    known = KnownEmbeddings(texts, emb / np.linalg.norm(emb, axis=1, keepdims=True))
    swap = {"a": "b", "b": "c", "c": "a"}
    wrong = (silver[0], [swap[lab] for lab in silver[1]])
    seeds = [0, 1, 2]
    right = linear_student_check(gold, silver, test, ["a", "b", "c"], seeds, known)
    bad = linear_student_check(gold, wrong, test, ["a", "b", "c"], seeds, known)
    assert set(right) == set(bad) == set(LINEAR_STUDENTS)
    for name in LINEAR_STUDENTS:
        assert right[name].n_train_a == [12] * 3 and right[name].n_train_b == [42] * 3
        assert right[name].diff.mean() > 20, (name, right[name])
        assert bad[name].diff.mean() < -10, (name, bad[name])
        assert right[name].a == bad[name].a  # arm a: the same gold samples
        assert right[name].all_gold_diff > 20 and bad[name].all_gold_diff < -10, name


def test_all_of_gold_is_the_users_student_not_a_resample():
    """The 'all of gold' figure trains on every gold row once: a gold word seen in one row only
    is learnt there (a bootstrap sample drops ~37 % of the rows), and the figure is the same for
    any seeds."""
    import numpy as np

    from augment.classification.downstream import KnownEmbeddings, linear_student_check
    from train.tasks.baselines import tfidf_baseline
    from train.tasks.columns import TaskData
    from train.tasks.single import SingleLabelTask

    rng = np.random.default_rng(1)
    words = {lab: [f"{lab}{i}" for i in range(30)] for lab in ("a", "b")}
    gold = _topic_posts(rng, words, 3, 0, 30)  # at most 12 of a label's 30 words
    silver = _topic_posts(rng, words, 5, 0, 30)
    test = _topic_posts(rng, words, 20, 0, 30)
    texts = sorted({*gold[0], *silver[0], *test[0]})
    known = KnownEmbeddings(texts, rng.normal(size=(len(texts), 8)))
    first = linear_student_check(gold, silver, test, ["a", "b"], [0, 1], known)["tfidf"]
    other = linear_student_check(gold, silver, test, ["a", "b"], [5, 6], known)["tfidf"]
    assert first.all_gold == other.all_gold and first.a != other.a
    assert first.all_gold[0] > max(first.a + other.a)  # every gold word, not a resample's
    task = SingleLabelTask(labels=("a", "b"))
    train = datasets.Dataset.from_dict({"text": gold[0], "label": gold[1]})
    test_ds = datasets.Dataset.from_dict({"text": test[0], "label": test[1]})
    data = TaskData(task.fit(train, file="gold"), train, test_ds.select([]), test_ds, "gold")
    expected = 100 * tfidf_baseline(data, seed=0).metrics["macro_f1"]
    assert first.all_gold[0] == expected
