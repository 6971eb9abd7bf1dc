"""A simulation run: blocks of people lived through the run, chunks of blocks through the
kernel, counts summed over chunks.

Randomness is drawn per block of people (`run.block`), each block from its own seed sequence
(the run's seed and the block's number), so the outputs do not depend on `run.chunk`: a chunk
is only how many blocks go through the kernel together, which bounds memory. Subjects are
independent, so the kernel's entries for a chunk are those it would give in a whole run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.kernel.entries import Derivation, derive
from socialcredit.rules.plan import Plan
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.behaviour import EventKinds
from socialcredit.simulate.coded import CodedEntries, coded_entries
from socialcredit.simulate.history import History, Model, live, month_starts
from socialcredit.simulate.monthly import grades_by_month, month_ends
from socialcredit.simulate.outputs import Cells, Tally
from socialcredit.simulate.people import draw_people
from socialcredit.simulate.reckoning import reckon
from socialcredit.simulate.recourse import Recourse
from socialcredit.simulate.scenario import Scenario
from socialcredit.simulate.spells import Spells
from socialcredit.simulate.synthetic import _CODE, _KINDS, _PERFORMED

__all__ = ["Chunk", "Simulation", "chunk_count", "model_for", "simulate", "simulate_chunk"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
# Blocks lived at once: NumPy lets go of the interpreter in its bulk work, so two threads
# keep both cores of a small machine busy.
_LIVING = 2
_PERFORMANCE = _KINDS[_PERFORMED].type


@dataclass(frozen=True, eq=False)
class Chunk:
    """Blocks that went through the kernel together: their histories, events and what the
    kernel derived from them."""

    histories: list[History]
    events: pl.DataFrame
    derivation: Derivation

    @cached_property
    def entries(self) -> pl.DataFrame:
        """The entries spelled out (the tallies read the kernel's codes instead)."""
        return self.derivation.entries()

    @property
    def first(self) -> int:
        """The number of the chunk's first person."""
        return self.histories[0].people.first

    @property
    def size(self) -> int:
        """How many people the chunk holds."""
        return sum(len(h.people) for h in self.histories)


@dataclass(frozen=True, eq=False)
class Simulation:
    """A finished run: its scenario and plan, and the counts it made."""

    scenario: Scenario
    plan: Plan
    tally: Tally

    def summary(self) -> dict[str, object]:
        """Headline figures, as plain data."""
        return _summary(self)

    def write(self, folder: Path) -> dict[str, Path]:
        """Every table as Parquet in `folder`, with `summary.json` and `scenario.json`."""
        text = json.dumps(asdict(self.scenario), indent=2, sort_keys=True, default=str)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "scenario.json").write_text(text + "\n", encoding="utf-8")
        return self.tally.write(folder, self.summary())


def model_for(scenario: Scenario, plan: Plan) -> Model:
    """What every block of the run shares under `plan`."""
    start = scenario.run.start
    segment = plan.segment_at(start)
    if segment is None:
        first = plan.segments[0].start
        raise SocialCreditError(
            f"{plan.rulebook} is not in force on {start} (it took effect {first}): "
            "start the run later"
        )
    if segment.scale is None or segment.grades is None:
        raise SocialCreditError(f"{plan.rulebook} has no scale and grades to simulate")
    reckoning = reckon(plan, start)
    listing = next((x for x in segment.lists if any(t in _CODE for t in x.on)), None)
    removable = listing is not None and _PERFORMANCE in listing.removal_on
    kinds = EventKinds.of(scenario, reckoning)
    return Model(scenario, kinds, reckoning, listing, removable)


def _blocks(scenario: Scenario) -> list[tuple[int, int, int]]:
    # (block number, first person, people) for the whole population.
    size, people = scenario.run.block, scenario.run.population
    return [(b, first, min(size, people - first)) for b, first in enumerate(range(0, people, size))]


