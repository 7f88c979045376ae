"""Relations between records: exact and near duplicates (syndicated copies), shared
quotations and paraphrases (machine-spun rewrites), each with evidence a person can check.

>>> from archive.relations import RelationInput, RelationSettings, find_relations
>>> body = "The council of Varnholt voted on Monday to close the old ferry pier."
>>> rels = list(find_relations([RelationInput("a", body, "h"), RelationInput("b", body, "h")],
...                            RelationSettings()))
>>> [(r.source_id, r.target_id, r.kind, r.group_id) for r in rels]
[('a', 'b', 'exact-duplicate', 'a')]
"""

from archive.relations.model import (
    KINDS,
    SPUN_FLAG,
    Relation,
    RelationInput,
    RelationSettings,
    flags_for,
    withheld_relation,
)

# The finder and the table (numpy, pyarrow) load on first use: a reader of one relation
# constant (verify, the summary) does not pay for them.
_LAZY = {
    "RelationFinder": "archive.relations.find",
    "find_relations": "archive.relations.find",
    "RELATIONS_ARROW_SCHEMA": "archive.relations.table",
    "relation_rows": "archive.relations.table",
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KINDS",
    "RELATIONS_ARROW_SCHEMA",
    "SPUN_FLAG",
    "Relation",
    "RelationFinder",
    "RelationInput",
    "RelationSettings",
    "find_relations",
    "flags_for",
    "relation_rows",
    "withheld_relation",
]
