"""Trace one text capture through ``archive.pack`` and ``archive.verify`` and print the walk:
the package's functions in the order they are first entered, and how often the walk returns to
a file it had already left.

    python docs/walk.py

Two measures are printed. ``raw`` counts every function of the package. ``data path`` leaves out
calls into the services every stage uses (paths; the release format's readers and writers:
Parquet, manifest, schemas, bounded JSON, counts; settings, values, executors) and inside the
leaf packages (``extract/``, ``relations/``, ``exporters/``: one step each), and does not count a
return to the orchestrator (``release/pack.py``, the verification registry), whose job is to be
returned to. docs/ARCHITECTURE.md quotes both.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "archive"
FOLDED = ("extract", "relations", "exporters")
SERVICES = {
    "release/workdir.py", "format/parquetio.py", "format/manifest.py", "format/schema.py",
    "settings.py", "model.py", "release/plan.py", "release/partials.py", "release/context.py",
    "release/cache.py",
    "capture/storage.py", "capture/locations.py", "runtime/executors.py", "runtime/process.py",
    "errors.py",
    "format/boundedjson.py", "inspect.py", "verification/report.py", "verification/tasks.py",
    "verification/audit.py",
    "format/counts.py", "format/rows.py",
}  # fmt: skip
SPINE = {"release/pack.py", "verification/api.py", "verification/registry.py"}
STORY = "Harbour wall repairs begin\n\nBy Ada Quill\n\nWork on the wall began on Monday.\n"


def trace(run) -> list[tuple[str, str]]:
    """(file, function) of the package, in the order first entered while ``run()`` runs."""
    seen: set[tuple[str, str]] = set()
    walk: list[tuple[str, str]] = []
    stack: list[tuple[str, str] | None] = []

    def profile(frame, event, arg):
        if event == "return" and stack:
            stack.pop()
        if event != "call":
            return
        filename = frame.f_code.co_filename
        if not filename.startswith(str(PACKAGE)):
            stack.append(None)
            return
        step = (os.path.relpath(filename, PACKAGE), frame.f_code.co_name)
        inside_leaf = any(s and s[0].split("/")[0] in FOLDED for s in stack)
        stack.append(step)
        if inside_leaf or step[1].startswith("<") or step[1].startswith("__"):
            return
        if step not in seen:
            seen.add(step)
            walk.append(step)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return walk


def returns(walk: list[tuple[str, str]], spine: set[str] = frozenset()) -> int:
    left: set[str] = set()
    last, count = None, 0
    for file, _ in walk:
        if file != last:
            count += file in left and file not in spine
            if last:
                left.add(last)
            last = file
    return count


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from archive import PackSettings, pack, verify

    folder = Path(tempfile.mkdtemp())
    (folder / "captures").mkdir()
    (folder / "captures" / "story.txt").write_text(STORY, encoding="utf-8")
    settings = PackSettings(
        name="walk", version="1.0.0", created=datetime(2026, 1, 1, tzinfo=UTC), relations=False
    )
    packed = []
    runs = {
        "pack": lambda: packed.append(pack([folder / "captures"], folder / "dist", settings)),
        "verify": lambda: verify(packed[0].path),
    }
    for name, run in runs.items():
        raw = trace(run)
        path = [step for step in raw if step[0] not in SERVICES]
        files = len({file for file, _ in path})
        counts = f"{len(path)} functions in {files} files, {returns(path, SPINE)} returns"
        print(f"{name}: raw {len(raw)} functions, {returns(raw)} returns; data path {counts}")
        for file, function in path:
            print(f"    {file}:{function}")


if __name__ == "__main__":
    main()
