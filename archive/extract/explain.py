"""Human rendering of a record for ``archive inspect --explain``: spans marked, evidence listed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archive.model import Provenance, Span

EXPLAINED_FIELDS = (  # the fields inspect --explain and the report show, in order
    "title",
    "standfirst",
    "authors",
    "outlet",
    "published_at",
    "published_precision",
    "modified_at",
    "language",
)


def explain(capture_text: str, record_fields: Mapping[str, Any]) -> str:
    """Render ``capture_text`` with each span marked ``[kind rule]``, then every derived field
    with the method and evidence behind it, then the flags.

    ``record_fields`` is a record as a mapping (``dataclasses.asdict`` of a ``Record`` or
    ``Extraction``, or a Parquet row): ``spans`` and ``provenance`` may hold dataclasses or
    dicts; missing keys are shown as absent.

    >>> from archive.model import Span
    >>> print(explain("Hello world", {"spans": [Span(0, 11, "body", "body:story")]}))
    == spans
    [body body:story 0-11]
      | Hello world
    == fields
    == flags
    (none)
    """
    out = ["== spans"]
    for span in (_as_span(s) for s in record_fields.get("spans") or ()):
        out.append(f"[{span.kind} {span.rule} {span.start}-{span.end}]")
        out.extend("  | " + line for line in capture_text[span.start : span.end].split("\n"))
    out.append("== fields")
    provenance = [_as_provenance(p) for p in record_fields.get("provenance") or ()]
    for name in EXPLAINED_FIELDS:
        if name not in record_fields:
            continue
        value = record_fields[name]
        if value in (None, (), []):
            out.append(f"{name}: (null)")
            continue
        out.append(f"{name}: {_show(value)}")
        for p in provenance:
            if p.field == _owner(name):
                where = f" @{p.start}-{p.end}" if p.start is not None else ""
                out.append(f"    <- {p.method}{where}: {p.evidence}")
    out.append("== flags")
    out.append(", ".join(record_fields.get("flags") or ()) or "(none)")
    return "\n".join(out)


def _owner(name: str) -> str:
    return "published_at" if name == "published_precision" else name


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _as_span(span: Span | Mapping[str, Any]) -> Span:
    return span if isinstance(span, Span) else Span(**dict(span))


def _as_provenance(p: Provenance | Mapping[str, Any]) -> Provenance:
    return p if isinstance(p, Provenance) else Provenance(**dict(p))
