"""Wiring for the entrypoints: the store the environment names, and the real clock.

Only entrypoints (the command line, the server) and tests import this; every service takes
its store and its clock as arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime

from socialcredit.storage import Store, open_store, target_from_env

__all__ = ["clock", "open_configured_store", "store_target"]


def store_target(environ: Mapping[str, str] | None = None) -> str:
    """Where the store is: `SOCIALCREDIT_DB` (a SQLite path or a postgresql:// URL), else
    ./socialcredit.db."""
    return target_from_env(os.environ if environ is None else environ)


def open_configured_store(environ: Mapping[str, str] | None = None) -> Store:
    """Open (creating and migrating if need be) the store the environment names."""
    return open_store(store_target(environ))


def clock() -> datetime:
    """Now, as an aware UTC moment."""
    return datetime.now(UTC)
