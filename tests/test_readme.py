"""The README's examples hold as users run them, in the way sqlite-utils tests its docs.

Every ``$ command`` line of a ``sh`` block runs, in README order, with ``bash`` in one folder
that starts with a copy of ``examples/`` and the quick start's pack already done; the lines after
it are what it must print (stdout and stderr together). An expected line ending in ``...``
matches any line that starts with what comes before the dots; a last line ``...`` alone stands
for any further lines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```sh\n(.*?)^```", README, flags=re.S | re.M)


def examples() -> list[tuple[str, list[str]]]:
    """(command, expected lines) for each ``$`` line, in README order."""
    found = []
    for block in BLOCKS:
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found and line and block.count("$ ") and not line.startswith("#"):
                found[-1][1].append(line)
    return found


def quick_start_pack() -> str:
    first = BLOCKS[0]
    return next(line for line in first.splitlines() if "archive pack" in line).split(" && ", 1)[1]


def matches(expected: list[str], found: list[str]) -> bool:
    if expected and expected[-1] == "...":
        expected, found = expected[:-1], found[: len(expected) - 1]
    if len(expected) != len(found):
        return False
    return all(
        f.startswith(e[:-3]) if e.endswith("...") else f == e
        for e, f in zip(expected, found, strict=True)
    )


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", folder / "examples")
    environ = os.environ | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(["bash", "-c", quick_start_pack()], cwd=folder, env=environ, check=True)
    return folder


def test_the_readme_has_runnable_examples():
    commands = [command for command, _ in examples()]
    assert len(commands) >= 10
    assert any(c.startswith("archive diff") for c in commands)
    assert any(c.startswith("archive rehydrate") for c in commands)


def test_every_readme_example_prints_what_the_readme_shows(sandbox):
    environ = os.environ | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    wrong = []
    for command, expected in examples():
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=sandbox,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        found = result.stdout.splitlines()
        if not matches(expected, found):
            wrong.append(f"$ {command}\n  README:\n    " + "\n    ".join(expected)
                         + "\n  printed:\n    " + "\n    ".join(found))  # fmt: skip
    assert not wrong, "\n\n".join(wrong)


def test_every_command_and_option_is_documented():
    from archive.cli import main

    missing = []
    for name, command in sorted(main.commands.items()):
        section = README.split(f"### `archive {name}", 1)
        if len(section) < 2:
            missing.append(f"archive {name}")
            continue
        text = section[1].split("\n### ", 1)[0]
        for parameter in command.params:
            for option in getattr(parameter, "opts", []):
                if option.startswith("--") and option not in text and option != "--help":
                    missing.append(f"archive {name} {option}")
    assert not missing, missing


def test_the_module_map_names_every_module_of_the_package():
    rows = [line for line in README.splitlines() if line.startswith("| `")]
    unnamed = []
    for path in sorted((ROOT / "archive").rglob("*.py")):
        relative = path.relative_to(ROOT / "archive").as_posix()
        if path.name in ("__init__.py", "_version.py"):
            continue
        folder = relative.rpartition("/")[0]
        named = any(f"`{relative}`" in row for row in rows) or any(
            row.startswith(f"| `{folder}/`") and f"`{path.name}`" in row for row in rows if folder
        )
        if not named:
            unnamed.append(relative)
    assert not unnamed, unnamed
