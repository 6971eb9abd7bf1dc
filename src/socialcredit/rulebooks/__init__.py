"""The rulebooks bundled with socialcredit, one folder per rulebook, one file per version."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["bundled_files"]


def bundled_files() -> dict[str, list[Traversable]]:
    """Every bundled rulebook id with its version files."""
    root = files(__name__)
    found: dict[str, list[Traversable]] = {}
    for folder in sorted(root.iterdir(), key=lambda t: t.name):
        if folder.is_dir() and not folder.name.startswith("_"):
            found[folder.name] = sorted(
                (f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda t: t.name
            )
    return found
