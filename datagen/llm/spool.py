"""Finished records kept on disk, not in memory: a run of any size holds only a chunk at once.

:class:`RecordSpool` is what :class:`~datagen.llm.solve.RunResult` carries as ``records``: a
read-only sequence (``len``, indexing, iteration, ``==`` with a list) over JSON lines in an
anonymous temporary file, appended in chunks of :data:`CHUNK` records. JSON keeps every value a
record holds (strings, numbers, lists, dicts, null) exactly, so the data set written from it is
the one written from a list.
"""

from __future__ import annotations

import json
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

CHUNK = 2000
READ_BLOCK = 1 << 20


class RecordSpool(Sequence[dict[str, Any]]):
    """Records in input order, spooled to a temporary file (removed when the spool is freed)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the spool lives
        self._offsets = array("q")
        self._size = 0
        self._buffer: list[bytes] = []

    def extend(self, records: Iterable[dict[str, Any]]) -> None:
        """Append records; every :data:`CHUNK` of them are written to disk in one go."""
        for record in records:
            line = json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
            self._offsets.append(self._size)
            self._size += len(line)
            self._buffer.append(line)
        if len(self._buffer) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._file.seek(0, os.SEEK_END)
            self._file.writelines(self._buffer)
            self._file.flush()
            self._buffer.clear()

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indices, IndexError
        self._flush()
        start = self._offsets[index]
        end = self._offsets[index + 1] if index + 1 < len(self) else self._size
        return json.loads(os.pread(self._file.fileno(), end - start, start))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._flush()
        fd, position, size, rest = self._file.fileno(), 0, self._size, b""
        while position < size:
            block = os.pread(fd, min(READ_BLOCK, size - position), position)
            position += len(block)
            *lines, rest = (rest + block).split(b"\n")
            for line in lines:
                yield json.loads(line)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecordSpool({len(self):,} records)"
