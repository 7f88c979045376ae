"""Bodies kept out of memory until a candidate pair needs them again."""

from __future__ import annotations

import tempfile
from array import array
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_SPOOL_BYTES = 64 << 20


class TextStore:
    """Append-only store of texts in a temporary file (in memory up to 64 MiB).

    Only 16 bytes per text stay in memory, so holding a corpus costs its signatures, not its
    bodies. Close it to drop the file.
    """

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self._starts = array("q")
        self._sizes = array("q")
        self._end = 0

    def append(self, text: str) -> int:
        data = text.encode("utf-8")
        self._file.seek(self._end)
        self._file.write(data)
        self._starts.append(self._end)
        self._sizes.append(len(data))
        self._end += len(data)
        return len(self._starts) - 1

    def get(self, index: int) -> str:
        self._file.seek(self._starts[index])
        return self._file.read(self._sizes[index]).decode("utf-8")

    def close(self) -> None:
        self._file.close()


class Lru(Generic[T]):
    """A small least-recently-used cache of ``make(index)``."""

    def __init__(self, make: Callable[[int], T], size: int = 512) -> None:
        self._make = make
        self._size = size
        self._items: OrderedDict[int, T] = OrderedDict()

    def __call__(self, index: int) -> T:
        if index in self._items:
            self._items.move_to_end(index)
            return self._items[index]
        value = self._make(index)
        self._items[index] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value
