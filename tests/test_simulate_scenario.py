"""Scenarios: the loader, its errors, the shipped scenario, and docs/simulate.md held equal."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from socialcredit.errors import SocialCreditError
from socialcredit.simulate.scenario import (
    BEHAVIOURS,
    KEYS,
    Scenario,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "simulate.md"
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _sections() -> dict[str, str]:
    """The text under each heading, by heading."""
    found: dict[str, list[str]] = {}
    current, fenced = "", False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            current = match.group(2)
            found[current] = []
        elif current:
            found[current].append(line)
    return {heading: "\n".join(lines) for heading, lines in found.items()}


def _first_cells(text: str) -> set[str]:
    """The code span opening the first cell of every table body row."""
    cells = set()
    for line in text.splitlines():
        first = line.strip().strip("|").split("|")[0].strip() if line.startswith("|") else ""
        span = _CODE_SPAN.match(first)
        if span:
            cells.add(span.group(1))
    return cells


def _documented(section: str) -> set[str]:
    if section == "top":
        return {name.strip("[]") for name in _first_cells(_sections()["Tables of a scenario"])}
    return _first_cells(_sections()[f"`[{section}]`"])


@pytest.mark.parametrize("section", sorted(KEYS))
def test_every_key_the_loader_accepts_is_documented_and_nothing_else(section: str) -> None:
    assert _documented(section) == set(KEYS[section])


def test_every_behaviour_is_documented() -> None:
    part = _sections()["`[behaviour.*]`"]
    rows = {line.split("|")[1].strip() for line in part.splitlines() if line.startswith("| ")}
    assert set(BEHAVIOURS) <= rows


def test_the_documented_example_parses() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks
    for block in blocks:
        parse_scenario(block, "docs/simulate.md")


def test_an_empty_scenario_is_the_default() -> None:
    assert parse_scenario("") == Scenario()


def test_the_shipped_scenario_loads_and_sets_every_table() -> None:
    assert "wendeng" in shipped_scenarios()
    scenario = load_scenario("wendeng")
    assert scenario.run.population == 100_000
    assert scenario.run.start == date(2024, 1, 1)
    assert "minority" in scenario.population.by_group
    text = shipped_scenarios()["wendeng"]
    assert all(f"[{table}" in text for table in KEYS["top"])


def test_a_scenario_file_on_disk_loads(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[run]\npopulation = 12\n[deterrence]\nfactor = 0.5\n", encoding="utf-8")
    scenario = load_scenario(str(path))
    assert scenario.run.population == 12
    assert scenario.deterrence.factor == 0.5


def test_flags_override_the_run_table() -> None:
    scenario = parse_scenario("[run]\npopulation = 12\nseed = 3\n")
    changed = scenario.with_run(population=50, seed=None)
    assert (changed.run.population, changed.run.seed) == (50, 3)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[run]\npopulaton = 3\n", ["[run]", "unknown key 'populaton'"]),
        ("[runs]\n", ["unknown table [runs]"]),
        ("[run]\npopulation = 'many'\n", ["[run]", "population"]),
        ("[deterrence]\nfactor = 2\n", ["[deterrence]", "factor"]),
        ("[deterrence]\nscope = 'family'\n", ["[deterrence]", "scope"]),
        ("[behaviour.speech]\nsigma = 1\n", ["[behaviour]", "unknown name 'speech'"]),
        ("[behaviour.driving]\nincome = { rich = 2 }\n", ["behaviour.driving.income", "rich"]),
        ("[population]\ngroups = {}\n", ["population.groups"]),
        ("[population.by_group.x]\ndistricts = { Longshan = 1 }\n", ["by_group", "'x'"]),
        ("[disputes]\ntrue = 1.5\n", ["[disputes]", "true"]),
        ("[false_reports]\nrate = 1\n", ["[false_reports]", "rate"]),
        ("[run\n", ["not valid TOML"]),
    ],
)
def test_a_bad_scenario_says_where(text: str, words: list[str]) -> None:
    with pytest.raises(SocialCreditError) as raised:
        parse_scenario(text, "s.toml")
    message = str(raised.value)
    assert message.startswith("s.toml: ")
    assert all(word in message for word in words), message


def test_an_unknown_scenario_names_the_shipped_ones() -> None:
    with pytest.raises(SocialCreditError, match=r"shipped: .*wendeng"):
        load_scenario("no-such-scenario")
