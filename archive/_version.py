"""The package version, apart from the API so that modules can import it without a cycle."""

__version__ = "0.1.0"
