"""Compressed bytes undone within a bound: gzip (its members one after another), deflate,
Brotli and Zstandard (its frames one after another), as HTTP's Content-Encoding names them.

Each decoder returns (bytes, flag): the bytes None when they would inflate past the limit (never
held whole: a bomb stops about a step past it), the flag ``content-encoding-truncated`` for a
stream that ends early (what it holds is kept) or ``content-encoding-not-applied`` for bytes
that are not so encoded (kept as they are). ``ValueError`` for a stream that breaks midway.
"""

from __future__ import annotations

import zlib

import brotli
import zstandard


def decoded(raw: bytes, coding: str, limit: int) -> tuple[bytes | None, str | None]:
    """``raw`` with ``coding`` (one of ``CODINGS``) undone, at most ``limit`` bytes of it."""
    return _DECODERS[coding](raw, coding, limit)


def _inflated(raw: bytes, coding: str, limit: int) -> tuple[bytes | None, str | None]:
    """(bytes inflated, flag); bytes None past ``limit``."""
    if coding in ("gzip", "x-gzip"):
        if not raw.startswith(b"\x1f\x8b"):
            return raw, "content-encoding-not-applied"
        wbits = 31
    else:  # zlib-wrapped deflate, or raw deflate as some servers send it
        zlib_header = len(raw) > 1 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
        wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
    pieces: list[bytes] = []
    produced = 0
    inflate = zlib.decompressobj(wbits)
    # fed a step at a time: what zlib hands back past a member's end (a copy) stays a step,
    # where a body of many small members had the rest of the body copied at each
    body = memoryview(raw)
    data, at = body[:_INFLATE_STEP], min(len(raw), _INFLATE_STEP)
    while True:
        try:
            piece = inflate.decompress(data, limit + 1 - produced)
        except zlib.error as exc:
            if produced == 0 and coding == "deflate":
                return raw, "content-encoding-not-applied"
            raise ValueError(f"{coding}: {exc}") from None
        pieces.append(piece)
        produced += len(piece)
        if produced > limit:
            return None, None
        if inflate.eof:
            at -= len(inflate.unused_data)
            if wbits == 31 and raw.startswith(b"\x1f\x8b", at):  # concatenated gzip members
                inflate = zlib.decompressobj(wbits)
                data, at = body[at : at + _INFLATE_STEP], min(len(raw), at + _INFLATE_STEP)
                continue
            return b"".join(pieces), None
        data = inflate.unconsumed_tail
        if not data:
            if at == len(raw):
                return b"".join(pieces), "content-encoding-truncated"
            data, at = body[at : at + _INFLATE_STEP], min(len(raw), at + _INFLATE_STEP)


_INFLATE_STEP = 1 << 16


def _unbrotlied(raw: bytes, coding: str, limit: int) -> tuple[bytes | None, str | None]:
    """``_inflated`` for Brotli, which has no magic number: a body whose first bytes do not
    decode is taken as stored decoded under its header, as deflate's is. The bytes after the
    stream's end are not read, as after gzip's; Brotli fails a call that is given any, and
    keeps no output of it, so a step that fails is fed again a byte at a time."""
    found = _brotli_pass(raw, coding, limit, len(raw))
    return _brotli_pass(raw, coding, limit, found) if isinstance(found, int) else found


# Compressed bytes Brotli is given at a call. Its output grows in blocks, and stops growing
# once it is past the limit it is given: a call ends at most one block (16 MiB) past it.
_BROTLI_STEP = 1 << 16


def _brotli_pass(
    raw: bytes, coding: str, limit: int, exact_from: int
) -> tuple[bytes | None, str | None] | int:
    """``_unbrotlied`` fed ``_BROTLI_STEP`` bytes a call before ``exact_from``, one from
    there; or, when a step fails before ``exact_from``, where that step begins."""
    decompressor = brotli.Decompressor()
    pieces: list[bytes] = []
    produced = at = 0
    while at < len(raw):
        size = _BROTLI_STEP if at < exact_from else 1
        try:
            piece = decompressor.process(
                raw[at : at + size], output_buffer_limit=limit + 1 - produced
            )
        except brotli.error as exc:
            if at < exact_from:
                return at
            if produced == 0:
                return raw, "content-encoding-not-applied"
            raise ValueError(f"{coding}: {exc}") from None
        at += size
        pieces.append(piece)
        produced += len(piece)
        if produced > limit:
            return None, None
        if decompressor.is_finished():
            return b"".join(pieces), None
    if produced == 0:
        return raw, "content-encoding-not-applied"
    return b"".join(pieces), "content-encoding-truncated"


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Compressed bytes fed to zstd at a time: Zstandard has no output bound per call, and 256 bytes
# of a stream of zeros can inflate to 8 MiB, so a bomb is caught about that far past the limit.
_ZSTD_STEP = 256
# RFC 9659's bound on the window of an HTTP response (browsers refuse more): a crafted frame's
# window is memory the decoder would reserve.
_ZSTD_WINDOW = 8 << 20


def _unzstded(raw: bytes, coding: str, limit: int) -> tuple[bytes | None, str | None]:
    """``_inflated`` for Zstandard frames, one after another (as gzip members); a skippable
    frame among them gives nothing."""
    if not _zstd_frame_at(raw, 0):
        return raw, "content-encoding-not-applied"
    decoder = zstandard.ZstdDecompressor(max_window_size=_ZSTD_WINDOW)
    frame = decoder.decompressobj()
    body = memoryview(raw)
    pieces: list[bytes] = []
    produced = at = 0
    while at < len(raw):
        step = body[at : at + _ZSTD_STEP]
        at += len(step)
        try:
            piece = frame.decompress(step)
        except zstandard.ZstdError as exc:
            raise ValueError(f"{coding}: {exc}") from None
        pieces.append(piece)
        produced += len(piece)
        if produced > limit:
            return None, None
        if frame.eof:
            at -= len(frame.unused_data)  # the step's bytes past the frame's end
            if not _zstd_frame_at(raw, at):  # what follows the last frame is not read
                return b"".join(pieces), None
            frame = decoder.decompressobj()
    return b"".join(pieces), "content-encoding-truncated"


def _zstd_frame_at(raw: bytes, at: int) -> bool:
    """Whether a Zstandard frame, or a skippable frame (magic 0x184D2A5?), starts at ``at``."""
    if raw.startswith(_ZSTD_MAGIC, at):
        return True
    return raw.startswith(b"\x2a\x4d\x18", at + 1) and raw[at] & 0xF0 == 0x50


_DECODERS = {
    "gzip": _inflated,
    "x-gzip": _inflated,
    "deflate": _inflated,
    "br": _unbrotlied,
    "zstd": _unzstded,
}


CODINGS = frozenset(_DECODERS)
