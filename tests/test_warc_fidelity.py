"""WARC/ARC read as warcio and FastWARC read them (issue 16), within bounds (issue 18).

Quirk fixtures are written at test time with warcio's writer (or byte by byte where the writer
will not make the quirk); the real samples in tests/data/warc are public test files of warcio and
resiliparse (see PROVENANCE.md there). Golden values come from warcio reading the same bytes.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import re
import shutil
import zlib
from base64 import b32encode
from pathlib import Path

import brotli
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import CREATED, bounded
from hypothesis import given
from hypothesis import strategies as st
from warcdata import (
    LIGHTHOUSE,
    ORCHARD,
    RIVERTOWN,
    WARC_DATE,
    Spec,
    gzip_bomb,
    raw_response,
    record_id,
    render_html,
    render_text,
    sha1_digest,
    warc_bytes,
)
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.warcwriter import WARCWriter

from archive import PackSettings, pack, verify
from archive.capture.warc import (
    WarcDamage,
    WarcPayload,
    WarcSkipped,
    _dechunked,
    _Inflating,
    iter_warc,
    split_points,
)
from archive.errors import NoSpaceError
from archive.format.codings import _inflated, _unbrotlied, _unzstded

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).parent / "data" / "warc"
HTML_CT = (("Content-Type", "text/html; charset=utf-8"),)
PAGE = render_html(LIGHTHOUSE)


def write(path: Path, parts: list[bytes]) -> Path:
    path.write_bytes(b"".join(parts))
    return path


def warcio_payloads(path: Path) -> dict[str, bytes]:
    """Record id -> payload as warcio reads it (chunking and Content-Encoding undone)."""
    out = {}
    with open(path, "rb") as stream:
        try:
            for record in WarcioIterator(stream):
                if record.rec_type in ("response", "resource"):
                    out[record.rec_headers.get_header("WARC-Record-ID")] = (
                        record.content_stream().read()
                    )
        except Exception:  # warcio stops at what it cannot read; what it read still counts
            pass
    return out


def payloads(path: Path, **options) -> dict[str, WarcPayload]:
    return {i.warc_record_id: i for i in iter_warc(path, **options) if isinstance(i, WarcPayload)}


# --- issue 16: what warcio reads, archive reads -------------------------------------------------


def test_a_body_stored_dechunked_under_a_chunked_header_is_read_as_warcio_reads_it(tmp_path):
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=PAGE,
                headers=HTML_CT + (("Transfer-Encoding", "chunked"),))  # fmt: skip
    path = write(tmp_path / "dechunked.warc.gz", warc_bytes([spec], gz=True))
    (item,) = iter_warc(path)
    assert item.payload == PAGE == warcio_payloads(path)[record_id(0)]
    assert "transfer-encoding-not-applied" in item.flags and item.digest_ok is True


@pytest.mark.parametrize("eol", [b"\n", b"\r\r\n"])
def test_header_lines_ending_lf_or_cr_cr_lf_are_read(tmp_path, eol):
    http = eol.join([b"HTTP/1.1 200 OK", b"Content-Type: text/html; charset=utf-8", b"", b""])
    parts = [raw_response(LIGHTHOUSE.url, http, PAGE, n, eol=eol) for n in range(3)]
    path = write(tmp_path / "eol.warc", parts)
    found = payloads(path)
    assert sorted(found) == [record_id(n) for n in range(3)]
    assert all(i.payload == PAGE and i.content_type == "text/html" for i in found.values())
    assert not [i for i in iter_warc(path) if isinstance(i, WarcDamage)]
    gz = write(tmp_path / "eol.warc.gz", [gzip.compress(p, mtime=0) for p in parts])
    assert sorted(payloads(gz)) == sorted(found)


def test_lf_only_http_heads_as_clueweb_wrote_them_are_pages_not_non_html(tmp_path):
    http = b"HTTP/1.1 200 OK\nContent-Type: text/html\nServer: x\n\n"
    path = write(tmp_path / "clueweb.warc", [raw_response(LIGHTHOUSE.url, http, PAGE, 0)])
    (item,) = iter_warc(path)
    assert isinstance(item, WarcPayload) and item.payload == PAGE and item.http_status == 200


INTERIM_100 = b"HTTP/1.1 100 Continue\r\n\r\n"
INTERIM_103 = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
FINAL_200 = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"


@pytest.mark.parametrize(
    "interim", [INTERIM_100, INTERIM_103, INTERIM_100 + INTERIM_103, b"HTTP/1.0 102 Processing\n\n"]
)
def test_interim_responses_before_the_final_one_are_read_past(tmp_path, interim):
    """A server may answer 100 Continue (or 102, 103) before the page; the WARC response
    block then holds both, and the page is the final response's, checked against its digest."""
    digest = (("WARC-Payload-Digest", sha1_digest(PAGE)),)
    part = raw_response(LIGHTHOUSE.url, interim + FINAL_200, PAGE, 0, extra=digest)
    (item,) = iter_warc(write(tmp_path / "continue.warc", [part]))
    assert isinstance(item, WarcPayload) and item.payload == PAGE
    assert (item.http_status, item.content_type, item.charset) == (200, "text/html", "utf-8")
    assert (item.digest_ok, item.digest_kind) == (True, "payload")
    assert item.flags == ("http-interim-response",)


def test_a_payload_digest_over_what_follows_the_first_head_holds_too(tmp_path):
    """warcio's writer (and FastWARC's check) take everything after the first head as the
    payload, the final head included; the final response's body is the payload too."""
    block = INTERIM_100 + FINAL_200 + PAGE
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    record = writer.create_warc_record(
        LIGHTHOUSE.url, "response", payload=io.BytesIO(block), length=len(block)
    )
    writer.write_record(record)
    stated = record.rec_headers.get_header("WARC-Payload-Digest")
    assert stated == "sha1:" + b32encode(hashlib.sha1(FINAL_200 + PAGE).digest()).decode()
    (item,) = iter_warc(write(tmp_path / "warcio.warc", [buffer.getvalue()]))
    assert (item.payload, item.digest_ok, item.bad_digests) == (PAGE, True, ())
    wrong = (("WARC-Payload-Digest", sha1_digest(PAGE[1:])),)
    part = raw_response(LIGHTHOUSE.url, INTERIM_100 + FINAL_200, PAGE, 0, extra=wrong)
    (item,) = iter_warc(write(tmp_path / "wrong.warc", [part]))
    assert (item.digest_ok, item.bad_digests) == (False, ("payload",))


