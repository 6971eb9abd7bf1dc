"""The run's report: one self-contained HTML page built from a finished run's Parquet files.

The numbers are aggregated with Polars first (a handful of rows per month, per rule, per
group), so the page costs the same for a thousand people as for a hundred million. The
charts are inline SVG (`simulate/charts.py`). Every chart has a table of its numbers beneath
it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.charts import bars, line_chart, stacked_bars
from socialcredit.simulate.outputs import TABLES

__all__ = ["FOUR_FIFTHS", "Figures", "figures_of", "read_run", "render", "write_report"]

# Ratios outside these bounds flag a disparate impact (the four-fifths rule and its inverse).
FOUR_FIFTHS = (0.8, 1.25)
_TOP_RULES = 10
_SPANS = ((0, 30), (31, 90), (91, 180), (181, 365), (366, None))


@dataclass(frozen=True)
class Figures:
    """What the report shows, already aggregated: a few rows per table."""

    run: dict[str, object]
    grades: tuple[str, ...]
    low: tuple[str, ...]
    grade_shares: pl.DataFrame
    flows: pl.DataFrame
    top_rules: pl.DataFrame
    by_group: pl.DataFrame
    by_district: pl.DataFrame
    wrongful: dict[str, object]
    wrongful_spans: pl.DataFrame


def read_run(folder: Path) -> dict[str, pl.DataFrame]:
    """Every table of a finished run in `folder`."""
    missing = [t for t in TABLES if not (folder / f"{t}.parquet").is_file()]
    if missing:
        raise SocialCreditError(
            f"{folder}: no {missing[0]}.parquet; give the --out folder of a finished simulation"
        )
    return {t: pl.read_parquet(folder / f"{t}.parquet") for t in TABLES}


def write_report(folder: Path) -> Path:
    """`report.html` in `folder`, from the run's files there."""
    path = folder / "report.html"
    page = render(figures_of(read_run(folder), _settings(folder)))
    path.write_text(page, encoding="utf-8", newline="\n")
    return path


def _settings(folder: Path) -> dict[str, object]:
    path = folder / "scenario.json"
    if not path.is_file():
        return {}
    run = json.loads(path.read_text(encoding="utf-8")).get("run", {})
    return dict(run) if isinstance(run, dict) else {}


def figures_of(tables: dict[str, pl.DataFrame], run: dict[str, object]) -> Figures:
    """The report's numbers from the run's tables and its `[run]` settings."""
    grades = _grade_order(tables["grades"], run)
    low = _low_grades(grades)
    spans, wrongful = _wrongful(tables["wrongful_listings"], tables["entries"])
    return Figures(
        run=run,
        grades=grades,
        low=low,
        grade_shares=_grade_shares(tables["grades"], grades),
        flows=_flows(tables["list_flows"], tables["list_sizes"], tables["grades"]),
        top_rules=_top_rules(tables["entries"]),
        by_group=_impact(tables, "group", low),
        by_district=_impact(tables, "district", low),
        wrongful=wrongful,
        wrongful_spans=spans,
    )


# --- the numbers ---------------------------------------------------------------------------


def _grade_order(grades: pl.DataFrame, run: dict[str, object]) -> tuple[str, ...]:
    # Best first, as the rulebook's scale has them; by name (AAA before AA before A) when
    # the rulebook can no longer be found.
    found = sorted(set(grades.get_column("grade").to_list()))
    try:
        plan = plan_for(str(run.get("rulebook", "")))
        names = plan.latest.grades.names if plan.latest.grades else ()
    except SocialCreditError:
        names = ()
    known = [g for g in names if g in found]
    rest = sorted((g for g in found if g not in known), key=lambda g: (g[:1], -len(g), g))
    return (*known, *rest)


def _low_grades(grades: tuple[str, ...]) -> tuple[str, ...]:
    # "C or worse" where there is a C; otherwise the two worst grades.
    if "C" in grades:
        return grades[grades.index("C") :]
    return grades[-2:]


