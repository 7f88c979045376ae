"""Where a command line's path-or-URL argument points: a local path, or the URL of a remote
file system (``s3://bucket/key``). Read without pyarrow, which ``archive.capture.storage``
needs to reach the places themselves: a command's arguments are read before its work starts
(a pack's worker processes start meanwhile)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from archive.errors import UsageError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(location: str | os.PathLike) -> bool:
    """Whether ``location`` names a remote file system by scheme (``s3://...``); ``file://``
    URLs are local paths (see :func:`location`)."""
    if not isinstance(location, str):
        return False
    match = _SCHEME.match(location)
    return match is not None and match.group(1).lower() != "file"


def location(value: str | os.PathLike) -> Path | str:
    """A local path as ``Path`` (``file://`` URLs too: local inputs get the local walk's
    link checks), a remote URL as it is (a ``Path`` would fold its ``//``)."""
    if isinstance(value, str) and value.lower().startswith("file://"):
        _, host, path = split_url(value)
        if host not in ("", "localhost"):
            raise UsageError(
                f"{value}: a file:// URL names this machine's files "
                "(file:///path), not another host's"
            )
        from urllib.request import url2pathname  # http.client and email with it: only here

        return Path(url2pathname(path))
    return value if is_url(value) else Path(value)


def split_url(url: str) -> tuple[str, str, str]:
    """Scheme, host and path of ``url``, split by hand: an object key may hold ``?`` or
    ``#``, which a URL parser would take for a query or a fragment. Credentials in a URL are
    refused: they would reach names in the release and in messages."""
    scheme = _SCHEME.match(url).group(1).lower()
    rest = url[len(scheme) + 3 :]
    netloc, _, path = rest.partition("/")
    if "@" in netloc:
        raise UsageError(
            f"{scheme}:// URL with credentials in it: give them in the "
            "environment (e.g. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
        )
    return scheme, netloc, "/" + path