def _link_head(size: int) -> bytes:
    """A 103 Early Hints head of exactly ``size`` bytes."""
    head = b"HTTP/1.1 103 Early Hints\r\n"
    line = b"Link: </asset-00000.css>; rel=preload; as=style\r\n"
    head += line * ((size - len(head) - 2) // len(line))
    return head + b"X: " + b"a" * (size - len(head) - 7) + b"\r\n\r\n"


@pytest.mark.parametrize(
    "heads",
    [
        # the final head runs past the first 64 KiB read
        _link_head(60_000)
        + FINAL_200.replace(b"\r\n\r\n", b"\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n"),
        _link_head(65_536) + FINAL_200,  # the interim head ends where the first read does
        _link_head(100_000) + FINAL_200,  # one interim head longer than that read
    ],
)
def test_interim_heads_past_the_first_read_are_read_whole(tmp_path, heads):
    (item,) = iter_warc(
        write(tmp_path / "long.warc", [raw_response(LIGHTHOUSE.url, heads, PAGE, 0)])
    )
    assert isinstance(item, WarcPayload) and item.payload == PAGE
    assert (item.http_status, item.content_type, item.flags) == (
        200,
        "text/html",
        ("http-interim-response",),
    )


@pytest.mark.parametrize(
    ("head", "detail"),
    [
        (INTERIM_100 + b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n", "404"),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n" + FINAL_200, "101"),
        (INTERIM_100, "100"),  # nothing after it: the interim response is all there is
    ],
)
def test_the_final_status_decides_and_101_is_no_interim_response(tmp_path, head, detail):
    part = raw_response(LIGHTHOUSE.url, head, PAGE if head != INTERIM_100 else b"", 0)
    (item,) = iter_warc(write(tmp_path / "status.warc", [part]))
    assert isinstance(item, WarcSkipped) and (item.kind, item.detail) == ("error-status", detail)


def test_a_pack_keeps_the_page_after_a_100_continue(tmp_path):
    (tmp_path / "captures").mkdir()
    parts = [raw_response(LIGHTHOUSE.url, INTERIM_100 + FINAL_200, PAGE, 0),
             raw_response(ORCHARD.url, FINAL_200, render_html(ORCHARD), 1)]  # fmt: skip
    write(tmp_path / "captures" / "continue.warc.gz", [gzip.compress(p, mtime=0) for p in parts])
    settings = PackSettings("continue", "1.0.0", CREATED, relations=False)
    release = pack([tmp_path / "captures"], tmp_path / "dist", settings).path
    rows = pq.read_table(release / "data", columns=["capture", "flags", "title"]).to_pylist()
    got = {row["capture"]["url"]: row for row in rows}
    assert sorted(got) == sorted([LIGHTHOUSE.url, ORCHARD.url])
    assert got[LIGHTHOUSE.url]["title"] == LIGHTHOUSE.title
    assert got[LIGHTHOUSE.url]["capture"]["http_status"] == 200
    assert "http-interim-response" in got[LIGHTHOUSE.url]["flags"]
    assert "http-interim-response" not in got[ORCHARD.url]["flags"]
    assert verify(release).ok


def _folded_length(part: bytes) -> bytes:
    """``part`` with its WARC Content-Length folded onto a second line (WARC 1.0's LWS)."""
    head, sep, rest = part.partition(b"\r\n\r\n")
    lines = [
        b"Content-Length:\r\n\t" + line.split(b":", 1)[1].strip()
        if line.lower().startswith(b"content-length:") else line
        for line in head.split(b"\r\n")
    ]  # fmt: skip
    return b"\r\n".join(lines) + sep + rest


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("quirk", ["lower-case version", "folded length, last", "folded length"])
def test_version_lines_in_lower_case_and_folded_lengths_are_read_as_warcio_reads_them(
    tmp_path, gz, quirk
):
    """The WARC grammar's strings match in either case, and WARC 1.0 lets a field go on to a
    line starting with white space: no record is lost to either."""
    specs = [Spec("payload", "response", a.url, headers=HTML_CT, payload=render_html(a))
             for a in (LIGHTHOUSE, ORCHARD, RIVERTOWN)]  # fmt: skip
    parts = warc_bytes(specs, gz=False)
    changed = 2 if quirk == "folded length, last" else 1
    if quirk == "lower-case version":
        parts[changed] = parts[changed].replace(b"WARC/1.1\r\n", b"warc/1.1\r\n", 1)
    else:
        parts[changed] = _folded_length(parts[changed])
    path = write(tmp_path / ("quirk.warc.gz" if gz else "quirk.warc"),
                 [gzip.compress(p, mtime=0) for p in parts] if gz else parts)  # fmt: skip
    items = list(iter_warc(path))
    assert [type(i) for i in items] == [WarcPayload] * 3
    assert all(i.flags == () and i.digest_ok is not False for i in items)
    pages = {record_id(n): render_html(a) for n, a in enumerate((LIGHTHOUSE, ORCHARD, RIVERTOWN))}
    assert {i.warc_record_id: i.payload for i in items} == pages == warcio_payloads(path)


def test_a_gzip_body_missing_its_trailer_is_decoded_and_flagged(tmp_path):
    body = gzip.compress(PAGE, mtime=0)[:-8]  # CRC32 and ISIZE gone
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=body,
                headers=HTML_CT + (("Content-Encoding", "gzip"),))  # fmt: skip
    path = write(tmp_path / "trailer.warc.gz", warc_bytes([spec], gz=True))
    (item,) = iter_warc(path)
    assert item.payload == PAGE == warcio_payloads(path)[record_id(0)]
    assert item.flags == ("content-encoding-truncated",)


def test_a_gzip_header_over_a_body_stored_inflated_keeps_the_body(tmp_path):
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=PAGE,
                headers=HTML_CT + (("Content-Encoding", "gzip"),))  # fmt: skip
    path = write(tmp_path / "inflated.warc", warc_bytes([spec], gz=False))
    (item,) = iter_warc(path)
    assert item.payload == PAGE == warcio_payloads(path)[record_id(0)]
    assert item.flags == ("content-encoding-not-applied",)


# Codings browsers ask for beside gzip, each with the library that writes it (the golden value is
# the page itself: warcio 1.7 cannot read br beside brotli 1.2, whose decompressor takes no
# attribute of warcio's, and reads no zstd).
CODINGS = {"br": brotli.compress, "zstd": zstandard.ZstdCompressor().compress}


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_a_brotli_or_zstd_body_is_decoded(tmp_path, coding):
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=CODINGS[coding](PAGE),
                headers=HTML_CT + (("Content-Encoding", coding),))  # fmt: skip
    path = write(tmp_path / f"{coding}.warc.gz", warc_bytes([spec], gz=True))
    (item,) = iter_warc(path)
    assert item.payload == PAGE
    assert item.flags == () and item.digest_ok is True


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_a_brotli_or_zstd_body_cut_short_gives_what_it_holds_and_is_flagged(tmp_path, coding):
    # past a zstd block (128 KiB), which decodes whole or not at all
    filler = b"".join(hashlib.sha256(b"%d" % n).hexdigest().encode() for n in range(6000))
    page = render_html(ORCHARD) + filler
    body = CODINGS[coding](page)
    spec = Spec("payload", "response", ORCHARD.url, payload=body[: len(body) * 2 // 3],
                headers=HTML_CT + (("Content-Encoding", coding),))  # fmt: skip
    path = write(tmp_path / f"{coding}-cut.warc", warc_bytes([spec], gz=False))
    (item,) = iter_warc(path)
    assert item.flags == ("content-encoding-truncated",)
    assert 0 < len(item.payload) < len(page) and page.startswith(item.payload)


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_a_brotli_or_zstd_header_over_a_body_stored_decoded_keeps_the_body(tmp_path, coding):
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=PAGE,
                headers=HTML_CT + (("Content-Encoding", coding),))  # fmt: skip
    path = write(tmp_path / f"{coding}-decoded.warc", warc_bytes([spec], gz=False))
    (item,) = iter_warc(path)
    assert item.payload == PAGE
    assert item.flags == ("content-encoding-not-applied",)


def test_zstd_frames_one_after_another_are_one_body_and_what_follows_is_not_read():
    frames = CODINGS["zstd"](PAGE[:1000]) + CODINGS["zstd"](PAGE[1000:])
    assert _unzstded(frames, "zstd", 1 << 20) == (PAGE, None)
    assert _unzstded(frames + b"\r\n", "zstd", 1 << 20) == (PAGE, None)
    skippable = (0x184D2A53).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"abc"
    split = CODINGS["zstd"](PAGE[:1000]) + skippable + CODINGS["zstd"](PAGE[1000:])
    assert _unzstded(split, "zstd", 1 << 20) == (PAGE, None)
    assert _unzstded(skippable + frames, "zstd", 1 << 20) == (PAGE, None)


def test_a_brotli_stream_followed_by_other_bytes_is_the_stream():
    """Brotli refuses a call given bytes past the stream's end, keeping nothing of it: the
    page is the stream, as gzip's is its members, not the compressed bytes as stored."""
    body = CODINGS["br"](PAGE)
    assert _unbrotlied(body + b"\r\n", "br", 1 << 20) == (PAGE, None)
    assert _unbrotlied(body + b"\r\n" * 40_000, "br", 1 << 20) == (PAGE, None)  # past a step
    damaged = body[: len(body) // 2] + bytes(64) + body[len(body) // 2 + 64 :]
    with pytest.raises(ValueError, match="^br: "):
        _unbrotlied(damaged, "br", 1 << 20)


@pytest.mark.parametrize("coding", ["gzip", "zstd"])
def test_thousands_of_empty_members_or_frames_are_read_in_linear_time(coding):
    """Each member's or frame's rest was copied once: 6.4 MB of empty gzip members took 27 s,
    3.2 MB of zstd frames longer (a body may hold 256 MiB)."""
    out = bounded(f"""
        import gzip, zstandard
        from archive.format.codings import _inflated, _unzstded
        if {coding!r} == "gzip":
            body, decode = gzip.compress(b"", mtime=0) * 320_000, _inflated
        else:
            body, decode = zstandard.ZstdCompressor().compress(b"") * 360_000, _unzstded
        print(len(body), decode(body, {coding!r}, 1 << 20))
    """, seconds=10)  # fmt: skip
    assert out.strip() == ("3240000" if coding == "zstd" else "6400000") + " (b'', None)"


def test_a_zstd_frame_asking_for_a_window_past_http_s_is_refused():
    """RFC 9659 bounds it at 8 MiB; this one asks for 128 MiB of memory to decode."""
    params = zstandard.ZstdCompressionParameters.from_level(
        3, window_log=27, write_content_size=False
    )
    packer = zstandard.ZstdCompressor(compression_params=params).compressobj()
    body = packer.compress(PAGE) + packer.flush()
    with pytest.raises(ValueError, match="too much memory"):
        _unzstded(body, "zstd", 1 << 30)


def test_an_encoding_still_unknown_is_an_undecodable_record_that_names_it(tmp_path):
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=PAGE,
                headers=HTML_CT + (("Content-Encoding", "compress"),))  # fmt: skip
    path = write(tmp_path / "lzw.warc", warc_bytes([spec], gz=False))
    (item,) = iter_warc(path)
    assert isinstance(item, WarcSkipped) and item.kind == "undecodable"  # a pack quarantines it
    assert item.detail == "unsupported Content-Encoding 'compress'"