def _months() -> pl.Expr:
    return pl.col("month").dt.strftime("%Y-%m")


def _grade_shares(grades: pl.DataFrame, order: tuple[str, ...]) -> pl.DataFrame:
    counts = grades.group_by("month", "grade").agg(pl.col("people").sum())
    wide = counts.pivot("grade", index="month", values="people").fill_null(0).sort("month")
    for grade in order:
        if grade not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.Int64).alias(grade))
    total = pl.sum_horizontal(*order)
    return wide.select(_months(), *((pl.col(g) / total).alias(g) for g in order))


def _flows(flows: pl.DataFrame, sizes: pl.DataFrame, grades: pl.DataFrame) -> pl.DataFrame:
    months = grades.select("month").unique()
    ways = ("entered", "performed", "withdrawn", "expired")
    by_flow = flows.group_by("month", "flow").agg(pl.col("listings").sum())
    wide = months.join(
        by_flow.pivot("flow", index="month", values="listings"), on="month", how="left"
    )
    listed = sizes.group_by("month").agg(pl.col("listed").sum())
    wide = wide.join(listed, on="month", how="left").fill_null(0).sort("month")
    for way in ways:
        if way not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.Int64).alias(way))
    left = pl.col("performed") + pl.col("withdrawn") + pl.col("expired")
    return wide.select(_months(), *ways, left.alias("left"), "listed")


def _top_rules(entries: pl.DataFrame) -> pl.DataFrame:
    counted = entries.group_by("rule", "kind").agg(pl.col("entries").sum(), pl.col("points").sum())
    return counted.sort(["entries", "rule", "kind"], descending=[True, False, False]).head(
        _TOP_RULES
    )


def _impact(tables: dict[str, pl.DataFrame], by: str, low: tuple[str, ...]) -> pl.DataFrame:
    # At the last month end: the share of each group in a low grade; over the run: listings
    # entered per 1,000 people. Each divided by the reference (the largest group).
    grades = tables["grades"].filter(pl.col("month") == pl.col("month").max())
    people = grades.group_by(by).agg(
        pl.col("people").sum(),
        pl.col("people").filter(pl.col("grade").is_in(list(low))).sum().alias("low"),
    )
    flows = tables["list_flows"].filter(pl.col("flow") == "entered")
    listings = flows.group_by(by).agg(pl.col("listings").sum())
    frame = people.join(listings, on=by, how="left").fill_null(0)
    frame = frame.sort(["people", by], descending=[True, False]).with_columns(
        low_share=pl.col("low") / pl.col("people"),
        listed_rate=pl.col("listings") * 1000 / pl.col("people"),
    )
    return frame.with_columns(
        low_ratio=_ratio(pl.col("low_share")), listed_ratio=_ratio(pl.col("listed_rate"))
    )


def _ratio(value: pl.Expr) -> pl.Expr:
    reference = value.first()
    return pl.when(reference > 0).then(value / reference).otherwise(None)


def _wrongful(
    listings: pl.DataFrame, entries: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, object]]:
    days = listings.get_column("days")
    spans = pl.DataFrame(
        {
            "days": [f"{a} to {b}" if b else f"over {a - 1}" for a, b in _SPANS],
            "listings": [
                int(days.filter((days >= a) & (days < (b + 1 if b else float("inf")))).len())
                for a, b in _SPANS
            ],
        }
    )
    endings = listings.group_by("ending").agg(pl.len()).sort("ending")
    wrong_entries = entries.filter(pl.col("wrongful")).get_column("entries").sum()
    numbers: dict[str, object] = {
        "entries": int(wrong_entries),
        "people": listings.get_column("person").n_unique(),
        "listings": listings.height,
        "still": int(listings.get_column("until").is_null().sum()),
        "mean": float(days.mean() or 0.0),  # type: ignore[arg-type]
        "median": float(days.median() or 0.0),  # type: ignore[arg-type]
        "max": float(days.max() or 0.0),  # type: ignore[arg-type]
        "endings": {str(e): int(n) for e, n in endings.iter_rows()},
    }
    return spans, numbers


