"""Label sets: the labels a task knows, and for MBTI the four axes.

MBTI axes are ordered E/I, S/N, T/F, J/P; the bit of an axis is 0 for its first pole and 1
for its second, so ``ISTJ`` <-> ``("I", "S", "T", "J")`` <-> ``[1, 0, 0, 0]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import InputError


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of class labels, parsed case-insensitively."""

    name: str
    labels: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(lab.upper() for lab in self.labels)) != len(self.labels):
            raise ValueError(f"label set {self.name!r} has duplicate labels")
        object.__setattr__(self, "_index", {lab.upper(): i for i, lab in enumerate(self.labels)})

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value.strip().upper() in self._index

    def parse(self, value: object) -> str:
        """Return the canonical label for ``value`` or raise :class:`InputError`."""
        if not isinstance(value, str) or value.strip().upper() not in self._index:
            raise InputError(f"unknown label {value!r} (label set {self.name}: {self._hint()})")
        return self.labels[self._index[value.strip().upper()]]

    def index(self, value: str) -> int:
        """Class id of a label."""
        return self._index[self.parse(value).upper()]

    def _hint(self) -> str:
        shown = ", ".join(self.labels[:8])
        return shown + (", ..." if len(self.labels) > 8 else "")

    @property
    def has_axes(self) -> bool:
        return False


MBTI_AXES: tuple[tuple[str, str], ...] = (("E", "I"), ("S", "N"), ("T", "F"), ("J", "P"))
AXIS_NAMES: tuple[str, ...] = tuple(f"{a}/{b}" for a, b in MBTI_AXES)


class MbtiLabelSet(LabelSet):
    """The 16 MBTI types with their four binary axes."""

    def __init__(self) -> None:
        types = tuple(a + b + c + d for a in "IE" for b in "SN" for c in "TF" for d in "JP")
        super().__init__("mbti", types)

    @property
    def has_axes(self) -> bool:
        return True

    @property
    def axes(self) -> tuple[tuple[str, str], ...]:
        return MBTI_AXES

    @property
    def axis_names(self) -> tuple[str, ...]:
        return AXIS_NAMES

    def parse(self, value: object) -> str:
        if isinstance(value, str) and value.strip().upper() in self._index:
            return value.strip().upper()
        raise InputError(
            f"unknown label {value!r}: an MBTI type is four letters from E/I, S/N, T/F, J/P "
            "(e.g. INFJ)"
        )

    def letters(self, value: str) -> tuple[str, str, str, str]:
        t = self.parse(value)
        return (t[0], t[1], t[2], t[3])

    def to_bits(self, value: str) -> list[int]:
        """``ISTJ`` -> ``[1, 0, 0, 0]`` (1 = second pole of E/I, S/N, T/F, J/P)."""
        t = self.parse(value)
        return [int(letter == pair[1]) for letter, pair in zip(t, MBTI_AXES, strict=True)]

    def from_bits(self, bits: Sequence[int | bool | float]) -> str:
        """Compose a type from four axis bits or probabilities (>= 0.5 means second pole)."""
        if len(bits) != 4:
            raise ValueError(f"expected 4 axis values, got {len(bits)}")
        return "".join(pair[int(float(b) >= 0.5)] for b, pair in zip(bits, MBTI_AXES, strict=True))


MBTI = MbtiLabelSet()


def get_label_set(name_or_labels: str | Iterable[str]) -> LabelSet:
    """``"mbti"`` gives the MBTI set; any other iterable of strings makes a plain label set."""
    if isinstance(name_or_labels, str):
        if name_or_labels.lower() == "mbti":
            return MBTI
        raise InputError(f"unknown label set {name_or_labels!r} (known: mbti, or pass the labels)")
    return LabelSet("custom", tuple(str(x) for x in name_or_labels))


def read_label_file(path: str | Path) -> LabelSet:
    """The label set of ``--labels FILE``: one label a line (blank lines skipped), unique."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError("no such file", file=path, field="--labels") from None
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", file=path, field="--labels") from None
    labels = [line.strip() for line in lines if line.strip()]
    seen: set[str] = set()
    for row, lab in enumerate(labels, start=1):
        if lab.upper() in seen:
            raise InputError(f"label {lab!r} listed twice", file=path, row=row, field="--labels")
        seen.add(lab.upper())
    if len(labels) < 2:
        raise InputError("lists fewer than two labels", file=path, field="--labels")
    return LabelSet(path.stem, tuple(labels))
