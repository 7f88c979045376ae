"""The package's layout: no import cycles (function-level imports included), no import held
back below code (no E402 exemption), every code in one home, every verify check registered
once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from archive.errors import CODES, PARENT_CODES, SIGNATURE_CODES, VALIDATE_CODES, WARNING_CODES
from archive.verification import CHECKS, LEVELS

ROOT = Path(__file__).resolve().parents[1]


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the ``archive`` package."""
    found = {}
    for path in sorted((root / "archive").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``name`` imports, anywhere in it (functions included).
    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            edges |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    edges.add(target)
                elif base in known:
                    edges.add(base)
    edges.discard(name)
    return edges


def import_graph(root: Path) -> dict[str, set[str]]:
    found = modules(root)
    return {name: imported(name, path, set(found)) for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def test_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "archive"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "a.py").write_text("from archive.inner import b\n")
    (package / "inner" / "b.py").write_text("def f():\n    from .c import g\n")
    (package / "inner" / "c.py").write_text("def g():\n    from archive import a\n")
    (package / "d.py").write_text("import archive.a\n")
    assert cycles(import_graph(tmp_path)) == [["archive.a", "archive.inner.b", "archive.inner.c"]]


def test_the_package_has_no_import_cycle():
    graph = import_graph(ROOT)
    assert "archive.verification.api" in graph["archive.verification"]
    assert cycles(graph) == []


def test_no_import_is_held_below_code():
    exemption = "noqa: " + "E402"  # spelled in two parts so that this file does not match
    held = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("archive", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if exemption in line
    ]
    assert held == []


def test_every_check_is_registered_once_with_known_codes():
    names = [check.name for check in CHECKS]
    assert len(names) == len(set(names))
    assert {check.level for check in CHECKS} == set(LEVELS)
    claimed = {code for check in CHECKS for code in check.codes}
    assert claimed == set(CODES)  # every code has a check; no check reports an unknown code
    assert set(CODES) >= SIGNATURE_CODES | PARENT_CODES
    assert {c.name for c in CHECKS if c.sampling == "sampled"} == {
        "record schema by column",
        "text and capture_text hashes",
        "record ids are the hashes of their capture keys",
        "text is the body its spans mark",
    }


def test_the_readme_documents_every_code_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Verification codes", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for first, last in re.findall(r"^\| ([EW]\d{3})(?:–([EW]\d{3}))? \|", table, re.M):
        low, high = int(first[1:]), int((last or first)[1:])
        documented |= {f"{first[0]}{n:03d}" for n in range(low, high + 1)}
    assert documented == set(CODES) | set(WARNING_CODES) | set(VALIDATE_CODES)


def test_the_walk_of_one_capture_meets_its_targets_and_matches_the_architecture_notes():
    """``docs/walk.py`` traces one text capture through pack and verify: the data path returns
    to a file it had left fewer than 8 times in pack and 4 in verify, and docs/ARCHITECTURE.md
    lists the very functions it walks, in order."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "walk.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    walks: dict[str, list[str]] = {}
    returns = {}
    for line in run.stdout.splitlines():
        if not line.startswith("    "):
            command = line.split(":")[0]
            walks[command] = []
            returns[command] = int(re.search(r"(\d+) returns$", line).group(1))
        else:
            walks[command].append(line.strip())
    assert returns["pack"] < 8 and returns["verify"] < 4, returns
    notes = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for name, steps in walks.items():
        listed = notes.split(f"### The data path of `{name}`, in order")[1].split("```")[1]
        assert listed.split() == steps, name