# --- the charts ----------------------------------------------------------------------------


_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;max-width:60rem;
margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #767676;padding:.2rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
caption{text-align:left;font-weight:600;padding:.3rem 0}
/* inline SVG in HTML needs no namespace: the page names no address at all */
svg{max-width:100%;height:auto;font:12px system-ui,sans-serif}
svg text{fill:#1a1a1a} svg line{stroke:#d0d0d0} svg .frame{fill:none;stroke:#767676}
svg .line{stroke-width:2.5}
.flag{color:#8b0000;font-weight:700}
"""


def _table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><caption>{escape(caption)}</caption><tr>{cells}</tr>{body}</table>"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _ratio_text(value: float | None) -> str:
    if value is None:
        return "—"
    low, high = FOUR_FIFTHS
    flag = " (flagged)" if value < low or value > high else ""
    return f"{value:.2f}{flag}"


def render(figures: Figures) -> str:
    """The whole page, as one string; the same figures give the same bytes."""
    rulebook = str(figures.run.get("rulebook", "a rulebook"))
    title = f"Simulation of {rulebook}"
    sections = [
        _intro(figures),
        _grades_section(figures),
        _list_section(figures),
        _rules_section(figures),
        _impact_section(figures),
        _wrongful_section(figures),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(title)}</h1>\n" + "\n".join(sections) + "\n</main>\n</body>\n</html>\n"
    )


def _intro(figures: Figures) -> str:
    run = figures.run
    shares = figures.grade_shares
    people = figures.by_group.get_column("people").sum()
    known = [
        f"{key} {escape(str(run[key]))}"
        for key in ("population", "start", "days", "seed")
        if key in run
    ]
    settings = f" ({', '.join(known)})" if known else ""
    return (
        f"<p>{people:,} people over {shares.height} months{settings}. Grades are as at each "
        "month end; counts come from the run's Parquet files in the same folder.</p>"
    )


def _grades_section(figures: Figures) -> str:
    shares = figures.grade_shares
    labels = shares.get_column("month").to_list()
    series = {g: shares.get_column(g).to_list() for g in figures.grades}
    chart = stacked_bars("grades", "Share of people in each grade by month", labels, series)
    rows = [[row[0], *(_pct(v) for v in row[1:])] for row in shares.iter_rows()]
    table = _table("Grade shares by month", ["month", *figures.grades], rows)
    return f"<section>\n<h2>Grades over time</h2>\n{chart}\n{table}\n</section>"


def _list_section(figures: Figures) -> str:
    flows = figures.flows
    labels = flows.get_column("month").to_list()
    series = {
        "entered": flows.get_column("entered").to_list(),
        "left": flows.get_column("left").to_list(),
    }
    chart = line_chart("flows", "Listings entered and left by month", labels, series)
    head = ["month", "entered", "performed", "withdrawn", "expired", "left", "listed at end"]
    rows = [
        [str(v) if i == 0 else f"{v:,}" for i, v in enumerate(row)] for row in flows.iter_rows()
    ]
    table = _table("List inflow and outflow by month", head, rows)
    return (
        "<section>\n<h2>The list: inflow and outflow</h2>\n<p>Listings that took effect each "
        "month, and those that ended: on performance of the judgment, withdrawn, or "
        f"expired.</p>\n{chart}\n{table}\n</section>"
    )


def _rules_section(figures: Figures) -> str:
    top = figures.top_rules
    labels = [f"{r} ({k})" for r, k in top.select("rule", "kind").iter_rows()]
    values = [float(v) for v in top.get_column("entries").to_list()]
    chart = bars("rules", "Entries by rule, the most frequent first", labels, values)
    rows = [[r, k, f"{n:,}", f"{p:,}"] for r, k, n, p in top.iter_rows()]
    table = _table(
        "The rules that made the most entries", ["rule", "kind", "entries", "points"], rows
    )
    return (
        f"<section>\n<h2>The rules that move most people</h2>\n<p>The {len(rows)} rules that "
        f"made the most entries over the run, with the points they applied.</p>\n{chart}\n"
        f"{table}\n</section>"
    )


def _impact_section(figures: Figures) -> str:
    low, high = FOUR_FIFTHS
    grades = f"{figures.low[0]} or worse" if len(figures.low) > 1 else "".join(figures.low)
    tables = [
        _impact_table(figures.by_group, "group"),
        _impact_table(figures.by_district, "district"),
    ]
    flagged = _flagged(figures.by_group, "group") + _flagged(figures.by_district, "district")
    verdict = (
        '<p class="flag">Flagged: ' + escape("; ".join(flagged)) + ".</p>"
        if flagged
        else "<p>No ratio falls outside the four-fifths bounds.</p>"
    )
    return (
        "<section>\n<h2>Disparate impact by group and district</h2>\n"
        f"<p>For each audit group and district: the share of its people in grade {escape(grades)} "
        "at the end of the run, and the listings it entered per 1,000 people, each divided by the "
        "same figure for the largest group or district (the reference, listed first). "
        f"By the four-fifths rule a ratio below {low} or above {high} is flagged: here the "
        f"outcomes are adverse, so a ratio above {high} means the rulebook falls harder on that "
        f"group than on the reference, and one below {low} that it falls harder on the reference. "
        "Where a group or district has few people or listings, a ratio moves by chance: read a "
        f"flag with the counts beside it.</p>\n{verdict}\n" + "\n".join(tables) + "\n</section>"
    )


def _impact_table(frame: pl.DataFrame, by: str) -> str:
    head = [by, "people", "low grade", "ratio", "listings per 1,000", "ratio"]
    rows = [
        [
            str(r[by]),
            f"{r['people']:,}",
            _pct(r["low_share"]),
            _ratio_text(r["low_ratio"]),
            f"{r['listed_rate']:.2f}",
            _ratio_text(r["listed_ratio"]),
        ]
        for r in frame.iter_rows(named=True)
    ]
    return _table(f"Disparate impact by {by}", head, rows)


def _flagged(frame: pl.DataFrame, by: str) -> list[str]:
    low, high = FOUR_FIFTHS
    found = []
    for r in frame.iter_rows(named=True):
        for measure, key in (("low grade", "low_ratio"), ("listings", "listed_ratio")):
            value = r[key]
            if value is not None and not low <= value <= high:
                found.append(f"{by} {r[by]}, {measure}: ratio {value:.2f}")
    return found


def _wrongful_section(figures: Figures) -> str:
    w = figures.wrongful
    endings = dict(w["endings"])  # type: ignore[call-overload]
    spans = figures.wrongful_spans
    rows = [[d, f"{n:,}"] for d, n in spans.iter_rows()]
    ended = [[e, f"{n:,}"] for e, n in endings.items()]
    by_ending = _table("Wrongful listings by how they ended", ["ending", "listings"], ended)
    return (
        "<section>\n<h2>Listed on false reports</h2>\n"
        f"<p>False reports made {w['entries']:,} entries and put {w['people']:,} people on the "
        f"list ({w['listings']:,} listings). They stayed listed {w['mean']:.1f} days on average "
        f"(median {w['median']:.1f}, longest {w['max']:.1f}); {w['still']:,} were still listed "
        "when the run ended (their days count to the end of the run).</p>\n"
        + _table("Wrongful listings by days listed", ["days listed", "listings"], rows)
        + ("\n" + by_ending if ended else "")
        + "\n</section>"
    )
