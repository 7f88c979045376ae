"""Partial folders: where a pack builds, beside its destination, until the release is whole.

A folder is named for the release, the host and the process that packs it
(``.<release>.partial-<host>-<pid>``), so a later pack can tell a killed pack's leftovers (its
process on this host is gone) from a pack still running, here or on another host that shares
the folder.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
from pathlib import Path

from archive.capture.storage import RemotePath

STALE_REMOTE_SECONDS = 24 * 3600


def partial_name(release: str) -> str:
    """The name of this process's partial folder for ``release``."""
    return f".{release}.partial-{host()}-{os.getpid()}"


def remove_stale_partials(out: Path | RemotePath, release: str) -> None:
    """Folders left by a pack that was killed (its process on this host is gone) are removed;
    another host's, on a shared folder, are left alone. In a bucket, one is removed only when
    nothing in it changed for a day too: machines that share a bucket may share a host name
    (containers) and process ids."""
    prefix = f".{release}.partial-{host()}-"
    for partial in out.glob(f"{glob.escape(prefix)}*"):
        pid = partial.name[len(prefix) :].partition("-")[0]
        if not pid.isdigit() or alive(int(pid)):
            continue
        if isinstance(partial, RemotePath):
            if partial.idle_seconds() >= STALE_REMOTE_SECONDS:
                partial.remove_tree()
        else:
            shutil.rmtree(partial, ignore_errors=True)


def host() -> str:
    """This machine's host name, as a partial folder's name holds it."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
