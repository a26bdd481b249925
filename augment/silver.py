"""``augment silver``: balance labels with silver posts (classification mode), or STS scores
with silver pairs (``--pairs``: ``augment pairs`` with its default pair options)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from augment.classification.config import BalanceConfig
from augment.common.options import SilverBase
from augment.pairs.options import PairConfig
from schemas.errors import InputError
from schemas.options import option


@dataclass(kw_only=True)
class SilverConfig(BalanceConfig):
    """``augment silver``'s options: classification mode, or pair mode with ``--pairs``."""

    pairs: bool = option(
        False,
        flag="--pairs",
        help="AugSBERT pair mode (STS gold pairs) with its default options: `augment pairs` "
        "takes them all.",
    )

    def pair_config(self) -> PairConfig:
        """``augment pairs``'s options: these shared ones, pair mode's defaults."""
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(SilverBase)}
        return PairConfig(**shared)


def command(cfg: SilverConfig) -> None:
    """Add confident silver examples found by semantic search and labelled by a teacher."""
    from schemas.io import check_output_dir

    check_output_dir(cfg.out, overwrite=cfg.overwrite)
    if cfg.pairs:
        from augment.pairs.run import command as pairs_command

        pairs_command(cfg.pair_config())
        return
    if cfg.pool is None:
        raise InputError("--pool is required in classification mode (or pass --pairs)")
    from augment.classification.command import command as classification_command

    classification_command(cfg)