CREATED_TEXT = CREATED.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_a_brotli_or_zstd_page_packs_to_the_row_its_plain_copy_gives(tmp_path, runner, coding):
    """End to end (``archive pack``, then ``verify``): the page sent encoded and the same page
    sent plain make one row but for the capture struct (its WARC payload digest, of the bytes
    as sent) and the derivation hashed from it."""
    from archive.cli import main

    for name, body, headers in (
        ("plain", PAGE, HTML_CT),
        (coding, CODINGS[coding](PAGE), HTML_CT + (("Content-Encoding", coding),)),
    ):
        root = tmp_path / name / "captures"
        root.mkdir(parents=True)
        spec = Spec("payload", "response", LIGHTHOUSE.url, payload=body, headers=headers)
        write(root / "crawl.warc.gz", warc_bytes([spec], gz=True))
        args = ["pack", str(root), "--out", str(tmp_path / name / "dist"), "--name", "enc",
                "--version", "1.0.0", "--created", CREATED_TEXT, "--no-relations"]  # fmt: skip
        packed = runner.invoke(main, args)
        assert packed.exit_code == 0, packed.output
        checked = runner.invoke(main, ["verify", packed.stdout.strip()])
        assert checked.exit_code == 0, checked.output
    plain, encoded = (
        pq.read_table(tmp_path / name / "dist" / "enc-1.0.0" / "data").to_pylist()
        for name in ("plain", coding)
    )
    assert len(plain) == len(encoded) == 1
    assert encoded[0]["text"] and "Tarrow Point" in encoded[0]["title"]
    differ = {k for k in plain[0] if plain[0][k] != encoded[0][k]}
    assert differ == {"capture", "derivation_sha256"}, differ
    assert plain[0]["capture"]["payload_digest"] != encoded[0]["capture"]["payload_digest"]


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_brotli_and_zstd_are_inflated_only_up_to_the_limit(coding):
    """A bomb: 2 GiB of zeros in under 400 kB, inflated under a 1 GiB address space to an 8 MiB
    limit (a decoder that inflated it whole and then looked would run out of memory)."""
    out = bounded(f"""
        import brotli, zstandard
        from archive.format.codings import _unbrotlied, _unzstded
        packer = (brotli.Compressor(quality=1) if {coding!r} == "br"
                  else zstandard.ZstdCompressor(level=1).compressobj())
        piece = bytes(1 << 20)
        parts = [packer.process(piece) if {coding!r} == "br" else packer.compress(piece)
                 for _ in range(2048)]
        bomb = b"".join(parts) + (packer.finish() if {coding!r} == "br" else packer.flush())
        decode = _unbrotlied if {coding!r} == "br" else _unzstded
        print(len(bomb) < 400_000, decode(bomb, {coding!r}, 8 << 20))
    """, seconds=30)  # fmt: skip
    assert out.strip() == "True (None, None)"
    decode = {"br": _unbrotlied, "zstd": _unzstded}[coding]
    assert decode(CODINGS[coding](b"x" * 100), coding, 100) == (b"x" * 100, None)
    assert decode(CODINGS[coding](b"x" * 101), coding, 100) == (None, None)


def test_digests_are_checked_over_what_each_record_type_covers(tmp_path):
    good = (
        b"<html><head><title>Tide tables</title></head><body><p>High water 06:12.</p></body></html>"
    )
    resource = Spec("payload", "resource", "https://www.harbourlight-gazette.org/tides.html",
                    payload=good)  # fmt: skip
    request = Spec("request", "request", LIGHTHOUSE.url, payload=b"GET / HTTP/1.1\r\n\r\n",
                   extra_warc=(("WARC-Block-Digest", sha1_digest(b"not this")),))  # fmt: skip
    path = write(tmp_path / "digests.warc", warc_bytes([resource, request], gz=False))
    page, req = list(iter_warc(path))
    assert isinstance(page, WarcPayload) and page.payload == good
    assert (page.digest_ok, page.bad_digests) == (True, ())
    assert isinstance(req, WarcSkipped) and req.kind == "request"
    assert req.bad_digests == ("block",) and req.warc_record_id == record_id(1)


def test_a_digest_that_cannot_be_read_is_told_apart_from_no_digest(tmp_path):
    """A payload digest in an unknown algorithm leaves the block digest to check the record;
    when no digest it names can be read, the record says so (payload-digest-unreadable), not
    that it has none (payload-digest-absent)."""
    unknown = (("WARC-Payload-Digest", "md77:ZZZZ"),)
    both = unknown + (("WARC-Block-Digest", "sha1:not-base32-nor-hex"),)
    specs = [
        Spec("payload", "response", LIGHTHOUSE.url, headers=HTML_CT, payload=PAGE,
             extra_warc=unknown),
        Spec("payload", "response", ORCHARD.url, headers=HTML_CT,
             payload=render_html(ORCHARD), extra_warc=both),
    ]  # fmt: skip
    (tmp_path / "captures").mkdir()
    path = write(tmp_path / "captures" / "digests.warc", warc_bytes(specs, gz=False))
    block_checked, nothing_checked = payloads(path).values()
    assert (block_checked.digest_ok, block_checked.digest_kind) == (True, "block")
    assert not block_checked.digest_unreadable
    assert (nothing_checked.digest_ok, nothing_checked.digest_unreadable) == (None, True)
    settings = PackSettings("digests", "1.0.0", CREATED, relations=False)
    release = pack([tmp_path / "captures"], tmp_path / "dist", settings).path
    rows = pq.read_table(release / "data", columns=["capture", "flags"]).to_pylist()
    flags = {row["capture"]["url"]: set(row["flags"]) for row in rows}
    assert not flags[LIGHTHOUSE.url] & {"payload-digest-absent", "payload-digest-unreadable"}
    assert "payload-digest-unreadable" in flags[ORCHARD.url]
    assert "payload-digest-absent" not in flags[ORCHARD.url]


def test_crawler_logs_and_manifests_are_counted_as_metadata_not_packed():
    items = list(iter_warc(SAMPLES / "example-wget-bad-target-uri.warc.gz"))
    crawler = [i for i in items if (i.target_uri or "").startswith("metadata://")]
    assert [i.record_type for i in crawler] == ["metadata", "resource", "resource"]
    assert all(i.kind == "metadata" for i in crawler)
    (page,) = [i for i in items if isinstance(i, WarcPayload)]
    assert page.target_uri == "http://example.com/"  # written <http://example.com/>


def test_angle_bracketed_target_uris_lose_the_brackets(tmp_path):
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    part = raw_response(LIGHTHOUSE.url, http, PAGE, 0).replace(
        LIGHTHOUSE.url.encode(), b"<" + LIGHTHOUSE.url.encode() + b">", 1
    )
    (item,) = iter_warc(write(tmp_path / "angle.warc", [part]))
    assert item.target_uri == LIGHTHOUSE.url


@pytest.mark.parametrize(
    ("body", "kind", "media"),
    [
        (b"  <!DOCTYPE html><html><body><p>Harbour news</p></body></html>", "payload", "text/html"),
        (b"\n<p>A fragment with no html tag</p>", "payload", "text/html"),
        (b"Plain notes about the harbour.\n", "payload", "text/plain"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "non-html", None),
        (b"", "empty", None),
    ],
)
def test_without_a_content_type_the_payload_is_sniffed_as_browsers_do(tmp_path, body, kind, media):
    http = b"HTTP/1.1 200 OK\r\nContent-Type: unknown/unknown\r\n\r\n"
    (item,) = iter_warc(
        write(tmp_path / "sniff.warc", [raw_response("https://x.test/", http, body, 0)])
    )
    assert (item.kind if isinstance(item, WarcSkipped) else "payload") == kind
    if media:
        assert item.content_type == media and "content-type-sniffed" in item.flags


def test_an_lz4_warc_reads_as_its_gzip_twin():
    lz4 = [(type(i).__name__, getattr(i, "warc_record_id", None), getattr(i, "payload", None))
           for i in iter_warc(SAMPLES / "warcfile.warc.lz4")]  # fmt: skip
    gz = [(type(i).__name__, getattr(i, "warc_record_id", None), getattr(i, "payload", None))
          for i in iter_warc(SAMPLES / "warcfile.warc.gz")]  # fmt: skip
    assert lz4 == gz and sum(kind == "WarcPayload" for kind, _, _ in gz) == 16


def test_arc_records_are_known_by_offset_so_packs_repeat():
    first = [
        (i.offset, getattr(i, "warc_record_id", None)) for i in iter_warc(SAMPLES / "example.arc")
    ]
    again = [
        (i.offset, getattr(i, "warc_record_id", None)) for i in iter_warc(SAMPLES / "example.arc")
    ]
    assert first == again and all(rid is None for _, rid in first)


# --- issue 18: bounds ----------------------------------------------------------------------------


def test_b2_a_negative_or_non_hex_chunk_size_ends_dechunking():
    out = bounded("""
        from archive.capture.warc import _dechunked
        for raw in (b'-6\\r\\n' + b'x' * 1000, b'zz\\r\\nab', b'ffffffffffffffffff\\r\\nab'):
            body, flag = _dechunked(raw)
            print(body == raw, flag)
    """, seconds=20)  # fmt: skip
    assert out.split("\n")[:3] == ["True transfer-encoding-not-applied"] * 3
    assert _dechunked(b"4\r\nabcd\r\n-1\r\nxyz") == (b"abcd-1\r\nxyz", "chunked-body-malformed")
    assert _dechunked(b"4\r\nabcd\r\n0\r\n\r\n") == (b"abcd", None)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(1 << 30)  # 1 GiB of zeros, about 1 MB of gzip


