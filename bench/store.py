"""Benchmark: appending events to the store beside a bare bulk insert of the same rows.

    uv run python bench/store.py                 # 200,000 events, SQLite, and PostgreSQL
    uv run python bench/store.py --events 1000000 --postgres postgresql://postgres@127.0.0.1/

The bare insert gets the final rows (positions and hashes already computed, as Python tuples
for SQLite and as CSV for PostgreSQL's COPY) in one transaction into the same table; the
store starts from a Polars frame of text and does everything: key lookup, classification,
hash chaining, insert. Each store figure is the median of `--runs` fresh runs.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import psycopg

from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from socialcredit.storage import open_store
from socialcredit.storage.contract import EVENT_COLUMNS
from socialcredit.storage.sqlite import CACHE_KIB

RECORDED = datetime(2026, 1, 1, tzinfo=UTC)
DATA_FIELDS = ["amount_cny", "months", "value_cny", "hours", "level", "case_no", "years"]
EVENTS_INSERT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
EVENTS_COPY = f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN (FORMAT csv)"


# --- the bare inserts, shared with bench/ingest.py ----------------------------------------------


def bare_sqlite(path: str) -> sqlite3.Connection:
    """A plain connection to a store's file, set up as the store's own: WAL (kept in the
    file since the store set it), synchronous FULL and the same page cache, transactions
    opened explicitly."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # the store's page cache too
    return connection


