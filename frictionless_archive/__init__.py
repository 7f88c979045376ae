"""A frictionless-py plugin, shipped with archive, that reads Parquet through frictionless's loader.

frictionless-py 5.x finds it by itself: it imports every top-level module named
``frictionless_*`` and uses its ``<Name>Plugin`` class (here ``ArchivePlugin``), ahead of its own.

Its own Parquet reader opens the file by path, so the bytes never pass through the loader that
counts and hashes them: a declared ``bytes`` then always fails ("actual is None") and a declared
``hash`` is silently never checked. It also hands list columns over as numpy arrays, which its
own ``array`` type rejects. This reader takes the bytes from the loader (so ``bytes`` and
``hash`` are checked like a CSV file's) and gives lists as lists; everything else is frictionless's
own Parquet-to-rows conversion, unchanged.

It imports only frictionless at load time (pyarrow and numpy when a Parquet file is read) and
nothing from archive, so frictionless works the same wherever this module is found.
"""

from __future__ import annotations

import io
from typing import Any

from frictionless import Plugin
from frictionless.formats.parquet import ParquetControl, ParquetParser
from frictionless.platform import platform
from frictionless.resources import TableResource

_CHUNK = 1 << 20


class LoadedParquetParser(ParquetParser):
    """frictionless's Parquet parser, reading the bytes through the resource's loader."""

    requires_loader = True

    def read_cell_stream_create(self):
        control = ParquetControl.from_dialect(self.resource.dialect)
        table = platform.pyarrow_parquet.read_table(
            io.BytesIO(_all_bytes(self.loader.byte_stream)),
            columns=control.columns,
            filters=control.filters or None,
        )
        frame = table.to_pandas(categories=control.categories or None, integer_object_nulls=True)
        ndarray = platform.numpy.ndarray
        with TableResource(data=frame, format="pandas") as resource:
            for cells in resource.cell_stream:
                yield [_plain(cell, ndarray) for cell in cells]


def _all_bytes(stream) -> bytes:
    """Every byte of the stream, read to its end so the loader records the count and hashes."""
    return b"".join(iter(lambda: stream.read1(_CHUNK), b""))


def _plain(value: Any, ndarray: type) -> Any:
    """The value with numpy arrays (lists, also inside structs) as Python lists."""
    if isinstance(value, ndarray | list | tuple):
        return [_plain(v, ndarray) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, ndarray) for k, v in value.items()}
    return value


class ArchivePlugin(Plugin):
    """Parquet resources are read by :class:`LoadedParquetParser`."""

    def create_parser(self, resource):
        if resource.format in ("parq", "parquet"):
            return LoadedParquetParser(resource)
        return None