def test_b1_nested_compression_is_inflated_only_up_to_the_limit(tmp_path, bomb):
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=bomb,
                headers=HTML_CT + (("Content-Encoding", "gzip"),))  # fmt: skip
    path = write(tmp_path / "bomb.warc.gz", warc_bytes([spec], gz=True))
    assert path.stat().st_size < 20_000
    out = bounded(f"""
        from archive.capture.warc import iter_warc
        (item,) = iter_warc({str(path)!r}, max_bytes=8 << 20)
        print(item.kind, item.size, item.sha256)
    """)  # fmt: skip
    assert out.split() == ["too-large", str(len(bomb)), hashlib.sha256(bomb).hexdigest()]


def test_b1_an_arc_record_is_bounded_too(tmp_path, bomb):
    http = (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(bomb)) + bomb  # fmt: skip
    head = b"1 0 Fictional Crawls\nURL IP-address Archive-date Content-type Archive-length\n"
    filedesc = b"filedesc://bomb.arc 0.0.0.0 20240307100000 text/plain %d\n" % len(head)
    line = b"%s 192.0.2.10 20240307100000 text/html %d\n" % (LIGHTHOUSE.url.encode(), len(http))
    path = write(tmp_path / "bomb.arc", [filedesc + head + b"\n", line + http + b"\n"])
    out = bounded(f"""
        from archive.capture.warc import iter_warc
        items = list(iter_warc({str(path)!r}, max_bytes=8 << 20))
        print(items[-1].kind, items[-1].sha256)
    """)  # fmt: skip
    assert out.split() == ["too-large", hashlib.sha256(bomb).hexdigest()]


def _lying(parts: list[bytes], extra: int) -> list[bytes]:
    """``parts`` with the first record's WARC Content-Length ``extra`` bytes too long."""
    head, sep, rest = parts[0].partition(b"\r\n\r\n")
    name = b"Content-Length: "
    at = head.index(name) + len(name)
    end = head.find(b"\r\n", at) % (len(head) + 1)  # the last line has no CRLF of its own
    head = head[:at] + str(int(head[at:end]) + extra).encode() + head[end:]
    return [head + sep + rest, *parts[1:]]


SPECS3 = [Spec("payload", "response", a.url, headers=HTML_CT, payload=render_html(a))
          for a in (LIGHTHOUSE, ORCHARD, RIVERTOWN)]  # fmt: skip


@pytest.mark.parametrize(("extra", "name"), [(100, "lie.warc"), (-40, "short.warc"),
                                             (10**10, "huge.warc")])  # fmt: skip
def test_b3_a_lying_content_length_loses_no_later_record(tmp_path, extra, name):
    path = write(tmp_path / name, _lying(warc_bytes(SPECS3, gz=False), extra))
    out = bounded(f"""
        import json
        from archive.capture.warc import iter_warc
        items = [(type(i).__name__, getattr(i, 'warc_record_id', None),
                  list(getattr(i, 'flags', ())), len(getattr(i, 'payload', b'')))
                 for i in iter_warc({str(path)!r})]
        print(json.dumps(items))
    """)  # fmt: skip
    items = json.loads(out)
    ids = [rid for kind, rid, _, _ in items if kind == "WarcPayload"]
    assert ids == [record_id(n) for n in range(3)]
    assert items[0][2] == ["warc-content-length-mismatch"] and items[0][3] == len(SPECS3[0].payload)
    assert set(warcio_payloads(path)) <= set(ids)  # at least what warcio recovers


@pytest.mark.parametrize("length", [None, b"", b"many"])
def test_a_last_record_stating_no_length_runs_to_the_end_of_the_file(tmp_path, length):
    """With no Content-Length (or none readable), only the file's end can close the last
    record of a plain file: it is read to there and flagged, where it was called truncated."""
    parts = warc_bytes(SPECS3, gz=False)
    head, sep, rest = parts[2].partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.startswith(b"Content-Length:")]
    if length is not None:
        lines.append(b"Content-Length: " + length)
    parts[2] = b"\r\n".join(lines) + sep + rest
    items = list(iter_warc(write(tmp_path / "nolength.warc", parts)))
    assert [type(i) for i in items] == [WarcPayload] * 3
    assert items[2].payload == SPECS3[2].payload
    assert items[2].flags == ("warc-content-length-mismatch",) and items[2].digest_ok
    cut = write(tmp_path / "cut.warc", [*parts[:2], warc_bytes(SPECS3, gz=False)[2][:-500]])
    assert isinstance(list(iter_warc(cut))[-1], WarcDamage)  # a stated length: cut short


def test_b3_in_a_gzip_file_the_member_bounds_the_lying_record(tmp_path):
    path = write(tmp_path / "lie.warc.gz", _gz(_lying(warc_bytes(SPECS3, gz=False), 100)))
    found = payloads(path)
    assert sorted(found) == [record_id(n) for n in range(3)]
    assert found[record_id(0)].payload == SPECS3[0].payload
    assert found[record_id(0)].flags == ("warc-content-length-mismatch",)
    assert set(warcio_payloads(path)) <= set(found)


def _gz(parts: list[bytes]) -> list[bytes]:
    return [gzip.compress(p, mtime=0) for p in parts]


# --- the real samples, end to end ----------------------------------------------------------------

_CRAWLER_SCHEMES = ("metadata:", "dns:", "filedesc:", "urn:")


def census(path: Path) -> list[tuple[int, str | None, str | None]]:
    """(offset, record id, target URI) of every 2xx HTML or plain-text response, resource or
    conversion record warcio reads in ``path``, not counting the crawler's own records
    (metadata:, dns:, urn:). Computed with warcio alone; an LZ4 file is inflated by fastwarc
    first."""
    data = path.read_bytes()
    if path.name.endswith(".lz4"):
        from fastwarc.stream_io import Lz4Reader

        reader, pieces = Lz4Reader(io.BytesIO(data)), []
        while piece := reader.read(1 << 16):
            pieces.append(piece)
        data = b"".join(pieces)
    found = []
    records = WarcioIterator(io.BytesIO(data), arc2warc=True)
    try:
        for record in records:
            if record.rec_type not in ("response", "resource", "conversion"):
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            http = record.http_headers if record.rec_type == "response" else None
            status = http.get_statuscode() if http is not None else None
            if uri.startswith(_CRAWLER_SCHEMES) or (status and not status.startswith("2")):
                continue
            header = http.get_header("Content-Type") if http is not None else None
            if http is None and record.rec_type != "response":
                header = record.rec_headers.get_header("Content-Type")
            try:
                body = record.content_stream().read()
            except Exception:
                body = b""
            media = (header or "").split(";")[0].strip().lower()
            sniffed = body[:1024].lstrip().lower().startswith((b"<!doctype html", b"<html"))
            if media in ("text/html", "application/xhtml+xml", "text/plain") or (
                not media and sniffed
            ):
                offset = records.get_record_offset()
                found.append((offset, record.rec_headers.get_header("WARC-Record-ID"), uri))
    except Exception:  # warcio stops where it cannot read; the rest is not counted
        pass
    return found


def _inflated_starts(path: Path) -> tuple[list[int], int]:
    """Where each ``WARC/1.`` line begins in the file's inflated bytes (gzip's own reading,
    trailing bytes that are not gzip left out), and where the gzip stream ends in the file."""
    inflate = zlib.decompressobj(31)
    data = path.read_bytes()
    inflated = inflate.decompress(data)
    starts = [m.start() for m in re.finditer(rb"(?:^|(?<=\n))WARC/1\.[01]\r\n", inflated)]
    return starts, len(data) - len(inflate.unused_data)


@pytest.mark.parametrize(
    ("name", "pages"), [("slyrz-test.warc.gz", 10), ("gowarc-corrupted-trailing-bytes.warc.gz", 30)]
)
def test_real_warcs_gzipped_as_one_stream_give_every_record_a_true_offset(tmp_path, name, pages):
    starts, stream_end = _inflated_starts(SAMPLES / name)
    items = list(iter_warc(SAMPLES / name))
    read = [i for i in items if isinstance(i, WarcPayload)]
    assert [i.offset for i in read] == starts and len(read) == pages
    assert all("warc-offset-inflated" in i.flags for i in read)
    damage = [i for i in items if isinstance(i, WarcDamage)]
    if stream_end == (SAMPLES / name).stat().st_size:
        assert damage == []
    else:
        assert [f"from byte {stream_end} are not gzip" in d.message for d in damage] == [True]
    (tmp_path / "crawls").mkdir()
    shutil.copy(SAMPLES / name, tmp_path / "crawls" / name)
    release = pack([tmp_path / "crawls"], tmp_path / "dist", PackSettings("w", "1.0.0", CREATED))
    assert verify(release.path).problems == []
    rows = pq.read_table(release.path / "data", columns=["capture"]).to_pylist()
    assert sorted(r["capture"]["warc_offset"] for r in rows) == starts