def bare_executemany(connection: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    """Event rows, final as stored, into `events` in one transaction."""
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(EVENTS_INSERT, rows)
    connection.execute("COMMIT")


def events_csv(records: pl.DataFrame) -> str:
    """Event rows as PostgreSQL's COPY reads them (text quoted, so empty is NULL)."""
    return records.write_csv(include_header=False, quote_style="non_numeric", null_value="")


def bare_copy(connection: psycopg.Connection[tuple[object, ...]], csv: str) -> None:
    """Event rows as CSV into `events` with COPY, in one transaction."""
    with (
        connection.transaction(),
        connection.cursor() as cursor,
        cursor.copy(EVENTS_COPY) as copy,  # type: ignore[arg-type]
    ):
        copy.write(csv)


@contextmanager
def throwaway_database(server: str) -> Iterator[Callable[[], str]]:
    """A database on `server` for this run, dropped afterwards; yields a function that gives
    the address of a fresh, empty schema in it at each call."""
    admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    name = f"socialcredit_bench_{secrets.token_hex(4)}"
    admin.execute(f"CREATE DATABASE {name}")  # type: ignore[call-overload]
    database = server.rstrip("/") + "/" + name
    schemas = iter(range(10_000))

    def target() -> str:
        schema = f"run_{next(schemas)}"
        with psycopg.connect(database, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
        return f"{database}?options=-csearch_path%3D{schema}"

    try:
        yield target
    finally:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")  # type: ignore[call-overload]
        admin.close()


# --- this benchmark -----------------------------------------------------------------------------


def wire_batch(n: int) -> pl.DataFrame:
    """n synthetic events as a source sends them: text columns, data as JSON text."""
    people = synthetic_population(max(n // 10, 1), seed=1, start=date(2025, 1, 1))
    events = synthetic_events(people, seed=2, start=date(2025, 1, 1), days=400).head(n)
    return events.select(
        "source",
        "id",
        "subject",
        "type",
        occurred_at=pl.col("occurred_at")
        .dt.convert_time_zone("Asia/Shanghai")
        .dt.strftime("%Y-%m-%dT%H:%M:%S%:z"),
        jurisdiction=pl.lit("371003"),
        act=pl.col("act"),
        data=pl.struct(DATA_FIELDS).struct.json_encode(),
        status=pl.lit("accepted"),
    )


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_of(runs: int, fresh: Callable[[], Callable[[], object]]) -> float:
    return statistics.median(timed(fresh()) for _ in range(runs))


def sqlite_figures(batch: pl.DataFrame, second: pl.DataFrame, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="socialcredit-bench-") as folder:
        return sqlite_figures_in(Path(folder), batch, second, runs)


def sqlite_figures_in(
    folder: Path, batch: pl.DataFrame, second: pl.DataFrame, runs: int
) -> dict[str, float]:
    def target() -> str:
        return str(folder / f"{secrets.token_hex(4)}.db")

    with open_store(target()) as store:
        store.append_events(batch, recorded_at=RECORDED)
        store.append_events(second, recorded_at=RECORDED)
        first_rows = store.events_between(1, batch.height).rows()
        second_rows = store.events_between(batch.height + 1, 2 * batch.height).rows()

    def bare(
        rows: list[tuple[object, ...]], *before: list[tuple[object, ...]]
    ) -> Callable[[], Callable[[], object]]:
        def fresh() -> Callable[[], object]:
            open_store(path := target()).close()
            connection = bare_sqlite(path)
            for earlier in before:
                bare_executemany(connection, earlier)
            return lambda: bare_executemany(connection, rows)

        return fresh

    return {
        "bare executemany, empty store": median_of(runs, bare(first_rows)),
        "bare executemany, after as many": median_of(runs, bare(second_rows, first_rows)),
        **store_figures(target, batch, second, runs),
    }


def postgres_figures(
    server: str, batch: pl.DataFrame, second: pl.DataFrame, runs: int
) -> dict[str, float]:
    with throwaway_database(server) as target:
        with open_store(target()) as store:
            store.append_events(batch, recorded_at=RECORDED)
            store.append_events(second, recorded_at=RECORDED)
            first_csv, second_csv = (
                events_csv(store.events_between(start + 1, start + batch.height))
                for start in (0, batch.height)
            )

        def bare(csv: str, *before: str) -> Callable[[], Callable[[], object]]:
            def fresh() -> Callable[[], object]:
                open_store(url := target()).close()
                connection = psycopg.connect(url, autocommit=True)
                for earlier in before:
                    bare_copy(connection, earlier)
                return lambda: bare_copy(connection, csv)

            return fresh

        return {
            "bare COPY, empty store": median_of(runs, bare(first_csv)),
            "bare COPY, after as many": median_of(runs, bare(second_csv, first_csv)),
            **store_figures(target, batch, second, runs),
        }


def store_figures(
    target: Callable[[], str], batch: pl.DataFrame, second: pl.DataFrame, runs: int
) -> dict[str, float]:
    def into_empty() -> Callable[[], object]:
        store = open_store(target())
        return lambda: store.append_events(batch, recorded_at=RECORDED)

    def into_filled() -> Callable[[], object]:
        store = open_store(target())
        store.append_events(batch, recorded_at=RECORDED)
        return lambda: store.append_events(second, recorded_at=RECORDED)

    def resent() -> Callable[[], object]:
        store = open_store(target())
        store.append_events(batch, recorded_at=RECORDED)
        return lambda: store.append_events(batch, recorded_at=RECORDED)

    def verify() -> Callable[[], object]:
        store = open_store(target())
        store.append_events(batch, recorded_at=RECORDED)
        return store.verify_chain

    return {
        "append_events, empty store": median_of(runs, into_empty),
        "append_events, after as many": median_of(runs, into_filled),
        "append_events, resent (all exist)": median_of(runs, resent),
        "verify_chain": median_of(runs, verify),
    }


def report(backend: str, n: int, figures: dict[str, float]) -> None:
    """Each figure with its rate, beside the bare insert into a store of the same size."""
    bare = {label.split(", ")[1]: t for label, t in figures.items() if label.startswith("bare")}
    print(f"\n{backend}, {n:,} events")
    for label, seconds in figures.items():
        like = label.split(", ")[-1] if label.endswith("after as many") else "empty store"
        ratio = bare[like] / seconds
        print(f"  {label:36} {seconds:6.2f} s {n / seconds:>10,.0f} rows/s  {ratio:4.2f}x bare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/",
        help='a server to create a throwaway database on; "" to measure SQLite only',
    )
    args = parser.parse_args()
    both = wire_batch(2 * args.events)
    batch, second = both.head(args.events), both.tail(args.events)
    report("SQLite", args.events, sqlite_figures(batch, second, args.runs))
    if args.postgres:
        report("PostgreSQL", args.events, postgres_figures(args.postgres, batch, second, args.runs))


if __name__ == "__main__":
    main()