def _chunks(scenario: Scenario) -> Iterator[list[tuple[int, int, int]]]:
    blocks = _blocks(scenario)
    per = max(1, scenario.run.chunk // scenario.run.block)
    for at in range(0, len(blocks), per):
        yield blocks[at : at + per]


def simulate_chunk(model: Model, plan: Plan, blocks: list[tuple[int, int, int]]) -> Chunk:
    """Live the blocks through the run and derive their entries with the production kernel."""
    with ThreadPoolExecutor(_LIVING) as pool:
        histories = list(pool.map(lambda b: _lived(model, *b), blocks))
    events = pl.concat([h.events for h in histories], how="vertical")
    return Chunk(histories, events, derive(events, plan))


def _lived(model: Model, block: int, first: int, size: int) -> History:
    # A block from its own seeds alone: blocks can be lived in any order, or at once.
    sequence = np.random.SeedSequence([model.scenario.run.seed, block])
    people_rng, audit_rng, life_rng = (np.random.default_rng(s) for s in sequence.spawn(3))
    people = draw_people(model.scenario, (people_rng, audit_rng), first, size)
    return live(model, people, life_rng, block)


def chunk_count(scenario: Scenario) -> int:
    """How many chunks the scenario's population goes through the kernel in."""
    return sum(1 for _ in _chunks(scenario))


def simulate(
    scenario: Scenario,
    plan: Plan | None = None,
    progress: Callable[[int], None] | None = None,
    only: Collection[int] | None = None,
) -> Simulation:
    """Run the scenario (under its rulebook unless a plan is given); `progress` is called with
    the number of people done after each chunk. `only` runs just those chunks (numbered from
    0; see `chunk_count`), exactly as the whole run would: a way to time and check a run too
    large to run whole, such as a nation's."""
    plan = plan or plan_for(scenario.run.rulebook)
    model = model_for(scenario, plan)
    edges = month_starts(scenario.run.start, scenario.run.days)
    months = [scenario.run.start + timedelta(days=int(s) // 86_400) for s in edges[:-1]]
    names = plan.latest.grades.names if plan.latest.grades else ()
    tally = Tally(Cells.of(scenario), months, names)
    for number, blocks in enumerate(_chunks(scenario)):
        if only is not None and number not in only:
            continue
        chunk = simulate_chunk(model, plan, blocks)
        _count(tally, model, plan, chunk, edges)
        if progress:
            progress(chunk.size)
    return Simulation(scenario, plan, tally)


def _count(tally: Tally, model: Model, plan: Plan, chunk: Chunk, edges: Ints) -> None:
    run = model.scenario.run
    people = [h.people for h in chunk.histories]
    cell = np.concatenate([tally.cells.code(p.district, p.group, p.income) for p in people])
    entries = coded_entries(chunk.derivation, chunk.first, _wrongful(chunk), tally.grade_names)
    midnight = datetime(run.start.year, run.start.month, run.start.day)
    ends = month_ends(edges, midnight)
    tally.grades(cell, grades_by_month(entries.counted(), plan, chunk.size, ends))
    _count_entries(tally, entries, cell, edges, midnight)
    cases, spells = _in_chunk(chunk)
    tally.disputes(cases, cell[cases.subject], np.searchsorted(edges, cases.at, "right") - 1)
    list_id = model.listing.id if model.listing else ""
    tally.listings(spells, spells.subject + chunk.first, cell[spells.subject], edges, list_id)
    tally.totals["people"] += chunk.size
    tally.totals["events"] += chunk.events.height
    tally.totals["entries"] += entries.frame.height


def _wrongful(chunk: Chunk) -> Bools:
    # Per event row of the chunk: whether a false report made it.
    found = np.zeros(chunk.events.height, np.bool_)
    offset = 0
    for history in chunk.histories:
        found[history.false_rows + offset] = True
        offset += history.events.height
    return found


def _count_entries(
    tally: Tally, entries: CodedEntries, cell: Ints, edges: Ints, midnight: datetime
) -> None:
    # Each entry by the month it starts in.
    frame = entries.frame
    start = np.datetime64(midnight, "us").astype(np.int64)
    seconds = (frame.get_column("begin").to_numpy() - start) // 1_000_000
    person = frame.get_column("person").to_numpy()
    coded = frame.select("label", "status", "wrongful", "points").with_columns(
        month=np.searchsorted(edges, seconds, "right") - 1, cell=cell[person]
    )
    tally.entries(coded, entries.labels)


def _in_chunk(chunk: Chunk) -> tuple[Recourse, Spells]:
    # Block rows to chunk rows.
    cases, spells = [], []
    for history in chunk.histories:
        offset = history.people.first - chunk.first
        c, s = history.cases, history.spells
        cases.append(Recourse(c.subject + offset, c.at, c.way, c.false, c.outcome))
        spells.append(Spells(s.subject + offset, s.false, s.since, s.until, s.ending))
    return Recourse.concat(cases), Spells.concat(spells)


def _summary(simulation: Simulation) -> dict[str, object]:
    tally, run = simulation.tally, simulation.scenario.run
    grades = tally.table("grades")
    last = grades.filter(pl.col("month") == pl.col("month").max())
    shares = last.group_by("grade").agg(pl.col("people").sum())
    total = max(int(shares.get_column("people").sum()), 1)
    order = {name: i for i, name in enumerate(tally.grade_names)}
    shares = shares.sort(pl.col("grade").replace_strict(order, return_dtype=pl.Int64))
    flows = tally.table("list_flows")
    sizes = tally.table("list_sizes")
    end_sizes = sizes.filter(pl.col("month") == tally.months[-1])
    wrongful = tally.table("wrongful_listings")
    disputes = tally.table("disputes")
    return {
        "rulebook": simulation.plan.rulebook,
        "start": run.start.isoformat(),
        "days": run.days,
        "seed": run.seed,
        **tally.totals,
        "final_grades": {g: round(int(n) / total, 6) for g, n in shares.iter_rows()},
        "listed_at_end": int(end_sizes.get_column("listed").sum()),
        "list_flows": _sums(flows, "flow", "listings"),
        "wrongful_listings": wrongful.height,
        "wrongful_days_mean": round(_mean(wrongful.get_column("days")), 2),
        "disputes": _sums(disputes, "outcome", "cases"),
        "repairs": int(tally.table("repairs").get_column("repairs").sum()),
    }


def _sums(frame: pl.DataFrame, key: str, value: str) -> dict[str, int]:
    rows = frame.group_by(key).agg(pl.col(value).sum()).sort(key)
    return {str(k): int(v) for k, v in rows.iter_rows()}


def _mean(values: pl.Series) -> float:
    mean = values.mean()
    return float(mean) if isinstance(mean, int | float) else 0.0
