import pytest

from schemas.type_mentions import find_type_mentions, mask_type_mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("As an INFJ I plan ahead.", "As an [TYPE] I plan ahead."),
        ("infjs and ENTP's ideas", "[TYPE] and [TYPE] ideas"),
        ("my Fi-dom heart and dom Ti", "my [TYPE] heart and [TYPE]"),
        ("INxJ types", "[TYPE] types"),
        ("INFJ/INTP friends", "[TYPE]/[TYPE] friends"),
        ("인프피는 조용하다", "[TYPE]는 조용하다"),
    ],
)
def test_masks_type_mentions(text, expected):
    assert mask_type_mentions(text).text == expected


def test_counts_masked_mentions():
    result = mask_type_mentions("INFJ, ENTP and Ne-dom")
    assert result.n_masked == 3
    assert find_type_mentions("INFJ, ENTP and Ne-dom") == ["INFJ", "ENTP", "Ne-dom"]


@pytest.mark.parametrize(
    "text", ["Fine, nice ties into the next exp.", "The sea is near.", "XXXX exxp", "Intake"]
)
def test_ordinary_words_are_left_alone(text):
    assert mask_type_mentions(text).n_masked == 0
