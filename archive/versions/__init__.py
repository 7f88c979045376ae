"""A release among its versions: what changed (diff), the verified chain of parents
(history), text rebuilt from your own captures (rehydrate), and one-file transfer (bundle)."""
