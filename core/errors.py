"""Errors that stop a command with one clear sentence instead of a traceback."""


class ConfigError(RuntimeError):
    """The environment or configuration is unusable; the message says what to fix."""
