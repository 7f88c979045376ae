"""Bodies (as token ids) and their quoted words kept out of memory until a pair needs them."""

from __future__ import annotations

import tempfile
from array import array
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")

# Small: rolling a spooled file over to disk copies its whole buffer once more.
_SPOOL_BYTES = 8 << 20


class BlobStore:
    """Append-only store of byte strings in a temporary file (in memory up to 8 MiB).

    Only 16 bytes per blob stay in memory, so holding a corpus costs its signatures, not its
    bodies. Close it to drop the file.
    """

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self._starts = array("q")
        self._sizes = array("q")
        self._end = 0

    def append_bytes(self, data: bytes) -> int:
        self._file.seek(self._end)
        self._file.write(data)
        self._starts.append(self._end)
        self._sizes.append(len(data))
        self._end += len(data)
        return len(self._starts) - 1

    def get_bytes(self, index: int) -> bytes:
        self._file.seek(self._starts[index])
        return self._file.read(self._sizes[index])

    def close(self) -> None:
        self._file.close()


class ArrayStore(BlobStore):
    """A :class:`BlobStore` of equally long ``int32`` arrays stored side by side."""

    def append_arrays(self, *columns: np.ndarray) -> int:
        return self.append_bytes(
            np.stack([np.asarray(c, dtype=np.int32) for c in columns]).tobytes()
        )

    def get_arrays(self, index: int, count: int) -> np.ndarray:
        """The arrays of blob ``index`` as the rows of a ``(count, n)`` array."""
        return np.frombuffer(self.get_bytes(index), dtype=np.int32).reshape(count, -1)


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
