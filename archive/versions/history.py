"""``log``: a release's history, the hash chain of its parents, each link verified.

A release made from a parent records the parent's name, version and the SHA-256 of its
``manifest.json`` (``manifest["parent"]``). Since every manifest hashes every file of its
release, the chain of those digests pins every earlier release's content: editing a parent's
manifest (even with its digest file rewritten to match) breaks the child's link, and editing a
parent's files breaks the parent's own manifest, which ``archive verify`` on the parent finds.

A parent is looked for as the sibling folder ``<name>-<version>`` of its child (releases of a
name share one ``--out`` folder), then in the folders given as ``search``.

Problem codes (stable, in the README; defined in ``archive.errors``):

* ``E030``: the parent release is not found;
* ``E031``: the parent's ``manifest.json`` is not the one the child recorded (its digest
  differs from ``parent.manifest_sha256``): the parent was edited or replaced;
* ``E032``: a parent's ``manifest.json`` cannot be read, or does not match its own
  ``manifest.json.sha256``;
* ``E033``: the ``parent`` entry is malformed, names a different release than the one found,
  or the history loops.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from archive.errors import Problem
from archive.format import boundedjson
from archive.format.manifest import (
    MANIFEST,
    MANIFEST_DIGEST,
    read_digest_file,
    require_release,
)
from archive.versions.diff import CHANGES_FILE, readable_changes

MAX_LINKS = 10_000

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Link:
    """One release of a history, newest first.

    ``manifest_sha256`` is the digest of its ``manifest.json`` as found (None when it is missing
    or unreadable); ``recorded_sha256`` what its child recorded (None for the release asked
    about). ``problems`` are what is wrong with this link; ``changes`` the counts and implied
    bump of its ``CHANGES.json`` (None when it has none). ``path`` is None for a parent that was
    not found.
    """

    name: str | None
    version: str | None
    path: Path | None
    created: str | None = None
    manifest_sha256: str | None = None
    recorded_sha256: str | None = None
    counts: dict | None = None
    changes: dict | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "path": None if self.path is None else str(self.path),
            "created": self.created,
            "manifest_sha256": self.manifest_sha256,
            "recorded_sha256": self.recorded_sha256,
            "counts": self.counts,
            "changes": self.changes,
            "ok": self.ok,
            "problems": [vars(p) for p in self.problems],
        }


def log(release: str | Path, *, search: Sequence[str | Path] = ()) -> list[Link]:
    """The history of ``release``: itself, its parent, and so on back to the first release,
    each link checked. The chain stops at the first release without a parent, or at a parent
    that cannot be found or read (its link carries the problem).

    >>> [link.version for link in log("dist/example-1.2.0")]  # doctest: +SKIP
    ['1.2.0', '1.1.0', '1.0.0']
    """
    path = require_release(release)
    folders = [Path(s) for s in search]
    links: list[Link] = []
    expected: dict | None = None
    seen: set[Path] = set()
    while len(links) < MAX_LINKS:
        seen.add(path.resolve())
        link, entry = _link(path, expected, head=not links)
        if entry is None:
            links.append(link)
            break
        problems = _entry_problems(entry)
        if problems:
            links.append(_with(link, problems))
            break
        links.append(link)
        found = find_parent(path, entry, folders)
        if found is None:
            links.append(_missing(path, entry))
            break
        if found.resolve() in seen:
            loop = Problem("E033", _shown(found), "the history loops back to this release")
            links.append(Link(entry["name"], entry["version"], found, problems=(loop,)))
            break
        path, expected = found, entry
    return links


def history_ok(links: Sequence[Link]) -> bool:
    """True when every link of a history is intact."""
    return all(link.ok for link in links)


def check_parent(
    release: str | Path, *, search: Sequence[str | Path] = (), require: bool = False
) -> list[Problem]:
    """Problems with the link from ``release`` to its parent (for ``verify``).

    Checks that the parent's ``manifest.json`` has the digest the release recorded and matches
    its own digest file. A parent that is not found is a problem (``E030``) only when
    ``require`` is true: a release is often shipped without its history. Deeper links are the
    business of ``archive log`` (or of verifying the parent).
    """
    path = Path(release)
    try:
        manifest = boundedjson.load((path / MANIFEST), boundedjson.MAX_MANIFEST_BYTES)
    except (OSError, ValueError):
        return []  # verify reports an unreadable manifest itself
    entry = manifest.get("parent") if isinstance(manifest, dict) else None
    if entry is None:
        return []
    problems = _entry_problems(entry)
    if problems:
        return list(problems)
    found = find_parent(path, entry, [Path(s) for s in search])
    if found is None:
        return list(_missing(path, entry).problems) if require else []
    link, _ = _link(found, entry, head=False, shown=_relative(found, path))
    return list(link.problems)


def parent_absent(release: Path, entry) -> str | None:
    """Why the parent link of ``release`` cannot be checked, when its (well-formed) ``entry``
    names a parent that is not beside it; None when the check can run."""
    if entry is None or _entry_problems(entry) or find_parent(release, entry) is not None:
        return None
    return (
        f"the parent {entry['name']}-{entry['version']} is not beside the release "
        "(archive log reports E030; --search names where it is)"
    )


def find_parent(child: Path, entry: dict, search: Sequence[Path] = ()) -> Path | None:
    """Where the parent named by ``entry`` is: ``<name>-<version>`` beside ``child``, or in (or
    at) one of the ``search`` folders. The first whose ``manifest.json`` has the digest the
    child recorded; else the first of that name and version, whose link is then broken (E031).
    Two releases may have one name and version (a dehydrated copy beside the full release a
    child was packed ``--from``, a rehydrated one beside the original): the one passed over is
    not the parent, and reporting it as an edit would fail a genuine history."""
    folder = f"{entry['name']}-{entry['version']}"
    candidates = [child.parent / folder]
    for place in search:
        candidates += [place / folder, place]
    named = [c for c in candidates if (c / MANIFEST).is_file() and _names(c, entry)]
    for candidate in named:
        if _manifest_digest(candidate) == entry.get("manifest_sha256"):
            return candidate
    return named[0] if named else None


def _manifest_digest(release: Path) -> str | None:
    try:
        data = boundedjson.read_capped(release / MANIFEST, boundedjson.MAX_MANIFEST_BYTES)
    except (OSError, ValueError):
        return None
    return hashlib.sha256(data).hexdigest()


def _names(candidate: Path, entry: dict) -> bool:
    """A search folder that is itself a release counts only if it is the release named."""
    if candidate.name == f"{entry['name']}-{entry['version']}":
        return True
    try:
        manifest = boundedjson.load((candidate / MANIFEST), boundedjson.MAX_MANIFEST_BYTES)
    except (OSError, ValueError):
        return False
    return (manifest.get("name"), manifest.get("version")) == (entry["name"], entry["version"])


def _link(
    path: Path, expected: dict | None, *, head: bool, shown: str | None = None
) -> tuple[Link, dict | None]:
    """The link for the release at ``path``, and its parent entry (None: no parent or
    unreadable)."""
    where = shown or _shown(path)
    name = expected["name"] if expected else None
    version = expected["version"] if expected else None
    recorded = expected["manifest_sha256"] if expected else None
    unreadable = "E001" if head else "E032"
    try:
        data = boundedjson.read_capped(path / MANIFEST, boundedjson.MAX_MANIFEST_BYTES)
        manifest = boundedjson.loads(data)
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        problem = Problem(unreadable, f"{where}/{MANIFEST}", f"cannot be read ({exc})")
        return Link(name, version, path, recorded_sha256=recorded, problems=(problem,)), None
    digest = hashlib.sha256(data).hexdigest()
    problems = _digest_problems(path, where, digest, head)
    if expected is not None:
        problems += _expected_problems(manifest, digest, expected, where)
    link = Link(
        name=manifest.get("name"),
        version=manifest.get("version"),
        path=path,
        created=manifest.get("created"),
        manifest_sha256=digest,
        recorded_sha256=recorded,
        counts=_counts(manifest),
        changes=_changes(path),
        problems=tuple(problems),
    )
    return link, manifest.get("parent")


def _digest_problems(path: Path, where: str, digest: str, head: bool) -> list[Problem]:
    """A release's manifest against its own digest file (E002/E003 for the release asked about,
    as verify reports them; E032 for a parent)."""
    try:
        recorded = read_digest_file(path)
    except (OSError, ValueError) as exc:
        code = "E002" if head else "E032"
        return [Problem(code, f"{where}/{MANIFEST_DIGEST}", str(exc))]
    if recorded == digest:
        return []
    code = "E003" if head else "E032"
    message = "does not match manifest.json.sha256: the manifest was edited"
    return [Problem(code, f"{where}/{MANIFEST}", message, recorded, digest)]


def _expected_problems(manifest: dict, digest: str, expected: dict, where: str) -> list[Problem]:
    problems = []
    named = (manifest.get("name"), manifest.get("version"))
    if named != (expected["name"], expected["version"]):
        problems.append(
            Problem(
                "E033",
                f"{where}/{MANIFEST}",
                "is not the release the child names",
                f"{expected['name']} {expected['version']}",
                f"{named[0]} {named[1]}",
            )
        )
    if digest != expected["manifest_sha256"]:
        problems.append(
            Problem(
                "E031",
                f"{where}/{MANIFEST}",
                "is not the manifest its child recorded: the parent was edited or replaced",
                expected["manifest_sha256"],
                digest,
            )
        )
    return problems


def _entry_problems(entry) -> tuple[Problem, ...]:
    """The parent entry is data from a file: check it before it names a folder to open."""
    if (
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("version"), str)
        and isinstance(entry.get("manifest_sha256"), str)
        and _NAME.match(entry["name"])
        and _VERSION.match(entry["version"])
        and _DIGEST.match(entry["manifest_sha256"])
    ):
        return ()
    message = "parent must be {name, version, manifest_sha256} naming a release"
    return (Problem("E033", MANIFEST, message, None, json.dumps(entry, sort_keys=True)),)


def _missing(child: Path, entry: dict) -> Link:
    folder = f"{entry['name']}-{entry['version']}"
    message = (
        f"parent {folder} not found beside {child.name}; put the parent release in "
        f"{_shown(child.parent)} or name its folder (archive log --search DIR)"
    )
    problem = Problem("E030", f"{_shown(child)}/{MANIFEST}", message)
    return Link(
        entry["name"],
        entry["version"],
        None,
        recorded_sha256=entry["manifest_sha256"],
        problems=(problem,),
    )


def _with(link: Link, problems: tuple[Problem, ...]) -> Link:
    return replace(link, problems=link.problems + problems)


def _counts(manifest: dict) -> dict:
    counts = manifest.get("counts") or {}
    return {key: counts[key] for key in ("records", "withdrawn") if key in counts}


def _changes(path: Path) -> dict | None:
    """The summary of a release's CHANGES.json (counts and the bump, or why it cannot be
    read), or None without one."""
    return readable_changes(path / CHANGES_FILE) if (path / CHANGES_FILE).is_file() else None


def _shown(path: Path) -> str:
    return path.as_posix()


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def log_lines(links: Sequence[Link]) -> list[str]:
    """A short human rendering of a history, newest first."""
    lines = []
    for link in links:
        state = "ok" if link.ok else "BROKEN"
        digest = (link.manifest_sha256 or "?")[:12]
        named = f"{link.name} {link.version}"
        if link.name is None and link.version is None:  # a manifest that cannot be read
            named = str(link.path or "?")
        head = f"{named}  {link.created or '-'}  manifest {digest}  {state}"
        lines.append(head)
        if link.changes and "error" in link.changes:
            lines.append(
                f"    CHANGES.json cannot be read ({link.changes['error']}): run archive verify, "
                "and archive validate on it"
            )
        elif link.changes:
            counts, bump = link.changes["counts"], link.changes["bump"]
            lines.append(
                f"    {counts.get('added', 0)} added, {counts.get('removed', 0)} removed, "
                f"{counts.get('withdrawn', 0)} withdrawn, {counts.get('changed', 0)} changed; "
                f"implied bump {bump.get('implied')}"
            )
            if bump.get("warning"):
                lines.append(f"    warning: {bump['warning']}")
        for problem in link.problems:
            lines.append(f"    {problem}")
    return lines


__all__ = [
    "Link",
    "check_parent",
    "find_parent",
    "history_ok",
    "log",
    "log_lines",
    "parent_absent",
]
