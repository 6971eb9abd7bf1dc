"""Benchmark: the ledger end to end, ingest and recompute, each beside a bare reference.

    uv run --group bench python bench/ingest.py                    # full size (long)
    uv run --group bench python bench/ingest.py --events 50000 --recompute-events 200000
    uv run --group bench python bench/ingest.py --quick            # tiny smoke run

It prints its Markdown section; `bench/run.py` runs it too (`--ledger="FLAGS"` passes these
flags on) and writes it into BENCHMARKS.md with the kernel's.

Ingest: `ingest_file` reads a seeded wire NDJSON file into a fresh store and does all of it
(parse, admission checks, canonical data, idempotency, hash chain, subject registration,
re-derivation of the touched subjects' caches, one commit per batch). The reference reads the
same file with Polars and bulk-inserts the same rows (the store's final rows, positions and
hashes included, prepared untimed) into the `events` table of a fresh store of the same kind,
one transaction per batch of the same size: `executemany` for SQLite (same WAL and synchronous
settings), COPY for PostgreSQL.

Recompute: a SQLite store holding about `--recompute-events` events over
`--recompute-subjects` subjects, built with `ingest_file` file after file (that time is reported
too: ingest at scale) for as long as `--build-budget` allows, the facts of the remaining files
appended directly, then `recompute`. The reference is the kernel alone (`derive_entries` and
`standings` under every bundled scheme) on the same events in memory.

Every phase runs in a fresh process, so that its peak resident memory is its own. Generating
the data is timed apart and not part of any figure.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import multiprocessing
import os
import pstats
import resource
import shlex
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import psycopg

from machine import machine
from socialcredit.ingest.readers import TOP_LEVEL, read_events_file
from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.standing import standings
from socialcredit.services.derive import in_force
from socialcredit.services.ingest import BATCH_ROWS, ingest_file
from socialcredit.services.recompute import recompute
from socialcredit.services.record import canonical_data, ledger_of
from socialcredit.services.registry import add_source
from socialcredit.services.rulebooks import bundled_catalog
from socialcredit.services.schemes import publish_bundled, schemes_of
from socialcredit.simulate.synthetic import EVENT_SCHEMA, synthetic_events, synthetic_population
from socialcredit.simulate.wire import source_types, write_ndjson
from socialcredit.storage import Store, open_store
from store import bare_copy, bare_executemany, bare_sqlite, events_csv, throwaway_database

COMMAND = "uv run --group bench python bench/ingest.py"
START = date(2025, 1, 1)
RECORDED = datetime(2026, 1, 1, tzinfo=UTC)  # the ingest clock, and the recompute's as_of
EVENTS_PER_PERSON_YEAR = 10.0
INGEST_TARGET = 0.5  # ingest rows/s over the bare insert's
PILOT_PEOPLE = 20_000
HEADING = "## Ledger: ingest and recompute"
QUICK = {  # --quick: tiny sizes for a smoke run; flags given explicitly still win
    "events": 5_000,
    "batch_rows": 1_000,
    "recompute_events": 20_000,
    "file_events": 10_000,
    "build_batch_rows": 5_000,
    "chunk_subjects": 1_000,
}
WIRE_SCHEMA = {
    **dict.fromkeys(["id", "source", "subject", "type", "occurred_at", "jurisdiction"], pl.String),
    "act": pl.String,
    "data": pl.Struct({name: EVENT_SCHEMA[name] for name in EVENT_SCHEMA.names()[6:]}),
}
Figures = dict[str, Any]


# --- configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Sizes and switches of one run."""

    events: int
    days: int
    batch_rows: int
    recompute_events: int
    recompute_subjects: int
    file_events: int
    build_batch_rows: int
    build_budget: float
    chunk_subjects: int
    seed: int
    postgres: str
    skip: frozenset[str]
    workdir: Path | None
    json_path: str | None
    profile: Path | None


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> Config:
    """Command-line flags; the defaults are the issue's sizes. `prog` names the command in
    errors (bench/run.py passes these flags on)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--events", type=int, default=1_000_000, help="events in the ingest file (1e6)")
    add("--days", type=int, default=365, help="days the ingest file spans (365)")
    add(
        "--batch-rows",
        type=int,
        default=BATCH_ROWS,
        help=f"ingest batch, both sides (the product's default, {BATCH_ROWS:,})",
    )
    add("--recompute-events", type=int, default=10_000_000, help="events to recompute (1e7)")
    add("--recompute-subjects", type=int, default=None, help="default: a tenth of the events")
    add("--file-events", type=int, default=1_000_000, help="events per file of the build")
    add("--build-batch-rows", type=int, default=500_000, help="ingest batch of the build")
    add(
        "--build-budget",
        type=float,
        default=1200.0,
        help="seconds of `ingest_file` for the recompute's store; the files left after it are "
        "appended directly, without re-deriving (default 1200; 0: ingest them all)",
    )
    add("--chunk-subjects", type=int, default=20_000, help="recompute's chunk (20,000)")
    add("--seed", type=int, default=20250101)
    add(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/",
        help='server for a throwaway database, dropped afterwards; "" to skip PostgreSQL',
    )
    add("--skip", action="append", default=[], choices=["sqlite", "postgres", "recompute"])
    add("--workdir", type=Path, default=None, help="default: a temporary directory, removed")
    add("--json", dest="json_path", default=None, help="also write the figures as JSON here (-)")
    add(
        "--profile",
        type=Path,
        default=None,
        help="profile our side of each phase with cProfile into this directory (the times of "
        "a profiled run are not for reporting)",
    )
    add("--quick", action="store_true", help="tiny sizes for a smoke run (explicit flags win)")
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args(argv)
    subjects = args.recompute_subjects or max(args.recompute_events // 10, 1)
    return Config(
        args.events,
        args.days,
        args.batch_rows,
        args.recompute_events,
        subjects,
        args.file_events,
        args.build_batch_rows,
        args.build_budget,
        args.chunk_subjects,
        args.seed,
        args.postgres,
        frozenset(args.skip),
        args.workdir,
        args.json_path,
        args.profile,
    )


# --- isolation: each phase in a fresh process ---------------------------------------------------


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _measured(phase: Callable[..., Figures], profile: Path | None, *args: Any) -> Figures:
    """Run in the child: the phase, its peak memory, and optionally its profile."""
    if profile is None:
        result = phase(*args)
    else:
        profiler = cProfile.Profile()
        result = profiler.runcall(phase, *args)
        profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(profile)
        result["profile"] = _top(profiler)
    result["peak_rss_gib"] = round(_peak_rss_gib(), 2)
    return result


def _top(profiler: cProfile.Profile, rows: int = 30) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(rows)
    return out.getvalue()


def isolated(phase: Callable[..., Figures], *args: Any, profile: Path | None = None) -> Figures:
    """`phase(*args)` in a freshly started interpreter; its figures plus `peak_rss_gib`."""
    say(f"{phase.__name__} ...")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        result = pool.submit(_measured, phase, profile, *args).result()
    if "profile" in result:
        print(
            f"\n--- profile of {phase.__name__} (cumulative) ---\n{result['profile']}",
            file=sys.stderr,
        )
    return result


def say(text: str) -> None:
    """Progress on stderr, stamped, so that stdout stays the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _timed(action: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizing:
    """How to draw a seeded event stream of about the wanted size."""

    people: int
    rate: float
    days: int
    events: int  # kept: the first `events` in time order
    seed: int


def sizing(events: int, subjects: int | None, days: int, seed: int) -> Sizing:
    """People and rate for `events` events over `subjects` subjects with any (by default about
    ten events a person-year), from a seeded pilot of the simulator; a little over, then cut."""
    pilot = synthetic_events(
        synthetic_population(PILOT_PEOPLE, seed=seed, start=START),
        seed=seed + 1,
        start=START,
        days=days,
    )
    per_person = pilot.height / PILOT_PEOPLE
    share = pilot.get_column("subject").n_unique() / PILOT_PEOPLE
    if subjects is None:
        people = round(events / (EVENTS_PER_PERSON_YEAR * days / 365.25))
    else:
        people = math.ceil(subjects / share)
    rate = 1.05 * events / (people * per_person)
    return Sizing(people, rate, days, events, seed)


def draw(size: Sizing) -> pl.DataFrame:
    """The seeded events of a sizing, in time order."""
    people = synthetic_population(size.people, seed=size.seed, start=START)
    stream = synthetic_events(
        people, seed=size.seed + 1, start=START, days=size.days, rate=size.rate
    )
    return stream.head(size.events)


def generate(size: Sizing, folder: str, file_events: int) -> Figures:
    """Phase: draw the events and write them as wire NDJSON files of `file_events` each."""
    began = time.perf_counter()
    events = draw(size)
    files = []
    for number, start in enumerate(range(0, events.height, file_events), start=1):
        path = Path(folder) / f"events-{number:03}.ndjson"
        write_ndjson(events.slice(start, file_events), path)
        files.append(str(path))
    seconds = time.perf_counter() - began
    return {
        "events": events.height,
        "subjects": events.get_column("subject").n_unique(),
        "people": size.people,
        "rate": size.rate,
        "seconds": seconds,
        "files": files,
        "bytes": sum(Path(f).stat().st_size for f in files),
        "sources": source_types(events),
    }


# --- our side: a store, then ingest_file --------------------------------------------------------


def initialised(target: str, sources: dict[str, list[str]]) -> Store:
    """A store with the bundled rulebooks published and every source registered."""
    store = open_store(target)
    publish_bundled(store, published_at=RECORDED)
    for source, types in sources.items():
        add_source(
            store,
            source,
            name=None,
            trust="high",
            allow=types,
            credential=None,
            registered_at=RECORDED,
        )
    return store


def ingest_phase(
    target: str, sources: dict[str, list[str]], files: list[str], batch_rows: int
) -> Figures:
    """Phase: a fresh store, then `ingest_file` of each file, timed end to end."""
    with initialised(target, sources) as store:
        summaries, seconds = _timed(
            lambda: [
                ingest_file(store, Path(f), clock=lambda: RECORDED, batch_rows=batch_rows)
                for f in files
            ]
        )
        stored = store.event_count()
    return {
        "seconds": seconds,
        "rows": sum(s.rows for s in summaries),
        "new": sum(s.new for s in summaries),
        "quarantined": sum(s.quarantined for s in summaries),
        "subjects_rederived": sum(s.subjects for s in summaries),
        "stored": stored,
    }


def build_phase(
    target: str, sources: dict[str, list[str]], files: list[str], batch_rows: int, budget: float
) -> Figures:
    """Phase: the recompute's store, file after file with `ingest_file` until `budget` seconds
    have passed (0: no limit); the facts of the files left are then appended directly."""
    took: list[float] = []
    ingested, appending = 0, 0.0
    with initialised(target, sources) as store:
        for path in files:
            if budget and sum(took) > budget:
                _, seconds = _timed(lambda p=path: append_facts(store, Path(p), batch_rows))
                appending += seconds
                say(f"  {Path(path).name}: facts appended in {seconds:.1f} s")
                continue
            summary, seconds = _timed(
                lambda p=path: ingest_file(
                    store, Path(p), clock=lambda: RECORDED, batch_rows=batch_rows
                )
            )
            took.append(seconds)
            ingested += summary.rows
            say(f"  {Path(path).name}: {summary.rows:,} rows ingested in {seconds:.1f} s")
        stored, subjects = store.event_count(), store.subjects().height
        head = store.head().hash
    return {
        "seconds": sum(took),
        "file_seconds": took,
        "files": len(took),
        "ingested": ingested,
        "append_seconds": appending,
        "stored": stored,
        "subjects": subjects,
        "head": head,
    }


def append_facts(store: Store, path: Path, batch_rows: int) -> None:
    """The file's events stored exactly as `ingest_file` stores them (the same canonical data,
    so the same hash chain), their subjects registered, but no cache re-derived: `recompute`
    derives every cache anyway. The synthetic subjects are all people."""
    numeric = ledger_of(store).numeric
    rows, rejected = read_events_file(path)
    if rejected:
        raise SystemExit(f"{path}: {len(rejected)} rows unreadable, first: {rejected[0]}")
    for part in rows.iter_slices(batch_rows):
        batch = part.select(
            *TOP_LEVEL, data=canonical_data(part, numeric), status=pl.lit("accepted")
        )
        people = batch.select(id="subject", kind=pl.lit("person")).unique("id", maintain_order=True)
        with store.atomic():
            store.register_subjects(people, registered_at=RECORDED)
            store.append_events(batch, recorded_at=RECORDED)


def recompute_phase(target: str, chunk_subjects: int) -> Figures:
    """Phase: `recompute` of every subject of the store, timed."""
    with open_store(target) as store:
        events, subjects = store.event_count(), store.subjects().height
        changes, seconds = _timed(
            lambda: recompute(store, as_of=RECORDED, chunk_subjects=chunk_subjects)
        )
    return {
        "seconds": seconds,
        "events": events,
        "subjects": subjects,
        "changes": [c.as_dict() for c in changes],
    }


# --- the references -----------------------------------------------------------------------------


def _checked(stored: int, rows: pl.DataFrame) -> int:
    if stored != rows.height:
        raise SystemExit(f"the reference stored {stored:,} rows, not {rows.height:,}")
    return stored


def _final_rows(target: str) -> pl.DataFrame:
    """Every event row exactly as the store holds it (read untimed)."""
    with open_store(target) as store:
        return store.events_between(1, store.event_count())


def _read_wire(files: list[str]) -> int:
    """The files as Polars reads NDJSON knowing the wire schema; how many rows."""
    return sum(pl.read_ndjson(f, schema=WIRE_SCHEMA).height for f in files)


def sqlite_bare_phase(filled: str, fresh: str, files: list[str], batch_rows: int) -> Figures:
    """Phase: the same files read by Polars, the same rows inserted with executemany."""
    rows = _final_rows(filled)
    open_store(fresh).close()
    connection = bare_sqlite(fresh)
    parsed, parse = _timed(lambda: _read_wire(files))

    def insert() -> None:
        for part in rows.iter_slices(batch_rows):
            bare_executemany(connection, part.rows())

    _, seconds = _timed(insert)
    stored = _checked(connection.execute("SELECT count(*) FROM events").fetchone()[0], rows)
    connection.close()
    return {"parse_seconds": parse, "insert_seconds": seconds, "rows": parsed, "stored": stored}


def postgres_bare_phase(filled: str, fresh: str, files: list[str], batch_rows: int) -> Figures:
    """Phase: the same files read by Polars, the same rows loaded with COPY."""
    rows = _final_rows(filled)
    open_store(fresh).close()
    with psycopg.connect(fresh, autocommit=True) as connection:
        parsed, parse = _timed(lambda: _read_wire(files))

        def load() -> None:
            for part in rows.iter_slices(batch_rows):
                bare_copy(connection, events_csv(part))

        _, seconds = _timed(load)
        counted = connection.execute("SELECT count(*) FROM events").fetchone()
    stored = _checked(counted[0] if counted else 0, rows)
    return {"parse_seconds": parse, "insert_seconds": seconds, "rows": parsed, "stored": stored}


def kernel_phase(size: Sizing) -> Figures:
    """Phase: the kernel alone, under every bundled scheme, on the same events in memory."""
    events = draw(size)
    schemes = schemes_of(bundled_catalog())

    def run(frame: pl.DataFrame) -> int:
        scored = 0
        for scheme in schemes:
            mine = frame.filter(pl.col("type").is_in(sorted(scheme.plan.known_types())))
            entries = derive_entries(mine, scheme.plan)
            if in_force(scheme, RECORDED):
                scored += standings(mine, entries, scheme.plan, RECORDED).height
        return scored

    run(events.head(10_000))  # loads the compiled kernels, so that only the work is timed
    scored, seconds = _timed(lambda: run(events))
    return {
        "seconds": seconds,
        "events": events.height,
        "subjects": events.get_column("subject").n_unique(),
        "standings": scored,
    }


# --- the runs -----------------------------------------------------------------------------------


def _profile_to(config: Config, name: str) -> Path | None:
    return config.profile / f"{name}.prof" if config.profile else None


def sqlite_figures(config: Config, data: Figures, folder: Path) -> Figures:
    """Ours, then the reference, on the same file and the same kind of store."""
    filled, fresh = str(folder / "ingest.db"), str(folder / "bare.db")
    ours = isolated(
        ingest_phase,
        filled,
        data["sources"],
        data["files"],
        config.batch_rows,
        profile=_profile_to(config, "sqlite-ingest"),
    )
    bare = isolated(sqlite_bare_phase, filled, fresh, data["files"], config.batch_rows)
    for path in (filled, fresh):
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    return {"ours": ours, "bare": bare}


def postgres_unavailable(server: str) -> str | None:
    """Why PostgreSQL is skipped, or None when a server answers."""
    if not server:
        return "--postgres is empty"
    try:
        with psycopg.connect(server, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at {server} ({type(exc).__name__}: {exc})".strip()
    return None


def postgres_figures(config: Config, data: Figures) -> Figures:
    """Ours, then the reference, each in its own schema of a throwaway database."""
    with throwaway_database(config.postgres) as target:
        filled, fresh = target(), target()
        with psycopg.connect(filled) as connection:
            version = connection.execute("SHOW server_version").fetchone()
        ours = isolated(
            ingest_phase,
            filled,
            data["sources"],
            data["files"],
            config.batch_rows,
            profile=_profile_to(config, "postgres-ingest"),
        )
        bare = isolated(postgres_bare_phase, filled, fresh, data["files"], config.batch_rows)
    return {"ours": ours, "bare": bare, "server": version[0] if version else "unknown"}


def recompute_figures(config: Config, folder: Path) -> Figures:
    """Generate, build the store (with `ingest_file` as far as the budget goes), recompute
    it; then the kernel alone on the same events."""
    size = sizing(config.recompute_events, config.recompute_subjects, config.days, config.seed)
    data = isolated(generate, size, str(folder / "recompute"), config.file_events)
    say(f"  {data['events']:,} events over {data['subjects']:,} subjects")
    target = str(folder / "recompute.db")
    build = isolated(
        build_phase,
        target,
        data["sources"],
        data["files"],
        config.build_batch_rows,
        config.build_budget,
        profile=_profile_to(config, "build"),
    )
    for path in data["files"]:
        Path(path).unlink()
    run = isolated(
        recompute_phase, target, config.chunk_subjects, profile=_profile_to(config, "recompute")
    )
    kernel = isolated(kernel_phase, Sizing(**{**size.__dict__, "events": build["stored"]}))
    return {"data": data, "build": build, "recompute": run, "kernel": kernel}


@contextmanager
def workspace(chosen: Path | None) -> Iterator[Path]:
    """Where the files and stores go: the folder given, or a temporary one removed after."""
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        (chosen / "ingest").mkdir(exist_ok=True)
        (chosen / "recompute").mkdir(exist_ok=True)
        yield chosen
        return
    with tempfile.TemporaryDirectory(prefix="socialcredit-bench-") as folder:
        for name in ("ingest", "recompute"):
            (Path(folder) / name).mkdir()
        yield Path(folder)


def run_all(config: Config) -> Figures:
    """Every phase the flags ask for, one at a time."""
    figures: Figures = {"load_before": os.getloadavg()[0]}
    began = time.perf_counter()
    with workspace(config.workdir) as folder:
        wanted = {"sqlite", "postgres"} - config.skip
        skipped = postgres_unavailable(config.postgres) if "postgres" in wanted else None
        if skipped:
            figures["postgres_skipped"] = skipped
            say(f"PostgreSQL skipped: {skipped}")
            wanted.discard("postgres")
        if wanted:
            size = sizing(config.events, None, config.days, config.seed)
            data = isolated(generate, size, str(folder / "ingest"), config.events)
            figures["ingest_data"] = data
            say(f"  {data['events']:,} events over {data['subjects']:,} subjects")
            if "sqlite" in wanted:
                figures["sqlite"] = sqlite_figures(config, data, folder)
            if "postgres" in wanted:
                figures["postgres"] = postgres_figures(config, data)
            for path in data["files"]:
                Path(path).unlink()
        if "recompute" not in config.skip:
            figures["recompute"] = recompute_figures(config, folder)
    figures["load_after"] = os.getloadavg()[0]
    figures["wall_seconds"] = time.perf_counter() - began
    return figures


# --- report -------------------------------------------------------------------------------------


def _rate(value: float, unit: str) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f} M {unit}/s"
    return f"{value / 1e3:.1f} k {unit}/s"


def _count(value: int) -> str:
    return f"{value / 1e6:.2f} M" if value >= 1e6 else f"{value:,}"


def _ingest_row(backend: str, insert: str, result: Figures) -> tuple[str, float]:
    ours, bare = result["ours"], result["bare"]
    rows = ours["rows"]
    reference = bare["parse_seconds"] + bare["insert_seconds"]
    ratio = reference / ours["seconds"]
    verdict = "**met**" if ratio >= INGEST_TARGET else "**not met**"
    line = (
        f"| {backend} ingest of {rows:,} NDJSON events, end to end | "
        f"`ingest_file` {ours['seconds']:.1f} s, {_rate(rows / ours['seconds'], 'rows')} | "
        f"Polars read + {insert} {reference:.1f} s, {_rate(rows / reference, 'rows')} | "
        f"{ratio:.2f} | >= {INGEST_TARGET} {verdict} |"
    )
    return line, ratio


def _recompute_rows(result: Figures) -> list[str]:
    run, kernel, build = result["recompute"], result["kernel"], result["build"]
    ours = (
        f"`recompute` {run['seconds']:.1f} s: {_rate(run['events'] / run['seconds'], 'events')}, "
        f"{_rate(run['subjects'] / run['seconds'], 'subjects')}"
    )
    reference = (
        f"kernel alone, in memory: {kernel['seconds']:.1f} s, "
        f"{_rate(kernel['events'] / kernel['seconds'], 'events')}"
    )
    built = (
        f"`ingest_file` of {_count(build['ingested'])} events ({build['files']} file(s)) into it: "
        f"{build['seconds']:.0f} s, {_rate(build['ingested'] / build['seconds'], 'rows')}"
    )
    return [
        f"| Full recompute of {_count(run['events'])} events over {_count(run['subjects'])} "
        f"subjects (SQLite) | {ours} | {reference} | {kernel['seconds'] / run['seconds']:.3f} | "
        "none set |",
        f"| Building that store (ingest at scale, SQLite) | {built} | | | |",
    ]


def _phase_row(name: str, seconds: float, phase: Figures) -> str:
    return f"| {name} | {seconds:.1f} | {phase['peak_rss_gib']:.2f} |"


def _phases_md(figures: Figures) -> list[str]:
    lines = ["| Phase (each in its own process) | Seconds | Peak RSS (GiB) |", "|---|---:|---:|"]
    data = figures.get("ingest_data")
    if data:
        lines.append(_phase_row("Generate the ingest file (not timed)", data["seconds"], data))
    for backend in ("sqlite", "postgres"):
        if backend in figures:
            ours, bare = figures[backend]["ours"], figures[backend]["bare"]
            parse, insert = bare["parse_seconds"], bare["insert_seconds"]
            lines += [
                _phase_row(f"{backend}: `ingest_file`", ours["seconds"], ours),
                _phase_row(
                    f"{backend}: reference, Polars read {parse:.1f} s + insert {insert:.1f} s",
                    parse + insert,
                    bare,
                ),
            ]
    if "recompute" in figures:
        r = figures["recompute"]
        lines += [
            _phase_row("Generate the recompute files (not timed)", r["data"]["seconds"], r["data"]),
            _phase_row(
                "Build the recompute store: its `ingest_file` part",
                r["build"]["seconds"],
                r["build"],
            ),
            _phase_row("`recompute`", r["recompute"]["seconds"], r["recompute"]),
            _phase_row("Kernel alone", r["kernel"]["seconds"], r["kernel"]),
        ]
    return lines


def _notes_md(config: Config, figures: Figures) -> list[str]:
    notes = []
    data = figures.get("ingest_data")
    if data:
        notes.append(
            f"- Ingest data: `synthetic_population({data['people']:_})`, `synthetic_events(..., "
            f"days={config.days}, rate={data['rate']:.3f})`, first {data['events']:,} events "
            f"over {data['subjects']:,} subjects, {data['bytes'] / 2**20:.0f} MiB of wire NDJSON; "
            f"batches of {config.batch_rows:,} rows on both sides."
        )
    for backend in ("sqlite", "postgres"):
        if backend in figures:
            ours = figures[backend]["ours"]
            notes.append(
                f"- {backend}: {ours['new']:,} new, {ours['quarantined']:,} quarantined, "
                f"{ours['subjects_rederived']:,} subject re-derivations (summed over batches)."
            )
    if "postgres_skipped" in figures:
        notes.append(f"- PostgreSQL skipped: {figures['postgres_skipped']}.")
    if "recompute" in figures:
        notes += _recompute_notes(config, figures["recompute"])
    return notes


def _recompute_notes(config: Config, result: Figures) -> list[str]:
    data, build, run = result["data"], result["build"], result["recompute"]
    per_file = ", ".join(f"{s:.0f}" for s in build["file_seconds"])
    changed = ", ".join(
        f"{c['scheme']}: {c['subjects']:,} standings, {c['score_changed']:,} scores and "
        f"{c['grade_changed']:,} grades changed, {c['added']:,} added"
        for c in run["changes"]
    )
    notes = [
        f"- Recompute data: {data['events']:,} events over {data['subjects']:,} subjects "
        f"(`synthetic_population({data['people']:_})`, rate {data['rate']:.3f}), in files of "
        f"{config.file_events:,}, ingested in batches of {config.build_batch_rows:,} "
        f"(seconds per file: {per_file}). `recompute` in chunks of "
        f"{config.chunk_subjects:,} subjects, as of the ingest clock; against the caches "
        f"already stored: {changed}.",
        "- The kernel reference runs `derive_entries` and `standings` under each bundled "
        "scheme on the simulator's typed frame of the same events, after a warm-up on 10,000 "
        "of them: no reading, decoding or writing.",
    ]
    if build["ingested"] < build["stored"]:
        notes.append(
            f"- **Ingesting the whole store did not fit**: after {build['seconds']:.0f} s "
            f"(`--build-budget {config.build_budget:g}`) {build['ingested']:,} events were in; "
            f"the facts of the other {build['stored'] - build['ingested']:,} were appended "
            f"directly in {build['append_seconds']:.0f} s (the same rows and hash chain as "
            "`ingest_file` gives, caches not derived), so `recompute` and the kernel ran at "
            "the full size; the caches it found were those of the ingested part, hence the "
            "changes. "
            "`--build-budget 0` ingests it all."
        )
    return notes


def render(config: Config, figures: Figures, command: str) -> str:
    """The Markdown section for BENCHMARKS.md; `command` is the one that measured it."""
    table = [
        "| What | Ours | Reference, same run | Ratio | Target |",
        "|---|---|---|---:|---|",
    ]
    for backend, insert in (("sqlite", "`executemany`"), ("postgres", "COPY")):
        if backend in figures:
            name = "SQLite" if backend == "sqlite" else f"PostgreSQL {figures[backend]['server']}"
            table.append(_ingest_row(name, insert, figures[backend])[0])
    if "recompute" in figures:
        table += _recompute_rows(figures["recompute"])
    info = figures["machine"]
    lines = [
        HEADING,
        "",
        f"`{command}` (this section: {figures['wall_seconds'] / 60:.1f} min). {info['CPU']}, "
        f"{info['Cores']}, {info['RAM']}; {info['OS']}; Python {info['Python']}, Polars "
        f"{info['Polars']}, SQLite {info['SQLite']}; socialcredit {info['socialcredit']}, "
        f"{info['Date']}. Load average "
        f"{figures['load_before']:.2f} before, {figures['load_after']:.2f} after: other "
        "processes may have shared the machine.",
        "",
        *table,
        "",
        "Ratio: the reference's time over ours (rows/s ours over the reference's). The ingest "
        "reference is Polars reading the same file plus a bulk insert of the same final rows, "
        "hashes included, into the same table of a fresh store; it checks nothing and derives "
        "nothing. The recompute reference does no I/O at all.",
        "",
        *_notes_md(config, figures),
        "",
        *_phases_md(figures),
        "",
    ]
    return "\n".join(lines)


def measure(argv: list[str]) -> tuple[Config, Figures]:
    """Every phase the flags `argv` ask for, and the machine they ran on."""
    config = parse_args(argv)
    return config, {"machine": machine({"SQLite": sqlite3.sqlite_version}), **run_all(config)}


def write_json(config: Config, figures: Figures) -> None:
    """The figures as JSON, if `--json` asked for them."""
    if config.json_path:
        payload = json.dumps(figures, indent=2, default=str)
        if config.json_path == "-":
            print(payload)
        else:
            Path(config.json_path).write_text(payload + "\n", encoding="utf-8")


def section(argv: list[str], command: str) -> str:
    """The Markdown section measured with the flags `argv`, for `command` (the one that was
    run, as the section names it) to write into BENCHMARKS.md; the JSON written if asked."""
    config, figures = measure(argv)
    text = render(config, figures, command)
    write_json(config, figures)
    return text


def main(argv: list[str] | None = None) -> None:
    """Run, print the Markdown section, and write the JSON if asked."""
    argv = sys.argv[1:] if argv is None else argv
    config, figures = measure(argv)
    print(render(config, figures, shlex.join([*COMMAND.split(), *argv])))
    write_json(config, figures)


if __name__ == "__main__":
    main()
