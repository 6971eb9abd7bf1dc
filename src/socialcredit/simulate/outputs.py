"""The run's outputs: small tables counted per chunk, summed over chunks, written as Parquet.

Every table is long-form counts by month and by the audit's cells (district, group, income
band), so that a report can slice them any way: grade shares over time, list sizes and
flows, entries by rule, disputes and their outcomes, wrongful listings one row each. Counts
are summed over chunks and sorted, so the files do not depend on how the run was chunked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.kernel.compiled import compiled
from socialcredit.kernel.derivation import STATUS
from socialcredit.simulate.recourse import Outcome, Recourse, Way
from socialcredit.simulate.scenario import Scenario
from socialcredit.simulate.spells import NEVER, Ending, Spells

__all__ = ["TABLES", "Cells", "Tally"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_DAY = 86_400
# The files a run writes, each `<name>.parquet`, and the counts they hold.
TABLES = (
    "grades",
    "entries",
    "repairs",
    "disputes",
    "list_sizes",
    "list_flows",
    "wrongful_listings",
)
_CELL = ("district", "group", "income")
_GRADES = 64  # room for the grade ranks of any scale
_STATUS = dict(enumerate(STATUS.to_list()))


@dataclass(frozen=True)
class Cells:
    """Each person's audit cell: one number for (district, group, income band)."""

    districts: tuple[str, ...]
    groups: tuple[str, ...]
    incomes: tuple[str, ...]

    @staticmethod
    def of(scenario: Scenario) -> Cells:
        """The scenario's names, in the order people's codes use them."""
        mix = scenario.population
        return Cells(tuple(mix.districts), tuple(mix.groups), tuple(mix.income_bands))

    @property
    def size(self) -> int:
        """How many cells there are."""
        return len(self.districts) * len(self.groups) * len(self.incomes)

    def code(self, district: Ints, group: Ints, income: Ints) -> Ints:
        """One cell code per person."""
        cell: Ints = (district * len(self.groups) + group) * len(self.incomes) + income
        return cell

    def names(self) -> pl.DataFrame:
        """Cell code to district, group and income band names."""
        d, g, i = len(self.districts), len(self.groups), len(self.incomes)
        cell = np.arange(d * g * i)
        return pl.DataFrame(
            {
                "cell": cell,
                "district": [self.districts[c // (g * i)] for c in cell],
                "group": [self.groups[c // i % g] for c in cell],
                "income": [self.incomes[c % i] for c in cell],
            }
        )


@compiled
def _grade_counts(cell: Ints, ranks: npt.NDArray[np.int8], cells: int) -> Ints:
    # People by (month, cell, grade rank), without a code per person and month.
    counts = np.zeros((ranks.shape[0], cells, _GRADES), np.int64)
    for month in range(ranks.shape[0]):
        for person in range(ranks.shape[1]):
            counts[month, cell[person], ranks[month, person]] += 1
    return counts


def _counts(frame: pl.DataFrame, keys: list[str], **sums: pl.Expr) -> pl.DataFrame:
    totals = {name: expr.cast(pl.Int64) for name, expr in sums.items()}
    return frame.group_by(keys).agg(**totals)


@dataclass
class Tally:
    """Counts so far, per table, still keyed by codes."""

    cells: Cells
    months: list[date]
    grade_names: tuple[str, ...]
    parts: dict[str, list[pl.DataFrame]] = field(default_factory=lambda: {t: [] for t in TABLES})
    totals: dict[str, int] = field(default_factory=lambda: {"people": 0, "events": 0, "entries": 0})

    def grades(self, cell: Ints, ranks: npt.NDArray[np.int8]) -> None:
        """People by month, cell and grade rank (`ranks`: months by people)."""
        size = self.cells.size
        counts = _grade_counts(cell, ranks, size).ravel()
        found = np.flatnonzero(counts)
        month, rest = np.divmod(found, size * _GRADES)
        self.parts["grades"].append(
            pl.DataFrame(
                {"month": month, "cell": rest // _GRADES, "grade": rest % _GRADES},
                schema=dict.fromkeys(("month", "cell", "grade"), pl.Int64),
            ).with_columns(people=pl.Series(counts[found], dtype=pl.Int64))
        )

    def entries(self, coded: pl.DataFrame, labels: pl.DataFrame) -> None:
        """Entries and their points by month of their start, cell, rule, kind, status and
        whether a false report made them, from `simulate.coded` codes (`month`, `cell`,
        `label`, `status`, `wrongful`, `points`) and the labels' `rule` and `kind`."""
        keys = ["month", "cell", "label", "status", "wrongful"]
        counted = (
            _counts(coded, keys, entries=pl.len(), points=pl.col("points").sum())
            .join(labels, on="label", how="left")
            .with_columns(pl.col("status").replace_strict(_STATUS, return_dtype=pl.String))
            .select("month", "cell", "rule", "kind", "status", "wrongful", "entries", "points")
        )
        self.parts["entries"].append(counted)
        repairs = counted.filter(pl.col("kind") == "repair")
        self.parts["repairs"].append(
            _counts(repairs, ["month", "cell", "rule"], repairs=pl.col("entries").sum())
        )

    def disputes(self, cases: Recourse, cell: Ints, month: Ints) -> None:
        """Disputes, appeals and corrections by month raised, way, truth and outcome."""
        frame = pl.DataFrame(
            {"month": month, "cell": cell, "way": cases.way, "false": cases.false},
        ).with_columns(outcome=pl.Series(cases.outcome, dtype=pl.Int64))
        keys = ["month", "cell", "way", "false", "outcome"]
        self.parts["disputes"].append(_counts(frame, keys, cases=pl.len()))

    def listings(self, spells: Spells, person: Ints, cell: Ints, edges: Ints, list_id: str) -> None:
        """List sizes at each month end, flows in and out each month, wrongful spells."""
        named = pl.lit(list_id)
        self.parts["list_sizes"].append(
            _sizes(spells, person, cell, edges).with_columns(list=named)
        )
        self.parts["list_flows"].append(_flows(spells, cell, edges).with_columns(list=named))
        wrongful = spells.false
        until = spells.until[wrongful]
        days = (np.minimum(until, edges[-1]) - spells.since[wrongful]) / _DAY
        frame = pl.DataFrame(
            {"person": person[wrongful], "cell": cell[wrongful], "since": spells.since[wrongful]}
        )
        frame = frame.with_columns(until=until, ending=spells.ending[wrongful], days=days)
        self.parts["wrongful_listings"].append(frame.with_columns(list=named))

    def write(self, folder: Path, summary: dict[str, object]) -> dict[str, Path]:
        """Every table summed over chunks, named, sorted, as `<table>.parquet` in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for name in TABLES:
            table = self.table(name)
            path = folder / f"{name}.parquet"
            table.write_parquet(path, statistics=False)
            written[name] = path
        text = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        (folder / "summary.json").write_text(text + "\n", encoding="utf-8")
        return written

    def table(self, name: str) -> pl.DataFrame:
        """One table, summed over chunks and with codes turned into names."""
        return _SHAPES[name](self)


def _step_of(edges: Ints, at: Ints) -> Ints:
    found: Ints = np.searchsorted(edges, at, "right") - 1
    return found


def _sizes(spells: Spells, person: Ints, cell: Ints, edges: Ints) -> pl.DataFrame:
    # People listed at each month end (once each, however many spells), wrongful only when
    # every spell they are on then is.
    sizes = []
    for month, end in enumerate(edges[1:].tolist()):
        on = (spells.since < end) & (spells.until >= end)
        who = pl.DataFrame({"person": person[on], "cell": cell[on], "wrongful": spells.false[on]})
        who = who.group_by("person", "cell").agg(pl.col("wrongful").all())
        counted = _counts(who, ["cell", "wrongful"], listed=pl.len())
        sizes.append(counted.with_columns(month=pl.lit(month, pl.Int64)))
    return pl.concat(sizes)


def _flows(spells: Spells, cell: Ints, edges: Ints) -> pl.DataFrame:
    # Entries (flow -1) by the month they took effect, exits by the month and the way they ended.
    ended = spells.until < NEVER
    entered = {"month": _step_of(edges, spells.since), "flow": np.full(cell.size, -1)}
    left = {"month": _step_of(edges, spells.until[ended]), "flow": spells.ending[ended]}
    flows = pl.concat(
        [
            pl.DataFrame({**entered, "cell": cell, "wrongful": spells.false}),
            pl.DataFrame({**left, "cell": cell[ended], "wrongful": spells.false[ended]}),
        ]
    )
    return _counts(flows, ["month", "cell", "flow", "wrongful"], listings=pl.len())


def _summed(parts: list[pl.DataFrame], keys: list[str], sums: list[str]) -> pl.DataFrame:
    frame = pl.concat(parts, how="vertical")
    return frame.group_by(keys).agg(pl.col(s).sum() for s in sums).sort(keys)


def _named(tally: Tally, frame: pl.DataFrame) -> pl.DataFrame:
    # Codes to names: the month's first day, the cell's district, group and income band.
    months = pl.Series(tally.months, dtype=pl.Date)
    named = frame.join(tally.cells.names(), on="cell", how="left").drop("cell")
    if "month" in named.columns:
        named = named.with_columns(month=months.gather(named.get_column("month")))
    return named


def _words(enum: type[IntEnum]) -> dict[int, str]:
    return {int(member): member.name.lower() for member in enum}


def _grades(tally: Tally) -> pl.DataFrame:
    frame = _summed(tally.parts["grades"], ["month", "cell", "grade"], ["people"])
    names = dict(enumerate(tally.grade_names))
    frame = frame.with_columns(grade=pl.col("grade").replace_strict(names, return_dtype=pl.String))
    return _named(tally, frame).select("month", *_CELL, "grade", "people")


def _entries(tally: Tally) -> pl.DataFrame:
    keys = ["month", "cell", "rule", "kind", "status", "wrongful"]
    frame = _summed(tally.parts["entries"], keys, ["entries", "points"])
    return _named(tally, frame).select(
        "month", *_CELL, "rule", "kind", "status", "wrongful", "entries", "points"
    )


def _repairs(tally: Tally) -> pl.DataFrame:
    frame = _summed(tally.parts["repairs"], ["month", "cell", "rule"], ["repairs"])
    return _named(tally, frame).select("month", *_CELL, "rule", "repairs")


def _disputes(tally: Tally) -> pl.DataFrame:
    frame = _summed(
        tally.parts["disputes"], ["month", "cell", "way", "false", "outcome"], ["cases"]
    )
    frame = frame.with_columns(
        way=pl.col("way").replace_strict(_words(Way), return_dtype=pl.String),
        outcome=pl.col("outcome").replace_strict(_words(Outcome), return_dtype=pl.String),
    )
    return _named(tally, frame).select("month", *_CELL, "way", "false", "outcome", "cases")


def _list_sizes(tally: Tally) -> pl.DataFrame:
    frame = _summed(tally.parts["list_sizes"], ["list", "month", "cell", "wrongful"], ["listed"])
    return _named(tally, frame).select("list", "month", *_CELL, "wrongful", "listed")


def _list_flows(tally: Tally) -> pl.DataFrame:
    keys = ["list", "month", "cell", "flow", "wrongful"]
    frame = _summed(tally.parts["list_flows"], keys, ["listings"])
    flows = {-1: "entered", **_words(Ending)}
    frame = frame.with_columns(flow=pl.col("flow").replace_strict(flows, return_dtype=pl.String))
    return _named(tally, frame).select("list", "month", *_CELL, "flow", "wrongful", "listings")


def _wrongful_listings(tally: Tally) -> pl.DataFrame:
    frame = pl.concat(tally.parts["wrongful_listings"], how="vertical").sort("person", "since")
    first = np.datetime64(tally.months[0], "s")
    moment = pl.Datetime("us")
    frame = frame.with_columns(
        since=pl.from_epoch(pl.col("since") + int(first.astype(np.int64)), "s").cast(moment),
        until=pl.when(pl.col("until") < NEVER).then(
            pl.from_epoch(pl.col("until") + int(first.astype(np.int64)), "s").cast(moment)
        ),
        ending=pl.col("ending").replace_strict(_words(Ending), return_dtype=pl.String),
    )
    return _named(tally, frame).select("list", "person", *_CELL, "since", "until", "days", "ending")


_SHAPES = {
    "grades": _grades,
    "entries": _entries,
    "repairs": _repairs,
    "disputes": _disputes,
    "list_sizes": _list_sizes,
    "list_flows": _list_flows,
    "wrongful_listings": _wrongful_listings,
}
