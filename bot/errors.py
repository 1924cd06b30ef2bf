"""Errors the service raises on purpose; the command line maps them to exit codes."""

from __future__ import annotations

from storage.errors import AppealbotError, BadInputError, NotFoundError, SeedError

__all__ = ["AppealbotError", "BadInputError", "ConfigError", "NotFoundError", "SeedError"]


class ConfigError(BadInputError):
    """Configuration the operator must fix before the service can start."""
