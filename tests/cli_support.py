"""Driving the `socialcredit` command in tests: a store in a temporary directory, a fixed
clock, and short ways to write events and run commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from socialcredit import bootstrap
from socialcredit.cli import app
from tests.scenario import ADULT

runner = CliRunner()


class Clock:
    """The command's clock, moved by the test; it starts at 2026-03-02 10:00 in Shanghai."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    def set(self, text: str) -> None:
        self.now = datetime.fromisoformat(text)

    def __call__(self) -> datetime:
        return self.now


def store_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *commands: tuple[str, ...]
) -> Clock:
    """A fresh store in `tmp_path` for the command, its clock in the test's hands, and these
    commands run on it first (each must succeed)."""
    clock = Clock()
    monkeypatch.setenv("SOCIALCREDIT_DB", str(tmp_path / "ledger.db"))
    monkeypatch.setattr(bootstrap, "clock", clock)
    for args in commands:
        result = run(*args)
        assert result.exit_code == 0, result.output
    return clock


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def event(i: int, when: str, subject: str = ADULT, **fields: Any) -> dict[str, Any]:
    record = {
        "id": f"tj-{i}",
        "source": "traffic.weihai",
        "subject": subject,
        "type": "traffic.fine",
        "occurred_at": when,
        "jurisdiction": "371003",
        "data": {"amount_cny": 800},
    }
    record.update(fields)
    return record


def ndjson(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def ingest(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run("ingest", str(path), "--json", *extra)
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)[0]


def score(subject: str, *extra: str) -> dict[str, Any]:
    result = run("score", subject, "--json", *extra)
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def verify() -> tuple[int, dict[str, Any]]:
    result = run("verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def quarantined(path: Path) -> list[dict[str, Any]]:
    target = path.with_name(path.name + ".quarantine.ndjson")
    return [json.loads(line) for line in target.read_text().splitlines()]
