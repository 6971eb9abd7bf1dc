"""XML: `<events>` holding `<event>` elements; `_line` is the line of the `<event>` tag.

An event's fields are its child elements (`<id>ev-1</id>`) or its attributes
(`<event id="ev-1">`); the children of `<data>` (or its attributes) are the data fields.
Text is taken with surrounding whitespace removed, since XML files are usually indented.

XML can only be read element by element, so this is the one reader that builds its rows
in Python. It runs on expat, which knows the line of every tag. A document type
declaration is refused outright: it is where entities are declared, and entities that
expand into each other can grow a small file into gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import polars as pl

from socialcredit.ingest.formats.textframe import TOP_LEVEL, Rejection, rows_frame

__all__ = ["read_xml"]

_NO_DTD = "a document type declaration (DTD) is refused: its entities could expand without bound"


class _RefusedError(Exception):
    """Stops the parse: the document as a whole cannot be read from here on."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


@dataclass
class _Event:
    """The event being read: its fields so far, and the first thing wrong with it."""

    line: int
    fields: dict[str, str | None]
    data: dict[str, str | None] = field(default_factory=dict)
    problem: str | None = None

    def put(self, into: dict[str, str | None], name: str, text: str | None) -> None:
        if name in into:
            self.problem = self.problem or f"<{name}> is given more than once"
        into[name] = text or None

    def row(self) -> dict[str, str | None]:
        kept = {k: v for k, v in self.data.items() if k not in TOP_LEVEL and k not in self.fields}
        return {**self.fields, **kept}


class _Reader:
    """Expat handlers that turn each `<event>` into a row, or into a rejection."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.open: list[str] = []
        self.event: _Event | None = None
        self.text: list[str] | None = None  # of the field element open at depth `self.at`
        self.at = 0
        self.rows: list[dict[str, str | None]] = []
        self.lines: list[int] = []
        self.rejected: list[Rejection] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        depth, line = len(self.open), self.parser.CurrentLineNumber
        self.open.append(name)
        if depth == 0 and name != "events":
            raise _RefusedError(line, f"the root element must be <events>, not <{name}>")
        if depth == 1:
            self.event = _Event(line, {})
            if name != "event":
                self.event.problem = f"<{name}> is not an <event>"
            for key, value in attributes.items():
                self.event.put(self.event.fields, key, value.strip())
        elif depth == 2 and name == "data" and self.event:
            for key, value in attributes.items():
                self.event.put(self.event.data, key, value.strip())
        elif self.text is None and (depth == 2 or (depth == 3 and self.open[2] == "data")):
            self.text, self.at = [], depth
        elif self.event:
            self.event.problem = self.event.problem or (
                f"<{self.open[-2]}> holds an element <{name}>; a field holds only text"
            )

    def end(self, name: str) -> None:
        self.open.pop()
        depth = len(self.open)
        if self.event and self.text is not None and depth == self.at:
            into = self.event.data if depth == 3 else self.event.fields
            self.event.put(into, name, "".join(self.text).strip())
            self.text = None
        if depth == 1 and self.event:
            self._finish(self.event)
            self.event = None

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)
        elif self.event and data.strip():
            self.event.problem = self.event.problem or f"text {data.strip()!r} outside a field"

    def _finish(self, event: _Event) -> None:
        if event.problem:
            self.rejected.append(Rejection(event.line, "", event.problem))
        else:
            self.rows.append(event.row())
            self.lines.append(event.line)

    def refuse_dtd(self, *_: object) -> None:
        raise _RefusedError(self.parser.CurrentLineNumber, _NO_DTD)


def _parser() -> tuple[expat.XMLParserType, _Reader]:
    parser = expat.ParserCreate()
    reader = _Reader(parser)
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    parser.StartDoctypeDeclHandler = reader.refuse_dtd
    parser.EntityDeclHandler = reader.refuse_dtd
    return parser, reader


def _broken(reader: _Reader, exc: expat.ExpatError) -> Rejection:
    reason = f"not well-formed XML: {expat.ErrorString(exc.code)}"
    if reader.event:
        reason += f" (the <event> of line {reader.event.line} and all after it are not read)"
    return Rejection(exc.lineno, "", reason)


def read_xml(path: Path) -> tuple[pl.DataFrame, list[Rejection]]:
    """Rows of an XML event file; the events before a syntax error are kept."""
    parser, reader = _parser()
    with path.open("rb") as file:
        try:
            parser.ParseFile(file)
        except _RefusedError as exc:
            reader.rejected.append(Rejection(exc.line, "", exc.reason))
        except expat.ExpatError as exc:
            reader.rejected.append(_broken(reader, exc))
    return rows_frame(reader.rows, reader.lines), reader.rejected
