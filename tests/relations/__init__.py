"""The generated corpus for relation finding (imported as ``relations`` from ``tests/``, as
pytest puts that folder on ``sys.path``; the modules import each other relatively)."""
