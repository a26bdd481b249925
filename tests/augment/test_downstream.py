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
