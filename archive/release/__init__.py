"""Captures to a release: the plan (shards and ids), the stages run as tasks over the
captures and the records, the relations stages, the parent whose records are reused, and
``pack``, which orders them and writes the release atomically."""
