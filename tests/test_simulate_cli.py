"""`socialcredit simulate`: help, a small run end to end, and one-line reasons for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from socialcredit.cli import app
from socialcredit.simulate.outputs import TABLES

runner = CliRunner()


def test_simulate_has_help_naming_its_flags() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    for flag in ("--population", "--days", "--rulebook", "--seed", "--out", "--json"):
        assert flag in result.stdout


def test_a_small_run_writes_every_table_and_a_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["simulate", "--population", "900", "--days", "200", "--seed", "3"]
    result = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["people"] == 900
    assert summary["days"] == 200
    assert summary["out"] == str(out)
    assert abs(sum(summary["final_grades"].values()) - 1) < 1e-3
    for name in TABLES:
        assert (out / f"{name}.parquet").is_file(), name
    grades = pl.read_parquet(out / "grades.parquet")
    per_month = grades.group_by("month").agg(pl.col("people").sum())
    assert per_month.get_column("people").to_list() == [900] * per_month.height
    assert per_month.height == 7  # January to the middle of July
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert written["events"] == summary["events"]


def test_a_scenario_file_runs_with_its_own_settings(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("[run]\npopulation = 500\ndays = 60\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(scenario), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "500 people, 60 days" in result.stdout


def test_a_bad_scenario_exits_2_with_one_line(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("[run]\npeople = 5\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(scenario), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown key 'people'" in result.output
    assert not (tmp_path / "o").exists()


def test_an_unknown_rulebook_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["simulate", "--rulebook", "nowhere", "--population", "10", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no rulebook 'nowhere'" in result.output


def test_a_bad_flag_value_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--population", "0", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "population" in result.output
