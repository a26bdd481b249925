"""Data contracts: label sets, record models, dataset features, IO and manifests."""

from schemas.errors import InputError
from schemas.labels import MBTI, LabelSet, MbtiLabelSet, get_label_set
from schemas.type_mentions import mask_type_mentions

__all__ = ["MBTI", "InputError", "LabelSet", "MbtiLabelSet", "get_label_set", "mask_type_mentions"]
