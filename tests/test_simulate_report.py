"""`report.html`: self-contained, accessible, deterministic, and built from the Parquet alone."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from socialcredit.cli import app
from socialcredit.simulate.report import figures_of, read_run, render, write_report

runner = CliRunner()
SCENARIO = "[run]\npopulation = 4000\ndays = 240\nseed = 5\n[false_reports]\nrate = 0.3\n"


def _simulate(folder: Path, *flags: str) -> None:
    scenario = folder.parent / f"{folder.name}.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(scenario), "--out", str(folder), *flags])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "run"
    _simulate(folder)
    return folder


@pytest.fixture(scope="module")
def page(run: Path) -> str:
    return (run / "report.html").read_text(encoding="utf-8")


def test_a_run_writes_its_report_by_default(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert "<title>Simulation of cn-371003-wendeng</title>" in page


def test_the_report_names_no_address_and_needs_no_script(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "<link" not in page
    assert "<img" not in page


def test_the_report_has_a_section_for_each_question(page: str) -> None:
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings == [
        "Grades over time",
        "The list: inflow and outflow",
        "The rules that move most people",
        "Disparate impact by group and district",
        "Listed on false reports",
    ]


def test_every_chart_is_labelled_and_followed_by_its_numbers(page: str) -> None:
    charts = re.findall(r"<svg .*?</svg>\s*(<\w+)", page, flags=re.S)
    assert len(charts) == 3
    assert charts == ["<table"] * 3
    assert page.count('role="img"') == 3
    assert len(re.findall(r"<svg [^>]*aria-labelledby=\"(\w+)-t\"><title id=\"\1-t\">", page)) == 3


def test_grade_shares_in_the_table_sum_to_one_each_month(run: Path) -> None:
    figures = figures_of(read_run(run), {"rulebook": "cn-371003-wendeng"})
    shares = figures.grade_shares
    assert figures.grades == ("AAA", "AA", "A", "B", "C", "D")
    assert shares.height == 8
    totals = shares.select(pl.sum_horizontal(*figures.grades)).to_series().to_list()
    assert totals == pytest.approx([1.0] * 8)


def test_list_flows_match_the_parquet(run: Path) -> None:
    flows = pl.read_parquet(run / "list_flows.parquet")
    entered = flows.filter(pl.col("flow") == "entered").get_column("listings").sum()
    figures = figures_of(read_run(run), {})
    assert figures.flows.get_column("entered").sum() == entered


def test_people_listed_on_false_reports_are_counted_with_their_days(run: Path, page: str) -> None:
    wrongful = pl.read_parquet(run / "wrongful_listings.parquet")
    assert wrongful.height > 0, "the scenario should list someone on a false report"
    people = wrongful.get_column("person").n_unique()
    mean = wrongful.get_column("days").mean()
    assert f"put {people:,} people on the list" in page
    assert f"{mean:.1f} days on average" in page


def test_the_same_seed_gives_a_byte_identical_report(run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    _simulate(again)
    assert (again / "report.html").read_bytes() == (run / "report.html").read_bytes()


def test_the_report_is_rebuilt_from_a_finished_run(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in run.iterdir():
        if path.suffix in {".parquet", ".json"}:
            (copy / path.name).write_bytes(path.read_bytes())
    result = runner.invoke(app, ["simulate", "--from", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "report.html").read_bytes() == (run / "report.html").read_bytes()


def test_no_report_leaves_only_the_tables(tmp_path: Path) -> None:
    folder = tmp_path / "bare"
    _simulate(folder, "--no-report")
    assert (folder / "grades.parquet").is_file()
    assert not (folder / "report.html").exists()


def test_a_folder_without_a_run_exits_2_naming_the_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--from", str(tmp_path)])
    assert result.exit_code == 2
    assert "grades.parquet" in result.output
    assert not (tmp_path / "report.html").exists()


def _grades_at_the_end(tables: dict[str, pl.DataFrame], rows: list[tuple[str, str, int]]) -> None:
    # Replace the last month's grades with people by (group, grade), all in one district.
    end = tables["grades"].get_column("month").max()
    assert isinstance(end, date)
    tables["grades"] = pl.DataFrame(
        {
            "month": [end] * len(rows),
            "district": ["Longshan"] * len(rows),
            "group": [g for g, _, _ in rows],
            "income": ["middle"] * len(rows),
            "grade": [grade for _, grade, _ in rows],
            "people": [n for _, _, n in rows],
        }
    )


def test_a_group_twice_as_often_in_grade_c_or_worse_is_flagged(run: Path) -> None:
    tables = read_run(run)
    _grades_at_the_end(tables, [("a", "A", 900), ("a", "C", 100), ("b", "A", 400), ("b", "D", 100)])
    figures = figures_of(tables, {"rulebook": "cn-371003-wendeng"})
    ratios = dict(figures.by_group.select("group", "low_ratio").iter_rows())
    assert ratios == {"a": pytest.approx(1.0), "b": pytest.approx(2.0)}
    assert "group b, low grade: ratio 2.00" in render(figures)


def test_ratios_within_four_fifths_are_not_flagged(run: Path) -> None:
    tables = read_run(run)
    tables["list_flows"] = tables["list_flows"].clear()
    _grades_at_the_end(tables, [("a", "A", 900), ("a", "C", 100), ("b", "A", 890), ("b", "C", 110)])
    page = render(figures_of(tables, {}))
    assert "Flagged:" not in page
    assert "No ratio falls outside the four-fifths bounds." in page


def test_write_report_overwrites_with_the_same_bytes(run: Path) -> None:
    before = (run / "report.html").read_bytes()
    assert write_report(run).read_bytes() == before
