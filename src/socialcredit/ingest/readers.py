"""Read event files (NDJSON, JSON, CSV, Parquet, XML) into a frame of text columns.

Every column comes back as text, `_line` holds where each row came from (the line in a text
file, the row number in Parquet), and rows that cannot be parsed at all come back
separately as rejections, so one bad row never stops the rest. Typing and checking against
a rulebook happen in `ingest.events`; renaming a foreign export's columns in `ingest.mapping`.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import polars as pl

from socialcredit.ingest.formats.csvtable import read_csv
from socialcredit.ingest.formats.jsonarray import read_json_array
from socialcredit.ingest.formats.ndjson import read_ndjson
from socialcredit.ingest.formats.parquet import read_parquet
from socialcredit.ingest.formats.textframe import TOP_LEVEL, Rejection, empty_frame
from socialcredit.ingest.formats.xmlevents import read_xml

__all__ = ["FORMATS", "TOP_LEVEL", "Rejection", "format_of", "read_events_file"]

FORMATS = ("ndjson", "json", "csv", "parquet", "xml")
EXTENSIONS = {
    "ndjson": "ndjson",
    "jsonl": "ndjson",
    "json": "json",
    "csv": "csv",
    "parquet": "parquet",
    "pq": "parquet",
    "xml": "xml",
}

Reader = Callable[[Path], tuple[pl.DataFrame, list[Rejection]]]


def format_of(path: Path) -> str:
    """The event format from the file's extension."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    known = ", ".join(f".{e}" for e in EXTENSIONS)
    raise ValueError(f"{path}: cannot tell the format from {path.suffix!r}; use {known}")


def _bytes(path: Path) -> bytes:
    # Spreadsheet programs often start UTF-8 exports with a byte order mark; it is not data.
    return path.read_bytes().removeprefix(codecs.BOM_UTF8)


def _utf8(read: Callable[[bytes, str], tuple[pl.DataFrame, list[Rejection]]]) -> Reader:
    """A reader of UTF-8 text, for which a file in another encoding is one rejection."""

    def reader(path: Path) -> tuple[pl.DataFrame, list[Rejection]]:
        raw = _bytes(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            reason = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
            return empty_frame(), [Rejection(line, "", reason)]
        return read(raw, text)

    return reader


READERS: dict[str, Reader] = {
    "ndjson": _utf8(lambda raw, text: read_ndjson(text, raw)),
    "json": _utf8(lambda raw, _: read_json_array(raw)),
    "csv": _utf8(lambda _, text: read_csv(text)),
    "parquet": read_parquet,
    "xml": read_xml,
}


def read_events_file(path: Path, fmt: str | None = None) -> tuple[pl.DataFrame, list[Rejection]]:
    """Rows of an event file as text columns plus `_line`, and the unparseable rows.

    `fmt` (one of FORMATS) overrides the format the extension implies.
    """
    fmt = fmt or format_of(path)
    if fmt not in READERS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return READERS[fmt](path)
