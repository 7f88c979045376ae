"""Bytes to canonical text: decoding with a recorded method (decode) and the canonical
capture and body forms every text hash stands on (normalize)."""
