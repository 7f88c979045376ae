"""The release on disk: JSON Schemas and the Arrow schema (schema), Parquet and Arrow IPC
files (parquetio), the manifest and its digests (manifest), signatures (signing), and JSON
parsed within bounds (boundedjson)."""