@pytest.fixture(scope="module")
def samples_release(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("real") / "samples"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("*.md", ".gitattributes"))
    return pack(
        [root], tmp_path_factory.mktemp("dist"), PackSettings("samples", "1.0.0", CREATED)
    ).path


def test_every_page_warcio_reads_in_the_real_samples_is_a_record_or_quarantined(samples_release):
    rows = pq.read_table(samples_release / "data").to_pylist()
    text = (samples_release / "quarantine.jsonl").read_text(encoding="utf-8")
    quarantined = [json.loads(line) for line in text.splitlines()]
    packed = quarantined_n = 0
    lost = []
    for path in sorted(p for p in SAMPLES.iterdir() if ".warc" in p.name or ".arc" in p.name):
        mine = [r["capture"] for r in rows if r["capture"]["warc_filename"] == path.name]
        q = [e for e in quarantined if e["source_path"] == f"samples/{path.name}"]
        arc = ".arc" in path.name
        for offset, rid, uri in census(path):
            if any(c["url"] == uri if arc else c["warc_record_id"] == rid for c in mine):
                packed += 1
            elif any(e["offset"] is not None and e["offset"] <= offset for e in q):
                quarantined_n += 1
            else:
                lost.append((path.name, offset, uri))
    assert lost == []
    assert packed + quarantined_n >= 70 and packed / (packed + quarantined_n) >= 0.95
    manifest = json.loads((samples_release / "manifest.json").read_bytes())
    assert manifest["warc_records_skipped"]["metadata"] >= 2 + 2 * 16  # wget log+manifest, CC
    bad = {(m["source_path"], m["warc_record_id"]): m for m in manifest["warc_digest_mismatches"]}
    wrong = (
        "samples/example-wrong-chunks.warc.gz",
        "<urn:uuid:80d63307-60af-43e0-903f-574b2f432b7e>",
    )
    assert bad[wrong]["digests"] == ["block"]


# --- properties of the bounded decoders ---------------------------------------------------------


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=8))
def test_chunking_round_trips(pieces):
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    assert _dechunked(chunked) == (b"".join(pieces), None)


@given(st.binary(max_size=2000))
def test_dechunking_any_bytes_never_grows_them(raw):
    body, flag = _dechunked(raw)
    assert len(body) <= len(raw)
    assert flag in (None, "transfer-encoding-not-applied", "chunked-body-malformed",
                    "chunked-body-truncated")  # fmt: skip


@given(st.binary(max_size=5000), st.integers(min_value=0, max_value=6000))
def test_inflating_never_passes_the_limit(data, limit):
    packed = gzip.compress(data, mtime=0)
    inflated, flag = _inflated(packed, "gzip", limit)
    if len(data) > limit:
        assert inflated is None
    else:
        assert (inflated, flag) == (data, None)
    cut, _ = _inflated(packed[:-8], "gzip", limit)  # no trailer: what it holds, still bounded
    assert cut is None or (len(cut) <= limit and data.startswith(cut))


def test_no_record_of_the_real_samples_has_a_charset_for_a_language(samples_release):
    rows = pq.read_table(samples_release / "data").to_pylist()
    # four Common Crawl pages (warcfile.warc.gz and its LZ4 twin) declare the charset as lang
    assert not [r for r in rows if r["language"] in ("utf", "utf-8", "iso")]


def test_a_file_gzipped_as_one_stream_is_read_without_false_damage():
    items = list(iter_warc(SAMPLES / "example-bad-non-chunked.warc.gz"))
    kinds = [type(i).__name__ if isinstance(i, WarcPayload | WarcDamage) else i.kind for i in items]
    assert kinds == ["warcinfo", "warcinfo", "WarcPayload", "request", "revisit", "request"]


def _without_record_id(part: bytes) -> bytes:
    head, sep, rest = part.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.startswith(b"WARC-Record-ID:")]
    return b"\r\n".join(kept) + sep + rest


def _one_stream_parts() -> list[bytes]:
    """Three pages, then two text resources with no WARC-Record-ID (known by offset alone)."""
    pages = warc_bytes(_MEMBER_SPECS, gz=False)
    notes = [raw_response(f"https://tides.example.org/{n}.txt", b"", f"High water {n}.".encode(),
                          10 + n, warc_type="resource", content_type="text/plain")
             for n in range(2)]  # fmt: skip
    return pages + [_without_record_id(part) for part in notes]


def _plain_view(item) -> tuple:
    fields = {k: v for k, v in vars(item).items() if k != "filename"}
    if "flags" in fields:
        fields["flags"] = tuple(f for f in fields["flags"] if f != "warc-offset-inflated")
    return type(item).__name__, fields


def test_a_warc_gzipped_as_one_stream_is_read_inflated_at_offsets_that_locate_its_records(
    tmp_path,
):
    """``gzip crawl.warc`` leaves no member offset to locate a record: each offset counts the
    inflated bytes, as zcat gives them, and records without an id stay apart."""
    parts = _one_stream_parts()
    plain = write(tmp_path / "crawl.warc", parts)
    whole = write(tmp_path / "crawl.warc.gz", [gzip.compress(b"".join(parts), mtime=0)])
    starts = [sum(len(p) for p in parts[:n]) for n in range(len(parts))]
    items = list(iter_warc(whole))
    assert [i.offset for i in items] == starts
    assert all(isinstance(i, WarcPayload) and "warc-offset-inflated" in i.flags for i in items)
    assert [_plain_view(i) for i in items] == [_plain_view(i) for i in iter_warc(plain)]
    assert split_points(whole, 1) == ()
    (tmp_path / "pack").mkdir()
    rows, quarantined, _ = packed(tmp_path / "pack", whole.name, [whole.read_bytes()])
    assert quarantined == []
    assert sorted(r["capture"]["warc_offset"] for r in rows) == starts
    assert all("warc-offset-inflated" in r["flags"] for r in rows)


def _quirked(quirk: str) -> list[bytes]:
    """Three pages, the second written with ``quirk``, as archive's own framing reads it."""
    parts = warc_bytes(_MEMBER_SPECS, gz=False)
    head, sep, rest = parts[1].partition(b"\r\n\r\n")
    if quirk == "lower-case version":
        head = head.replace(b"WARC/1.1", b"warc/1.1", 1)
    elif quirk == "LF-only header lines":
        head = head.replace(b"\r\n", b"\n")
        sep = b"\n\n"
    elif quirk == "folded length":
        head = _folded_length(head + sep)[: -len(sep)]
    elif quirk.startswith("length "):
        at = head.index(b"Content-Length: ") + len(b"Content-Length: ")
        end = head.find(b"\r\n", at) % (len(head) + 1)
        head = head[:at] + str(int(head[at:end]) + int(quirk[7:])).encode() + head[end:]
    parts[1] = head + sep + rest
    return parts


@pytest.mark.parametrize(
    "quirk",
    ["lower-case version", "LF-only header lines", "folded length", "length +6", "length -3"],
)
def test_a_one_stream_gzip_reads_as_its_inflated_bytes_do_quirks_and_all(tmp_path, quirk):
    """Whatever archive's own framing reads in a plain file, it reads in one gzip stream."""
    parts = _quirked(quirk)
    plain = write(tmp_path / "crawl.warc", parts)
    whole = write(tmp_path / "crawl.warc.gz", [gzip.compress(b"".join(parts), mtime=0)])
    items = list(iter_warc(whole))
    assert [_plain_view(i) for i in items] == [_plain_view(i) for i in iter_warc(plain)]
    assert [type(i) for i in items] == [WarcPayload] * 3


def _layouts(raw: bytes) -> dict[str, bytes]:
    """``raw`` (a plain WARC file) gzipped as writers and users lay members out."""
    half = len(raw) // 2
    empty = gzip.compress(b"", mtime=0)
    return {
        "joined by cat": gzip.compress(raw[:half], mtime=0) + gzip.compress(raw[half:], mtime=0),
        "an empty member first": empty + gzip.compress(raw, mtime=0),
        "an empty member last": gzip.compress(raw, mtime=0) + empty,
        "members of 512 bytes": b"".join(
            gzip.compress(raw[at : at + 512], mtime=0) for at in range(0, len(raw), 512)
        ),
        "padded with zeros": gzip.compress(raw, mtime=0) + bytes(40),
    }


@pytest.mark.parametrize("layout", list(_layouts(b"")))
def test_gzip_members_that_do_not_hold_a_record_each_read_as_the_inflated_bytes(tmp_path, layout):
    parts = _one_stream_parts()
    plain = write(tmp_path / "crawl.warc", parts)
    gz = write(tmp_path / "crawl.warc.gz", [_layouts(b"".join(parts))[layout]])
    items = list(iter_warc(gz))
    assert [_plain_view(i) for i in items] == [_plain_view(i) for i in iter_warc(plain)]
    assert len({i.offset for i in items}) == len(parts) and split_points(gz, 1) == ()


