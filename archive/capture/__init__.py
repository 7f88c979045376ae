"""Finding and reading inputs: folders and URLs walked (sources), what the capturer knew
(capturelog), WARC and ARC records (warc), and remote file systems (storage)."""
