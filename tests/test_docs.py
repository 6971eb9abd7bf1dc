"""docs/rulebooks.md, the reference of the rulebook format, held equal to the code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from socialcredit.domain.taxonomy import DOMAINS, FORBIDDEN_TERMS, PURPOSES
from socialcredit.rules.loader import KEYS, parse_rulebook
from socialcredit.rules.plan import build_plan
from socialcredit.rules.validate import problems_in
from socialcredit.services.rulebooks import bundled_catalog

DOC = Path(__file__).resolve().parent.parent / "docs" / "rulebooks.md"

# The "top" keys are spelt as the tables they open; these three are arrays of tables.
ARRAYS = frozenset({"rule", "list", "consequence"})
TOP_HEADING = "Top-level tables"
MINIMAL_HEADER = '[rulebook]\nid = "fragment"\nversion = "1"\neffective = 2025-01-01\n'

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str


@cache
def _lines() -> tuple[str, ...]:
    return tuple(DOC.read_text(encoding="utf-8").splitlines())


@cache
def _headings() -> tuple[Heading, ...]:
    found, fenced = [], False
    for number, line in enumerate(_lines()):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _HEADING.match(line)):
            found.append(Heading(number, len(match.group(1)), match.group(2)))
    return tuple(found)


def _sections_named(heading: Heading) -> set[str]:
    """The loader sections a heading names: `[[rule]]`, `rule.points`, or the top level."""
    names = {span.strip("[]") for span in _CODE_SPAN.findall(heading.text)} & set(KEYS)
    return names | ({"top"} if heading.text == TOP_HEADING else set())


def _part(section: str) -> str:
    """The text under the one heading naming `section`, up to the next heading of the same
    or a higher level or the next heading naming another section."""
    headings = _headings()
    mine = [i for i, h in enumerate(headings) if section in _sections_named(h)]
    assert len(mine) == 1, f"{len(mine)} headings name section {section!r}, want exactly one"
    start = headings[mine[0]]
    end = len(_lines())
    for later in headings[mine[0] + 1 :]:
        if later.level <= start.level or _sections_named(later) - {section}:
            end = later.line
            break
    return "\n".join(_lines()[start.line + 1 : end])


def _part_under(title: str) -> str:
    """The text under the heading titled `title`, with its subsections."""
    headings = _headings()
    start = next(h for h in headings if h.text == title)
    later = [h.line for h in headings if h.line > start.line and h.level <= start.level]
    return "\n".join(_lines()[start.line + 1 : later[0] if later else len(_lines())])


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of every Markdown table in `text`, as lists of cells."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and not set("".join(cells)) <= set("-: "):
            rows.append(cells)
    return rows


def _key_rows(text: str) -> list[list[str]]:
    """Rows of the key | type | required | meaning tables in `text`, headers left out."""
    return [row for row in _table_rows(text) if row[0] != "key" and len(row) == 4]


def _spelling(section: str, key: str) -> str:
    if section != "top":
        return key
    return f"[[{key}]]" if key in ARRAYS else f"[{key}]"


def _code_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced code block."""
    blocks: list[tuple[str, str]] = []
    language: str | None = None
    body: list[str] = []
    for line in _lines():
        fence = _FENCE.match(line)
        if fence and language is None:
            language, body = fence.group(1), []
        elif fence:
            blocks.append((language or "", "\n".join(body)))
            language = None
        elif language is not None:
            body.append(line)
    return blocks


def _toml_blocks() -> list[str]:
    return [text for language, text in _code_blocks() if language == "toml"]


def _name(block: str) -> str:
    """A test id for a TOML block: the first id it sets, else its first line."""
    found = re.search(r'^id = "([^"]+)"', block, re.MULTILINE)
    return found.group(1) if found else block.splitlines()[0]


def _complete_examples() -> list[str]:
    return [block for block in _toml_blocks() if "[rulebook]" in block]


@pytest.mark.parametrize("section", sorted(KEYS))
def test_every_key_the_loader_accepts_is_documented(section: str) -> None:
    part = _part(section)
    missing = [key for key in sorted(KEYS[section]) if f"`{_spelling(section, key)}`" not in part]
    assert not missing, f"docs/rulebooks.md does not document {section} keys {missing}"


@pytest.mark.parametrize("section", sorted(KEYS))
def test_every_documented_key_is_accepted_by_the_loader(section: str) -> None:
    accepted = {_spelling(section, key) for key in KEYS[section]}
    documented = {
        span for row in _key_rows(_part(section)) for span in _CODE_SPAN.findall(row[0])[:1]
    }
    assert documented, f"no key table under the heading of {section}"
    assert documented <= accepted, f"documented but not accepted: {documented - accepted}"


def test_the_domain_table_lists_exactly_the_closed_domains() -> None:
    rows = _table_rows(_part_under("Domains"))
    documented = {span for row in rows for span in _CODE_SPAN.findall(row[0])}
    assert documented == DOMAINS


def test_every_purpose_is_documented_with_exactly_its_related_domains() -> None:
    documented: dict[str, frozenset[str]] = {}
    for purposes, domains in (row[:2] for row in _table_rows(_part_under("Purposes"))):
        for purpose in _CODE_SPAN.findall(purposes):
            documented[purpose] = frozenset(_CODE_SPAN.findall(domains))
    assert documented == dict(PURPOSES)


def test_every_forbidden_word_is_documented() -> None:
    part = _part_under("Forbidden words")
    missing = sorted(word for word in FORBIDDEN_TERMS if f"`{word}`" not in part)
    assert not missing


def test_every_wendeng_event_type_is_in_the_vocabulary_table() -> None:
    part = _part_under("Event vocabulary of `cn-371003-wendeng`")
    types = bundled_catalog().plan("cn-371003-wendeng").known_types()
    assert not sorted(t for t in types if f"`{t}`" not in part)


def test_the_document_has_complete_toml_examples() -> None:
    assert _complete_examples()


@pytest.mark.parametrize("example", _complete_examples(), ids=_name)
def test_every_complete_toml_example_parses(example: str) -> None:
    parse_rulebook(example, "docs/rulebooks.md")


@pytest.mark.parametrize("example", _complete_examples(), ids=_name)
def test_every_complete_toml_example_keeps_every_safeguard(example: str) -> None:
    catalog = bundled_catalog()
    book = parse_rulebook(example, "docs/rulebooks.md")
    catalog.add(book)
    assert problems_in(build_plan(catalog.books, book.id)) == []


@pytest.mark.parametrize(
    "fragment", [block for block in _toml_blocks() if "[rulebook]" not in block], ids=_name
)
def test_every_toml_fragment_parses_under_a_minimal_header(fragment: str) -> None:
    parse_rulebook(MINIMAL_HEADER + fragment, "docs/rulebooks.md")