def test_a_one_stream_gzip_failing_its_crc_loses_nothing_before_it(tmp_path):
    parts = _one_stream_parts()
    data = bytearray(gzip.compress(b"".join(parts), mtime=0))
    data[-8] ^= 0xFF  # the CRC
    items = list(iter_warc(write(tmp_path / "crc.warc.gz", [bytes(data)])))
    assert [type(i) for i in items] == [WarcPayload] * len(parts) + [WarcDamage]
    assert "fails its CRC or length check" in items[-1].message


def _gzip_gives(data: bytes) -> bytes:
    """What Python's gzip module reads of ``data`` before it fails, 256 bytes at a time."""
    reader, out = gzip.GzipFile(fileobj=io.BytesIO(data)), b""
    try:
        while piece := reader.read(256):
            out += piece
    except (OSError, EOFError, zlib.error):
        pass
    return out


@pytest.mark.parametrize("at", [0.3, 0.5, 0.7, 0.8, 0.9])
def test_a_damaged_one_stream_gzip_reads_as_what_gzip_inflates_before_the_damage(tmp_path, at):
    """Damaged deflate data: every sound record of the bytes gzip's own reading gives before
    it fails is read (and more: gzip's reading drops the last bytes it inflated), then the
    damage is told."""
    data = bytearray(gzip.compress(b"".join(_one_stream_parts()), mtime=0))
    data[int(len(data) * at)] ^= 0xFF
    items = list(iter_warc(write(tmp_path / "damaged.warc.gz", [bytes(data)])))
    given = iter_warc(write(tmp_path / "given.warc", [_gzip_gives(bytes(data))]))
    sound = [_plain_view(i) for i in given if isinstance(i, WarcPayload) and i.digest_ok]
    read = [_plain_view(i) for i in items if isinstance(i, WarcPayload) and i.digest_ok]
    assert read[: len(sound)] == sound
    assert isinstance(items[-1], WarcDamage) and "gzip" in items[-1].message.lower()


def test_a_one_stream_gzip_with_a_first_record_past_16_mib_is_still_read_inflated(tmp_path):
    """The first record is passed by its Content-Length, whatever its size (up to 256 MiB)."""
    big = Spec("non-html", "response", "https://tides.example.org/film.bin",
               headers=(("Content-Type", "application/octet-stream"),),
               payload=bytes(range(256)) * (17 << 12))  # fmt: skip
    parts = warc_bytes([big], gz=False) + _one_stream_parts()
    whole = write(tmp_path / "crawl.warc.gz", [gzip.compress(b"".join(parts), 1, mtime=0)])
    items = list(iter_warc(whole))
    assert [i.offset for i in items] == [sum(len(p) for p in parts[:n]) for n in range(len(parts))]
    assert all("warc-offset-inflated" in i.flags for i in items if isinstance(i, WarcPayload))


def test_a_first_record_quoting_a_warc_line_leaves_a_member_per_record_file_as_it_is(tmp_path):
    """A page about WARC holds a line ``WARC/1.1``: passed by its Content-Length, it is no
    second record, and the file is read by its members (their offsets, in spans)."""
    page = b"<pre>\nWARC/1.1\nWARC-Type: warcinfo\n</pre>"
    quoted = Spec("payload", "response", "https://tides.example.org/warc", headers=HTML_CT,
                  payload=page)  # fmt: skip
    parts = warc_bytes([quoted, *_MEMBER_SPECS], gz=True)
    path = write(tmp_path / "crawl.warc.gz", parts)
    items = list(iter_warc(path))
    assert [i.offset for i in items] == [sum(len(p) for p in parts[:n]) for n in range(4)]
    assert not any("warc-offset-inflated" in i.flags for i in items)
    assert split_points(path, 1) != ()


def test_a_short_first_length_and_a_quoted_warc_line_leave_a_member_per_record_file_as_it_is(
    tmp_path,
):
    """A first record whose Content-Length is short, whose page quotes a WARC line: its member
    is followed by a record, so the file is a member per record, read by its members."""
    page = b"<p>" + b"x" * 300 + b"</p>\nWARC/1.0\r\n<p>" + b"y" * 300 + b"</p>"
    quoted = Spec("payload", "response", "https://tides.example.org/warc", headers=HTML_CT,
                  payload=page)  # fmt: skip
    parts = warc_bytes([quoted, *_MEMBER_SPECS], gz=False)
    parts[0] = _lying([parts[0]], -200)[0]
    members = [gzip.compress(part, mtime=0) for part in parts]
    items = list(iter_warc(write(tmp_path / "crawl.warc.gz", members)))
    assert [i.offset for i in items] == [sum(len(m) for m in members[:n]) for n in range(4)]
    assert items[0].payload == page and "warc-offset-inflated" not in items[0].flags


def test_files_joined_by_cat_whose_first_length_is_short_lose_no_record(tmp_path):
    """``cat``: a first member of two records (the first's Content-Length short), then a
    member each: the second record is found in the first member, and the file read inflated."""
    parts = warc_bytes([*_MEMBER_SPECS, _MEMBER_SPECS[0]], gz=False)
    parts[0] = _lying([parts[0]], -20)[0]
    members = [gzip.compress(parts[0] + parts[1], mtime=0)]
    members += [gzip.compress(part, mtime=0) for part in parts[2:]]
    items = list(iter_warc(write(tmp_path / "joined.warc.gz", members)))
    assert [i.warc_record_id for i in items] == [record_id(n) for n in range(4)]
    assert [i.offset for i in items] == [sum(len(p) for p in parts[:n]) for n in range(4)]


