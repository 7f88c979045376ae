"""Finding and reading inputs: folders and URLs walked (sources), what the capturer knew
(capturelog), WARC and ARC records (warc), remote file systems (storage), and whether an
argument names a local path or a URL (locations)."""
