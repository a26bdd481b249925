"""Type contrast for per-type fills (``--type-contrast``): each type's word probabilities at a
blank reweighted by how much more probable the word is under that type than under the
sentence's types on average, ``p_t(w)^(1+a) / mean_t(p_t(w))^a`` (the pointwise mutual
information of type and word, as in PMI and contrastive decoding), so that the fills of a small
model follow the type where its raw distributions move with the type by little. The words stay
the model's own candidates; only their ranking changes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TINY = 1e-12


def contrast_types(
    cells: Sequence[dict[str, float] | None], strength: float
) -> list[dict[str, float] | None]:
    """The word probabilities of one sentence's cells (one per type; ``None``: no logprobs)
    after type contrast of ``strength`` ``a`` (0: as given). A word missing from a cell's
    alternatives counts there at the most it can have: the cell's least probable alternative,
    or the probability its alternatives leave, whichever is smaller. Fewer than two cells with
    probabilities: as given."""
    present = [cell for cell in cells if cell]
    if strength == 0 or len(present) < 2:
        return list(cells)
    unseen = [max(0.0, min(min(cell.values()), 1.0 - sum(cell.values()))) for cell in present]
    words = sorted({word for cell in present for word in cell})
    mean = {
        word: float(np.mean([c.get(word, u) for c, u in zip(present, unseen, strict=True)]))
        for word in words
    }
    return [
        None
        if not cell
        else {
            word: max(p, TINY) ** (1 + strength) / max(mean[word], TINY) ** strength
            for word, p in cell.items()
        }
        for cell in cells
    ]