def test_a_damaged_member_gives_all_it_inflates_to_before_the_damage(tmp_path):
    """zlib gives nothing of a step that fails: the step is taken again a byte at a time."""
    first, second = warc_bytes(_MEMBER_SPECS[:2], gz=False)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(first + second[:50]) + deflate.flush(zlib.Z_FULL_FLUSH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    path = write(tmp_path / "damaged.warc.gz", [header + body + b"\x07" + bytes(20)])
    items = list(iter_warc(path))
    assert [type(i) for i in items] == [WarcPayload, WarcDamage]
    assert items[0].payload == _MEMBER_SPECS[0].payload and items[1].offset == len(first)


@pytest.mark.parametrize("at", range(40, 400, 23))
def test_what_a_damaged_member_gives_is_all_zlib_gives_fed_a_byte_at_a_time(tmp_path, at):
    data = bytearray(gzip.compress(b"".join(warc_bytes(_MEMBER_SPECS, gz=False)), mtime=0))
    data[at : at + 4] = b"\xff\xff\xff\xff"
    inflate, most = zlib.decompressobj(-15), bytearray()
    try:
        for n in range(10, len(data)):
            most += inflate.decompress(data[n : n + 1], 1)
            while inflate.unconsumed_tail:
                most += inflate.decompress(inflate.unconsumed_tail, 1)
    except zlib.error:
        pass
    inflating, given = _Inflating(io.BytesIO(bytes(data))), b""
    while piece := inflating.read(300):
        given += piece
    if inflating.error is not None and "inflate" in inflating.error:
        assert given == bytes(most)


def _named_member(data: bytes, name: bytes) -> bytes:
    """``data`` as a gzip member whose header carries a file name (FNAME)."""
    member = gzip.compress(data, mtime=0)
    return member[:3] + b"\x08" + member[4:10] + name + b"\x00" + member[10:]


def test_gzip_headers_longer_than_a_read_padding_and_a_failed_check_lose_no_member(tmp_path):
    """Members with 70,000-byte names, padding between members, and a member that fails its
    CRC amid sound ones: every record is read, the failed check told."""
    parts = _one_stream_parts()
    half = len(parts) // 2
    named = b"".join(_named_member(part, b"n" * 70000) for part in parts)
    assert [i.payload for i in iter_warc(write(tmp_path / "named.warc.gz", [named]))] == [
        i.payload for i in iter_warc(write(tmp_path / "plain.warc", parts))
    ]
    first = bytearray(gzip.compress(b"".join(parts[:half]), mtime=0))
    first[-8] ^= 0xFF
    joined = bytes(first) + b"\r\n" + gzip.compress(b"".join(parts[half:]), mtime=0)
    items = list(iter_warc(write(tmp_path / "joined.warc.gz", [joined])))
    assert [type(i) for i in items] == [WarcPayload] * len(parts) + [WarcDamage]
    assert "at byte 0 fails its CRC" in items[-1].message


def test_a_full_temporary_folder_stops_the_reading_not_quarantines_the_file(tmp_path, monkeypatch):
    class Full(io.BytesIO):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    import archive.capture.warc as warc

    monkeypatch.setattr(warc.tempfile, "TemporaryFile", lambda **_: Full())
    data = gzip.compress(b"".join(_one_stream_parts()), mtime=0)
    with pytest.raises(NoSpaceError):
        list(iter_warc(write(tmp_path / "crawl.warc.gz", [data])))


def test_nul_padding_after_a_last_record_stating_no_length_is_not_its_payload(tmp_path):
    parts = warc_bytes(SPECS3, gz=False)
    head, sep, rest = parts[2].partition(b"\r\n\r\n")
    parts[2] = (
        b"\r\n".join(
            line for line in head.split(b"\r\n") if not line.startswith(b"Content-Length:")
        )
        + sep
        + rest
        + bytes(512)
    )
    items = list(iter_warc(write(tmp_path / "padded.warc", parts)))
    assert items[2].payload == SPECS3[2].payload and items[2].digest_ok


@pytest.mark.parametrize("damage", ["garbage after it", "cut short"])
def test_damage_in_or_after_a_one_stream_gzip_ends_its_reading_once(tmp_path, damage):
    parts = _one_stream_parts()
    data = gzip.compress(b"".join(parts), mtime=0)
    data = data + b"not gzip at all" if damage == "garbage after it" else data[: len(data) * 3 // 4]
    items = list(iter_warc(write(tmp_path / "crawl.warc.gz", [data])))
    damaged = [i for i in items if isinstance(i, WarcDamage)]
    assert len(damaged) == 1 and damaged[-1] is items[-1]
    read = [i for i in items if isinstance(i, WarcPayload)]
    assert [i.offset for i in read] == [sum(len(p) for p in parts[:n]) for n in range(len(read))]
    if damage == "garbage after it":
        assert len(read) == len(parts)
        assert f"from byte {len(data) - 15} are not gzip" in damaged[0].message
    else:
        assert 0 < len(read) < len(parts)


def test_a_pack_quarantines_the_bomb_with_its_hash_and_lists_the_bad_digest(tmp_path):
    root = tmp_path / "crawls"
    root.mkdir()
    bomb = gzip_bomb(32 << 20)
    spec = Spec("payload", "response", LIGHTHOUSE.url, payload=bomb,
                headers=HTML_CT + (("Content-Encoding", "gzip"),))  # fmt: skip
    request = Spec("request", "request", ORCHARD.url, payload=b"GET / HTTP/1.1\r\n\r\n",
                   extra_warc=(("WARC-Block-Digest", sha1_digest(b"not this")),))  # fmt: skip
    page = Spec("payload", "response", ORCHARD.url, headers=HTML_CT, payload=render_html(ORCHARD))
    write(root / "mixed.warc.gz", warc_bytes([spec, request, page], gz=True))
    settings = PackSettings("bomb", "1.0.0", CREATED, max_capture_bytes=1 << 20)
    release = pack([root], tmp_path / "dist", settings).path
    (entry,) = [
        json.loads(line) for line in (release / "quarantine.jsonl").read_text().splitlines()
    ]
    assert (entry["reason"], entry["offset"]) == ("too-large", 0)
    assert (entry["bytes"], entry["sha256"]) == (len(bomb), hashlib.sha256(bomb).hexdigest())
    manifest = json.loads((release / "manifest.json").read_bytes())
    assert manifest["counts"]["records"] == 1
    assert manifest["warc_digest_mismatches"] == [
        {"source_path": "crawls/mixed.warc.gz", "offset": entry["offset"] + len(
            warc_bytes([spec], gz=True)[0]), "warc_record_id": record_id(1),
         "warc_type": "request", "digests": ["block"]}
    ]  # fmt: skip


@pytest.mark.parametrize("fraction", [0.33, 0.5, 0.9, 0.9999])
def test_a_cut_lz4_file_ends_in_damage_and_yields_only_whole_payloads(tmp_path, fraction):
    data = (SAMPLES / "warcfile.warc.lz4").read_bytes()
    cut = write(tmp_path / "cut.warc.lz4", [data[: int(len(data) * fraction)]])
    whole = {i.warc_record_id: i.payload for i in iter_warc(SAMPLES / "warcfile.warc.gz")
             if isinstance(i, WarcPayload)}  # fmt: skip
    items = list(iter_warc(cut))
    assert isinstance(items[-1], WarcDamage)
    assert all(whole[i.warc_record_id] == i.payload for i in items if isinstance(i, WarcPayload))


# --- what becomes a capture: HTML and text pages only, in the pack's own accounting -------------


def packed(tmp_path: Path, name: str, parts: list[bytes]) -> tuple[list, list, dict]:
    """(rows, quarantine entries, manifest) of a release packed from one WARC file of
    ``parts``; the release verifies."""
    root = tmp_path / "crawls"
    root.mkdir()
    write(root / name, parts)
    release = pack([root], tmp_path / "dist", PackSettings("w", "1.0.0", CREATED)).path
    assert verify(release).problems == []
    rows = pq.read_table(release / "data").to_pylist()
    text = (release / "quarantine.jsonl").read_text(encoding="utf-8")
    manifest = json.loads((release / "manifest.json").read_bytes())
    return rows, [json.loads(line) for line in text.splitlines()], manifest


_SCRIPT = (
    b'document.write(\'<div class="panel"><h2>Tide tables</h2><ul><li>High water 06:12</li>'
    b"</ul></div>');\ndocument.write('<p>The ferry to the outer islands leaves at noon.</p>');\n"
)
_NOT_PAGES = {
    "text/javascript": _SCRIPT,
    "text/css": b"body{font-family:Georgia,serif;color:#223}\n.tide p{margin:0 0 1em}\n",
    "text/xml": b"<?xml version='1.0'?><tides><tide at='06:12'>high</tide></tides>\n",
    "text/vtt": b"WEBVTT\n\n00:00.000 --> 00:04.000\nThe harbour master reads the tides.\n",
    "text/csv": b"time,height\n06:12,4.1\n12:30,0.7\n",
}


def test_text_types_other_than_html_and_plain_are_skipped_as_non_html(tmp_path):
    specs = [Spec("non-html", "response", f"https://tides.example.org/asset{n}",
                  headers=(("Content-Type", f"{media}; charset=utf-8"),), payload=body)
             for n, (media, body) in enumerate(_NOT_PAGES.items())]  # fmt: skip
    specs.append(Spec("payload", "response", LIGHTHOUSE.url, headers=HTML_CT, payload=PAGE))
    rows, quarantined, manifest = packed(tmp_path, "assets.warc.gz", warc_bytes(specs, gz=True))
    assert [(r["capture"]["url"], r["media_type"]) for r in rows] == [(LIGHTHOUSE.url, "text/html")]
    assert quarantined == []
    assert manifest["warc_records_skipped"] == {"non-html": len(_NOT_PAGES)}
    skipped = [i for i in iter_warc(tmp_path / "crawls" / "assets.warc.gz")
               if isinstance(i, WarcSkipped)]  # fmt: skip
    assert [(i.kind, i.detail) for i in skipped] == [("non-html", m) for m in _NOT_PAGES]


def test_browsertrix_derived_text_and_page_records_are_crawler_metadata(tmp_path):
    url = LIGHTHOUSE.url
    text = render_text(LIGHTHOUSE).encode("utf-8")
    derived = [
        (f"urn:text:{url}", "text/plain; charset=utf-8", text),
        (f"urn:textFinal:{url}", "text/plain; charset=utf-8", text),
        (f"urn:pageinfo:{url}", "application/json", b'{"url": "%s", "ts": 1}' % url.encode()),
        (f"urn:view:{url}", "text/plain", b"A view of the page.\n"),
    ]
    parts = warc_bytes([Spec("payload", "response", url, headers=HTML_CT, payload=PAGE)], gz=False)
    parts += [raw_response(uri, b"", body, n + 1, warc_type="resource", content_type=ctype)
              for n, (uri, ctype, body) in enumerate(derived)]  # fmt: skip
    rows, quarantined, manifest = packed(tmp_path, "rec-crawl.warc.gz", _gz(parts))
    (row,) = rows
    assert (row["capture"]["url"], row["duplicate_of"]) == (url, None)
    assert quarantined == []
    assert manifest["warc_records_skipped"] == {"metadata": len(derived)}
    skipped = [i for i in iter_warc(tmp_path / "crawls" / "rec-crawl.warc.gz")
               if isinstance(i, WarcSkipped)]  # fmt: skip
    assert [(i.kind, i.target_uri) for i in skipped] == [("metadata", u) for u, _, _ in derived]
    assert all(i.detail == f"resource record of the crawler ({i.target_uri})" for i in skipped)


_MEMBER_SPECS = [
    Spec("payload", "response", page.url, headers=HTML_CT, payload=render_html(page))
    for page in (LIGHTHOUSE, ORCHARD, RIVERTOWN)
]


@pytest.mark.parametrize("shared", [(0, 1), (1, 2)], ids=["first-member", "last-member"])
def test_a_gzip_member_holding_two_records_loses_neither(tmp_path, shared):
    plain = warc_bytes(_MEMBER_SPECS, gz=False)
    together = b"".join(plain[n] for n in shared)
    members = [gzip.compress(p, mtime=0) for n, p in enumerate(plain) if n not in shared]
    members.insert(shared[0], gzip.compress(together, mtime=0))
    rows, quarantined, manifest = packed(tmp_path, "joined.warc.gz", members)
    ids = sorted(r["capture"]["warc_record_id"] for r in rows)
    assert ids == [record_id(n) for n in range(3)]
    assert quarantined == []
    assert manifest["warc_digest_mismatches"] == []
    found = payloads(tmp_path / "crawls" / "joined.warc.gz")
    assert {rid: i.payload for rid, i in found.items()} == {
        record_id(n): s.payload for n, s in enumerate(_MEMBER_SPECS)
    }
    # a first member of two records: the file is read inflated (no member locates the second)
    inflated = ("warc-offset-inflated",) if shared[0] == 0 else ()
    assert all(i.digest_ok and i.flags == inflated for i in found.values())


def test_a_lying_length_after_a_member_holding_two_records_is_still_read_whole(tmp_path):
    """A first member of two records: the file is read inflated, and its last record, whose
    Content-Length is 40 bytes short, runs to the file's end, read whole and flagged."""
    plain = warc_bytes(_MEMBER_SPECS, gz=False)
    at = plain[2].index(b"Content-Length: ") + len(b"Content-Length: ")
    end = plain[2].index(b"\r\n", at)
    plain[2] = plain[2][:at] + str(int(plain[2][at:end]) - 40).encode() + plain[2][end:]
    members = [gzip.compress(plain[0] + plain[1], mtime=0), gzip.compress(plain[2], mtime=0)]
    rows, quarantined, manifest = packed(tmp_path, "lying.warc.gz", members)
    assert quarantined == [] and manifest["warc_digest_mismatches"] == []
    found = payloads(tmp_path / "crawls" / "lying.warc.gz")
    assert found[record_id(2)].payload == _MEMBER_SPECS[2].payload
    assert found[record_id(2)].flags == ("warc-content-length-mismatch", "warc-offset-inflated")
    assert len(rows) == 3


def test_a_page_its_crawler_cut_short_or_stored_in_segments_is_quarantined_not_packed(tmp_path):
    """Half a page published whole would pass for the article: a record its crawler truncated
    (WARC-Truncated) is quarantined as damaged, and a segment of a record stored in several
    (WARC-Segment-Number) as unsupported, each named, its stored bytes hashed."""
    cut = PAGE[: len(PAGE) // 2]
    specs = [
        Spec("skip", "response", ORCHARD.url, headers=HTML_CT, payload=cut,
             extra_warc=(("WARC-Truncated", "length"),)),
        Spec("skip", "response", RIVERTOWN.url, headers=HTML_CT, payload=cut,
             extra_warc=(("WARC-Truncated", "time"),)),
        Spec("skip", "response", "https://tides.example.org/long", headers=HTML_CT, payload=cut,
             extra_warc=(("WARC-Segment-Number", "1"),)),
        Spec("payload", "response", LIGHTHOUSE.url, headers=HTML_CT, payload=PAGE),
    ]  # fmt: skip
    rows, quarantined, _ = packed(tmp_path, "cut.warc.gz", warc_bytes(specs, gz=True))
    assert [r["capture"]["url"] for r in rows] == [LIGHTHOUSE.url]
    ids = [record_id(n) for n in range(3)]
    assert [(q["reason"], q["message"]) for q in quarantined] == [
        ("damaged", f"WARC record {ids[0]}: the crawler stored it cut short (WARC-Truncated: "
                    "length)"),
        ("damaged", f"WARC record {ids[1]}: the crawler stored it cut short (WARC-Truncated: "
                    "time)"),
        ("unsupported", f"WARC record {ids[2]}: segment 1 of a record stored in several "
                        "(WARC-Segment-Number); segments are not joined"),
    ]  # fmt: skip
    assert all(q["sha256"] and q["bytes"] and q["offset"] is not None for q in quarantined)


def test_a_segments_payload_digest_is_of_the_whole_payload_and_is_not_held_against_it(tmp_path):
    """WARC-Payload-Digest on a segmented record is of the payload its segments make together:
    a segment is checked by its block digest alone (as warcio checks it)."""
    half = len(PAGE) // 2
    whole = sha1_digest(PAGE)
    specs = [
        Spec("skip", "response", LIGHTHOUSE.url, headers=HTML_CT, payload=PAGE[:half],
             extra_warc=(("WARC-Segment-Number", "1"), ("WARC-Payload-Digest", whole))),
        Spec("skip", "response", ORCHARD.url, headers=HTML_CT, payload=PAGE[:half],
             extra_warc=(("WARC-Payload-Digest", whole),)),
    ]  # fmt: skip
    path = write(tmp_path / "segments.warc", warc_bytes(specs, gz=False))
    segment, cut = list(iter_warc(path))
    assert (segment.kind, segment.bad_digests) == ("segmented", ())
    assert cut.bad_digests == ("payload",)  # no segment: its digest is its own, and fails
    wrong_block = (("WARC-Segment-Number", "1"), ("WARC-Block-Digest", sha1_digest(b"other")))
    specs[0] = Spec("skip", "response", LIGHTHOUSE.url, headers=HTML_CT, payload=PAGE[:half],
                    extra_warc=wrong_block)  # fmt: skip
    (segment, _) = iter_warc(write(tmp_path / "block.warc", warc_bytes(specs, gz=False)))
    assert segment.bad_digests == ("block",)


def test_a_206_response_holding_part_of_the_page_is_quarantined_and_a_whole_one_packed(tmp_path):
    """A range request's answer is part of the page, unless its Content-Range is all of it."""
    size = len(PAGE)
    part = PAGE[:1024]

    def ranged(uri: str, body: bytes, content_range: str | None) -> Spec:
        extra = (("Content-Range", content_range),) if content_range else ()
        return Spec("payload", "response", uri, status="206 Partial Content",
                    headers=HTML_CT + extra, payload=body)  # fmt: skip

    specs = [
        ranged(ORCHARD.url, part, f"bytes 0-1023/{size}"),
        ranged(RIVERTOWN.url, PAGE[1024:], f"bytes 1024-{size - 1}/{size}"),
        ranged("https://tides.example.org/a", part, "bytes 0-1023/*"),
        ranged("https://tides.example.org/b", part, None),
        # the whole range stated, over a body that is not all of it
        ranged("https://tides.example.org/c", part, f"bytes 0-{size - 1}/{size}"),
        ranged(LIGHTHOUSE.url, PAGE, f"Bytes 0-{size - 1}/{size}"),
    ]
    rows, quarantined, manifest = packed(tmp_path, "ranges.warc.gz", warc_bytes(specs, gz=True))
    assert [(r["capture"]["url"], r["capture"]["http_status"]) for r in rows] == [
        (LIGHTHOUSE.url, 206)
    ]
    ids = [record_id(n) for n in range(5)]
    ranges = [f"Content-Range: bytes 0-1023/{size}", f"Content-Range: bytes 1024-{size - 1}/{size}",
              "Content-Range: bytes 0-1023/*", "no Content-Range",
              f"Content-Range: bytes 0-{size - 1}/{size}"]  # fmt: skip
    assert [(q["reason"], q["message"]) for q in quarantined] == [
        ("unsupported", f"WARC record {rid}: HTTP 206 Partial Content ({stated}); ranges are "
                        "not joined")
        for rid, stated in zip(ids, ranges, strict=True)
    ]  # fmt: skip
    assert [q["bytes"] for q in quarantined] == [1024, size - 1024, 1024, 1024, 1024]
    assert "partial" not in manifest["warc_records_skipped"]


def test_an_empty_payload_is_quarantined_in_the_name_of_its_record_not_of_the_file(tmp_path):
    specs = [
        Spec("payload", "response", LIGHTHOUSE.url, headers=HTML_CT, payload=PAGE),
        Spec("payload", "response", ORCHARD.url, status="204 No Content", headers=HTML_CT),
    ]
    parts = warc_bytes(specs, gz=False)
    # a record with no WARC-Record-ID is named by its offset
    parts.append(parts[1].replace(f"WARC-Record-ID: {record_id(1)}\r\n".encode(), b""))
    rows, quarantined, _ = packed(tmp_path, "empty-one.warc", parts)
    assert len(rows) == 1
    assert [(q["reason"], q["message"]) for q in quarantined] == [
        ("empty", f"WARC record {record_id(1)}: the payload is empty"),
        ("empty", f"the WARC record at offset {len(parts[0]) + len(parts[1])}: the payload is "
                  "empty"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("stated", "read"),
    [("2024-03-07", None), ("2024-03-07 10:15:00Z", "2024-03-07T10:15:00+00:00")],
)
def test_a_warc_date_without_a_time_of_day_gives_no_retrieval_time(tmp_path, stated, read):
    """A day alone read as its midnight would be a retrieval time the crawler never stated;
    a time after a space is still a time."""
    spec = Spec("payload", "response", LIGHTHOUSE.url, headers=HTML_CT, payload=PAGE)
    (part,) = warc_bytes([spec], gz=False)
    part = part.replace(f"WARC-Date: {WARC_DATE}".encode(), f"WARC-Date: {stated}".encode())
    rows, _, _ = packed(tmp_path, "dated.warc", [part])
    retrieved = rows[0]["capture"]["retrieved_at"]
    assert (retrieved.isoformat() if retrieved else None) == read
