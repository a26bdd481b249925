import pytest

from schemas.errors import InputError
from schemas.labels import MBTI, get_label_set


def test_mbti_has_16_types_and_4_axes():
    assert len(MBTI) == 16
    assert MBTI.axis_names == ("E/I", "S/N", "T/F", "J/P")
    assert MBTI.has_axes


@pytest.mark.parametrize("raw", ["ISTJ", "istj", " IsTj "])
def test_parse_is_case_insensitive(raw):
    assert MBTI.parse(raw) == "ISTJ"


def test_type_letters_bits_round_trip():
    assert MBTI.letters("ISTJ") == ("I", "S", "T", "J")
    assert MBTI.to_bits("ISTJ") == [1, 0, 0, 0]
    assert MBTI.to_bits("ENFP") == [0, 1, 1, 1]
    for t in MBTI.labels:
        assert MBTI.from_bits(MBTI.to_bits(t)) == t


def test_from_bits_accepts_probabilities():
    assert MBTI.from_bits([0.9, 0.2, 0.5, 0.49]) == "ISFJ"


@pytest.mark.parametrize("bad", ["ISXJ", "XYZ", "", None, 3, "INFJP"])
def test_malformed_labels_are_clear_errors(bad):
    with pytest.raises(InputError, match="unknown label"):
        MBTI.parse(bad)


def test_custom_label_set_and_index():
    ls = get_label_set(["negative", "neutral", "positive"])
    assert ls.parse("Positive") == "positive"
    assert ls.index("neutral") == 1
    assert not ls.has_axes
    with pytest.raises(InputError):
        ls.parse("mixed")
    with pytest.raises(InputError):
        get_label_set("emotions")
