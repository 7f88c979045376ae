"""The kinds of file ``archive validate`` knows: a release, its parts, and what pack reads.
Apart from the validator so that the command line lists them without loading it."""

KINDS = (
    "release",
    "records",
    "relations",
    "quarantine",
    "tombstones",
    "manifest",
    "changes",
    "datapackage",
    "croissant",
    "capture-log",
    "config",
    "outlets",
)
