"""The product's version: the one place it is defined (semver)."""

__version__ = "0.2.0"
