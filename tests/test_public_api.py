"""The public API is explicit, and changes to it are deliberate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import socialcredit

ROOT = Path(__file__).parents[1]
PUBLIC = [
    "Entry",
    "Event",
    "EventError",
    "IdentifierError",
    "Plan",
    "Rulebook",
    "RulebookError",
    "SocialCreditError",
    "Standing",
    "UnknownRulebookError",
    "__version__",
    "build_plan",
    "check_plan",
    "derive_entries",
    "evaluate_events",
    "evaluate_file",
    "parse_rulebook",
    "plan_for",
    "standings",
]


def test_public_names_are_pinned() -> None:
    assert sorted(socialcredit.__all__) == sorted(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(socialcredit, name) is not None


def test_package_ships_its_type_marker() -> None:
    assert (ROOT / "src" / "socialcredit" / "py.typed").exists()


def test_ruff_finds_nothing() -> None:
    for args in (["check", "."], ["format", "--check", "."]):
        run = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_passes_strict_on_the_core() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
