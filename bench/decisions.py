"""Benchmark: eligibility decisions in process, from warm caches, batch and single.

    uv run --group bench python bench/decisions.py                  # 1 M people
    uv run --group bench python bench/decisions.py --people 20000   # smaller

The warm cache is the eligibility table (`services/eligibility.py`): every subject's answer
for every purpose of the bundled rulebooks as of one moment, built (untimed, the time is
reported) from the kernel's entries for a seeded synthetic population, with the court list's
listings folded by the domain's listing lifecycle (notice the day after the trigger, no
appeal). Batch: a million (subject, purpose) requests answered by `decide_batch`, median of
runs. Single: `decide_one` timed call by call; the 50th and 99th percentiles.

The reference, measured in the same run: `decide`, the recorded path, answering the same
kind of question from the facts in an SQLite store (re-deriving the subject, storing the
decision and the read), on a small population.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from socialcredit.domain.cases import NoticeServed
from socialcredit.domain.listing import Trigger, listing_history
from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.standing import standings
from socialcredit.services.decide import decide, known_purposes
from socialcredit.services.decision_findings import find
from socialcredit.services.eligibility import EligibilityTable, eligibility_table
from socialcredit.services.ingest import ingest_file
from socialcredit.services.listings import list_rule, wall_clock
from socialcredit.services.parties import add_party
from socialcredit.services.registry import add_source
from socialcredit.services.schemes import (
    Scheme,
    publish_bundled,
    published_catalog,
    published_schemes,
    schemes_of,
)
from socialcredit.services.tick import tick
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from socialcredit.simulate.wire import source_types, write_ndjson
from socialcredit.storage import open_store

HEADING = "## Decisions: eligibility from warm caches"
START = date(2025, 1, 1)
AS_OF = datetime(2026, 1, 15, tzinfo=UTC)
BATCH_TARGET = 1_000_000  # decisions per second
P99_TARGET_US = 50.0


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _listed(events: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Listings in effect at `as_of`: each trigger noticed the next day, nobody appealing."""
    schemes = schemes_of_bundled()
    rows = []
    for scheme in schemes:
        zone = scheme.plan.timezone
        for segment in scheme.plan.segments:
            for definition in segment.lists:
                triggers = events.filter(pl.col("type").is_in(definition.on))
                for subject, id_, at in triggers.select("subject", "id", "occurred_at").iter_rows():
                    local = wall_clock(at, zone)
                    notice = NoticeServed("n", local + timedelta(days=1), "listed", "appeal")
                    history = listing_history(
                        list_rule(definition),
                        Trigger(id_, local, definition.on[0]),
                        [notice],
                        as_of=wall_clock(as_of, zone),
                    )
                    if history.in_effect_at(wall_clock(as_of, zone)):
                        rows.append((subject, definition.id, definition.domain))
    return pl.DataFrame(
        rows, schema={"subject": pl.String, "list": pl.String, "domain": pl.String}, orient="row"
    ).unique()


def schemes_of_bundled() -> list[Scheme]:
    """The bundled leaf schemes, as a fresh store would publish them."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "s.db"))
        publish_bundled(store, published_at=AS_OF)
        schemes = schemes_of(published_catalog(store))
        store.close()
    return schemes


def warm_table(people: int, seed: int) -> tuple[EligibilityTable, pl.DataFrame, float]:
    """The eligibility table for a synthetic population, and how long it took to build."""
    began = time.perf_counter()
    population = synthetic_population(people, seed=seed, start=START)
    events = synthetic_events(population, seed=seed + 1, start=START, days=365)
    schemes = schemes_of_bundled()
    entries: dict[str, pl.DataFrame] = {}
    scored: dict[str, list[str]] = {}
    for scheme in schemes:
        found = derive_entries(events, scheme.plan)
        entries[scheme.id] = found
        standing = standings(events, found, scheme.plan, AS_OF)
        scored[scheme.id] = standing.filter("scored")["subject"].to_list()
    listed = _listed(events, AS_OF)
    table = eligibility_table(schemes, AS_OF, entries=entries, scored=scored, listed=listed)
    return table, events, time.perf_counter() - began


def time_batch(
    table: EligibilityTable,
    subjects: list[str],
    purposes: list[str],
    size: int,
    runs: int,
    seed: int,
) -> tuple[float, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    requests = pl.DataFrame(
        {
            "subject": np.asarray(subjects)[rng.integers(0, len(subjects), size)],
            "purpose": np.asarray(purposes)[rng.integers(0, len(purposes), size)],
        }
    )
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        answered = table.decide_batch(requests)
        times.append(time.perf_counter() - began)
    assert answered.height == size
    return statistics.median(times), answered


def time_single(
    table: EligibilityTable, subjects: list[str], purposes: list[str], calls: int, seed: int
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    who = [subjects[i] for i in rng.integers(0, len(subjects), calls)]
    what = [purposes[i] for i in rng.integers(0, len(purposes), calls)]
    clock = time.perf_counter_ns
    took = np.empty(calls, np.int64)
    for i in range(calls):
        began = clock()
        table.decide_one(who[i], what[i])
        took[i] = clock() - began
    return float(np.percentile(took, 50)) / 1e3, float(np.percentile(took, 99)) / 1e3


@dataclass(frozen=True)
class Reference:
    """`decide` from the facts, and the server's desk over the same store."""

    rate: float  # decisions a second of `decide`
    desk_built: float  # seconds to build the desk's findings for every subject
    desk_p50_us: float  # one answer with its reasons from the desk
    desk_p99_us: float


