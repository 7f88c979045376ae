"""Issue 18's hostile inputs, each made at test time by the smallest generator that reproduces
it and run in a fresh interpreter under an address-space limit and a timeout (``bounded``): the
bound holding is the assertion. (WARC bombs and resynchronisation: test_warc_fidelity.py; a
full disk and signals: test_fault_injection.py and test_signals.py.)"""

from __future__ import annotations

import json

from conftest import bounded

GIB = 1 << 30


def test_a_capture_log_line_of_256_mib_is_one_bad_line_in_bounded_memory(tmp_path):
    log = tmp_path / "captures.jsonl"
    with log.open("w", encoding="utf-8") as out:
        out.write('{"path": "a.txt", "url": "https://x.example/a"}\n')
        out.write('{"path": "b.txt", "note": "' + "x" * (256 << 20) + '"}\n')
        out.write('{"path": "c.txt", "url": "https://x.example/c"}\n')
    out = bounded(
        f"""
        from pathlib import Path
        from archive.capture.capturelog import CaptureLog
        log = CaptureLog.build(Path({str(log)!r}), Path({str(tmp_path / "index.sqlite")!r}))
        print(log.size, [(p.line, p.message) for p in log.problems])
        """,
        memory=GIB,
        seconds=120,
    )
    assert out.strip() == "2 [(2, 'longer than 1,048,576 characters')]"


def test_a_capture_log_line_nested_100000_deep_is_one_bad_line(tmp_path):
    log = tmp_path / "captures.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    lines = ['{"path": "a.txt"}', '{"path": "b.txt", "x": ' + deep + "}", '{"path": "c.txt"}']
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = bounded(
        f"""
        from pathlib import Path
        from archive.capture.capturelog import CaptureLog
        log = CaptureLog.build(Path({str(log)!r}), Path({str(tmp_path / "index.sqlite")!r}))
        print(log.size, [(p.line, p.message) for p in log.problems])
        """,
        seconds=30,
    )
    assert out.strip() == "2 [(2, 'JSON nested deeper than 64 levels')]"


def test_a_one_line_html_page_of_50_mb_is_extracted_in_bounded_time_and_memory(tmp_path):
    page = tmp_path / "long.html"
    paragraph = "<p>The harbour wall was repaired over three weeks by a crew of twelve.</p>"
    page.write_text(f"<html><body>{paragraph * (50_000_000 // len(paragraph))}</body></html>")
    out = bounded(
        f"""
        from pathlib import Path
        from archive.extract.html import extract_html
        from archive.model import Hints
        extraction = extract_html(Path({str(page)!r}).read_bytes(), Hints()).extraction
        print(extraction.flags, extraction.text.count("three weeks"))
        """,
        memory=3 * GIB,
        seconds=120,
    )
    assert out.strip() == f"('extraction-over-budget',) {50_000_000 // len(paragraph)}"


def test_a_source_folder_1200_levels_deep_is_walked_in_bounded_time(tmp_path):
    out = bounded(
        f"""
        import subprocess
        from pathlib import Path
        from archive.capture.sources import walk
        folder = root = Path({str(tmp_path / "deep")!r})
        root.mkdir()
        for _ in range(1200):
            folder = folder / "d"
            folder.mkdir()
        (folder / "story.txt").write_text("Deep story\\n\\nIt was found at the bottom.\\n")
        print(len(list(walk([root]))))
        subprocess.run(["rm", "-rf", str(root)], check=True)  # shutil.rmtree would recurse
        """,
        seconds=60,
    )
    assert out.strip() == "1"


def test_a_bundle_member_of_256_mib_is_refused_before_extraction(tmp_path):
    bundle = tmp_path / "bomb-1.0.0.tar.gz"
    manifest = json.dumps({"files": [{"path": "quarantine.jsonl", "bytes": 10}]})
    out = bounded(
        f"""
        import io, tarfile
        from archive.versions.bundle import BundleError, opened_bundle
        class Zeros(io.RawIOBase):
            left = 256 << 20
            def readable(self):
                return True
            def readinto(self, buffer):
                count = min(len(buffer), self.left)
                buffer[:count] = bytes(count)
                self.left -= count
                return count
        with tarfile.open({str(bundle)!r}, "w:gz") as tar:
            data = {manifest!r}.encode()
            info = tarfile.TarInfo("bomb-1.0.0/manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            info = tarfile.TarInfo("bomb-1.0.0/quarantine.jsonl")
            info.size = 256 << 20
            tar.addfile(info, Zeros())
        try:
            with opened_bundle({str(bundle)!r}):
                print("extracted")
        except BundleError as exc:
            print("refused", "its manifest allows" in str(exc))
        """,
        seconds=120,
    )
    assert out.strip() == "refused True"
