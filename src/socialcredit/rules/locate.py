"""Line numbers for TOML keys, so every rulebook error can point at its line.

tomllib returns plain data without positions, and no maintained TOML library exposes
them, so this scans the text for table headers and keys. It only has to be right for the
layout rulebooks use: `[table]`, `[[array]]` and `key = value` lines.
"""

from __future__ import annotations

import re

__all__ = ["Locator"]

_ARRAY = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]")
_KEY = re.compile(r"^\s*\"?([A-Za-z0-9_\-]+)\"?\s*=")


class Locator:
    """Finds the line of a table, an array-of-tables entry, or a key inside either."""

    def __init__(self, text: str) -> None:
        self._headers: dict[tuple[str, int], int] = {}
        self._keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        section, index = "", 0
        for number, line in enumerate(text.splitlines(), start=1):
            if match := _ARRAY.match(line):
                section = match.group(1)
                index = counts.get(section, 0)
                counts[section] = index + 1
                self._headers[(section, index)] = number
            elif match := _TABLE.match(line):
                section, index = match.group(1), 0
                self._headers[(section, 0)] = number
            elif match := _KEY.match(line):
                self._keys.setdefault((section, index, match.group(1)), number)

    def line(self, section: str, index: int = 0, key: str | None = None) -> int | None:
        """The line of `key` in the `index`-th `[section]`/`[[section]]`, else of its header."""
        if key is not None:
            found = self._keys.get((section, index, key))
            if found is None and "." not in key:
                found = self._keys.get((f"{section}.{key}", index, key))
            if found is not None:
                return found
            header = self._headers.get((f"{section}.{key}", 0))
            if header is not None:
                return header
        return self._headers.get((section, index))