def reference(people: int, decisions: int, seed: int) -> Reference:
    """Decisions a second of `decide` on an SQLite store of `people` synthetic people; and
    the decision desk's findings over the same store, answers with reasons timed call by
    call."""
    population = synthetic_population(people, seed=seed, start=START)
    events = synthetic_events(population, seed=seed + 1, start=START, days=365)
    with tempfile.TemporaryDirectory() as folder:
        path = write_ndjson(events, Path(folder) / "events.ndjson")
        store = open_store(str(Path(folder) / "ledger.db"))
        publish_bundled(store, published_at=AS_OF)
        for source, types in source_types(events).items():
            add_source(
                store,
                source,
                name=None,
                trust="high",
                allow=types,
                credential=None,
                registered_at=AS_OF,
            )
        ingest_file(store, path, clock=lambda: AS_OF)
        tick(store, now=AS_OF)
        purposes = sorted(known_purposes(schemes_of(published_catalog(store))))
        add_party(store, "bench", name=None, purposes=purposes, registered_at=AS_OF)
        subjects = events["subject"].unique().sort().to_list()
        rng = np.random.default_rng(seed)
        began = time.perf_counter()
        for i in range(decisions):
            decide(
                store,
                party="bench",
                subject=subjects[int(rng.integers(0, len(subjects)))],
                purpose=purposes[i % len(purposes)],
                as_of=AS_OF,
                decided_at=AS_OF + timedelta(microseconds=i),
            )
        seconds = time.perf_counter() - began
        began = time.perf_counter()
        held = find(
            store,
            published_schemes(store),
            store.events_for(subjects),
            store.case_actions_for(subjects),
            AS_OF,
        ).held()
        built = time.perf_counter() - began
        store.close()
    took = np.empty(decisions * 20, np.int64)
    for i in range(took.size):
        subject, purpose = (
            subjects[int(rng.integers(0, len(subjects)))],
            purposes[i % len(purposes)],
        )
        start = time.perf_counter_ns()
        held[subject].answer(purpose)
        took[i] = time.perf_counter_ns() - start
    p50, p99 = (float(v) / 1e3 for v in np.percentile(took, [50, 99]))
    return Reference(decisions / seconds, built, p50, p99)


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    """Command-line flags; the defaults are the issue's sizes."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000_000, help="requests per batch")
    parser.add_argument("--runs", type=int, default=5, help="timed batch runs (median)")
    parser.add_argument("--calls", type=int, default=200_000, help="single decisions timed")
    parser.add_argument("--reference-people", type=int, default=2_000)
    parser.add_argument("--reference-decisions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.batch, args.runs, args.calls = 20_000, 200_000, 3, 50_000
        args.reference_people, args.reference_decisions = 500, 30
    return args


def section(argv: list[str] | None = None) -> str:
    """Measure, and the section of BENCHMARKS.md."""
    args = parse_args(argv)
    say(f"warm table for {args.people:,} people ...")
    table, events, built = warm_table(args.people, args.seed)
    subjects = events["subject"].unique().sort().to_list()
    purposes = sorted(table.defaults)
    say("batch ...")
    batch_seconds, answered = time_batch(
        table, subjects, purposes, args.batch, args.runs, args.seed
    )
    say("single ...")
    p50, p99 = time_single(table, subjects, purposes, args.calls, args.seed)
    say("reference ...")
    ref = reference(args.reference_people, args.reference_decisions, args.seed)
    ref_rate = ref.rate
    batch_rate = args.batch / batch_seconds
    denied = int((answered["outcome"] == "deny").sum())
    return "\n".join(
        [
            HEADING,
            "",
            "| What | Ours | Reference, same run | Target |",
            "|---|---|---|---|",
            f"| Batch, {args.batch:,} requests | {batch_rate / 1e6:.2f} M decisions/s "
            f"({batch_seconds * 1e3:.0f} ms, median of {args.runs}) | `decide` from the "
            f"facts: {ref_rate:.0f} decisions/s | >= 1 M/s {_met(batch_rate >= BATCH_TARGET)} |",
            f"| Single, {args.calls:,} calls | p50 {p50:.2f} µs, p99 {p99:.2f} µs | "
            f"`decide` from the facts: {1e6 / ref_rate:,.0f} µs each | p99 < 50 µs "
            f"{_met(p99 < P99_TARGET_US)} |",
            f"| Desk, one answer with its reasons | p50 {ref.desk_p50_us:.1f} µs, p99 "
            f"{ref.desk_p99_us:.1f} µs (built in {ref.desk_built:.2f} s for "
            f"{args.reference_people:,} people) | `decide` from the facts: "
            f"{1e6 / ref_rate:,.0f} µs each | |",
            "",
            f"- Table: {args.people:,} synthetic people, {events.height:,} events over a year, "
            f"{len(purposes)} purposes, {table.answers.height:,} answers differing from the "
            f"purpose's default; built in {built:.1f} s (not timed). {denied:,} of the batch's "
            "requests were denied.",
            f"- Reference: `decide` on an SQLite store of {args.reference_people:,} synthetic "
            f"people, {args.reference_decisions} decisions, each re-deriving the subject from "
            "its events and storing the decision, the read and any adverse-action notice. "
            "The HTTP server answers from the desk (`services/decision_desk.py`): the "
            "findings of every subject, built in bulk from the same store, as `decide` would "
            "find them (reasons and their basis included), timed here per answer over the "
            "reference store.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Print the section."""
    print(section(argv))


if __name__ == "__main__":
    main()
