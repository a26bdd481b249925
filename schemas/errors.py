"""The one error type that every command turns into a one-line message and exit code 2."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad user input: names the file, row and field when they are known.

    ``str(err)`` is the single line a CLI prints, e.g.
    ``posts.csv: row 17: field 'label': unknown label 'ISXJ'``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        parts.append(" ".join(self.message.split()))
        return ": ".join(parts)

    def at(self, *, file=None, row=None, field=None) -> InputError:
        """Return a copy with location details filled in where still missing."""
        return InputError(
            self.message,
            file=self.file or file,
            row=self.row if self.row is not None else row,
            field=self.field or field,
        )
