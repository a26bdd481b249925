"""How loud a command is, declared once for every command of datagen, augment and train.

One rule for the two streams: **stdout** carries results a program may read (``train predict``'s
predictions, a ``--dry-run`` estimate, a server's address); **stderr** carries everything about
the run (progress bars, summaries such as "wrote 900 rows to out", notes, warnings, errors).
``-q`` leaves errors only (and the results); ``-v`` adds library info and raw logs. Progress
bars are drawn when stderr is a terminal, never under ``-q``; ``--progress`` forces them (e.g.
into a log file), ``--no-progress`` turns them off.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from schemas.errors import InputError
from schemas.options import option

PANEL = "Console"


@dataclass(kw_only=True)
class ConsoleOptions:
    """``-q``/``-v``/``--progress``: a command's options dataclass inherits them (its own
    ``__post_init__`` calls ``super().__post_init__()``); ``progress`` is a plain bool once
    the options are built."""

    quiet: bool = option(
        False, short="-q", panel=PANEL, help="Errors only (results still go to stdout)."
    )
    verbose: bool = option(
        False, short="-v", panel=PANEL, help="More detail: library info and raw training logs."
    )
    progress: bool | None = option(
        None,
        panel=PANEL,
        help="Progress bars on stderr (default: when stderr is a terminal and without -q).",
    )

    def __post_init__(self) -> None:
        if self.quiet and self.verbose:
            raise InputError("-q/--quiet and -v/--verbose exclude each other", field="--quiet")
        if self.progress is None:
            self.progress = not self.quiet and sys.stderr.isatty()

    def say(self, message: str) -> None:
        """A line about the run (a summary, a note) on stderr, unless ``-q``."""
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)
