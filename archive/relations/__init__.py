"""Relations between records: exact and near duplicates (syndicated copies), shared
quotations and paraphrases (machine-spun rewrites), each with evidence a person can check.

>>> from archive.relations import RelationInput, RelationSettings, find_relations
>>> body = "The council of Varnholt voted on Monday to close the old ferry pier."
>>> rels = list(find_relations([RelationInput("a", body, "h"), RelationInput("b", body, "h")],
...                            RelationSettings()))
>>> [(r.source_id, r.target_id, r.kind, r.group_id) for r in rels]
[('a', 'b', 'exact-duplicate', 'a')]
"""

from archive.relations.find import RelationFinder, find_relations
from archive.relations.model import (
    KINDS,
    SPUN_FLAG,
    Relation,
    RelationInput,
    RelationSettings,
    flags_for,
    withheld_relation,
)
from archive.relations.table import RELATIONS_ARROW_SCHEMA, relation_rows

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
