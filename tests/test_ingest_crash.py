"""Killing an ingest with SIGKILL at any moment loses no committed batch and leaves no partial
one; ingesting the same file again brings the ledger to exactly the state of a clean run.

Each kill runs `tests.ingest_child` (the service `socialcredit ingest` calls) in its own
process on a copy of one prepared store, kills it at a seeded random moment, checks what the
kill left, ingests the file again to the end and compares the ledger with a clean run's.
The moments are timed against the clean run's batches: one while the child is still starting,
the others a random part of a batch after the child reported some batch committed, so that
they fall before the first commit, inside a batch's work and around its commit.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from socialcredit.services.recompute import check_caches
from socialcredit.services.registry import add_source
from socialcredit.services.schemes import publish_bundled
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from socialcredit.simulate.wire import source_types, write_ndjson
from socialcredit.storage import ChainHead, open_store
from tests.ingest_child import RECORDED_AT

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="needs SIGKILL to kill the ingest without notice"
)

ROOT = Path(__file__).resolve().parent.parent
START = date(2025, 1, 1)
PEOPLE = 200  # about 2,000 events, ten batches
BATCH_ROWS = 200
KILLS = 6
SEED = 20260101
# Two children at a time: each spends most of its life importing, which is one core's work.
WORKERS = 2
CHILD_TIMEOUT = 120.0


@dataclass(frozen=True)
class Template:
    """A store with the bundled rulebooks and the events' sources, and the file to ingest."""

    db: Path
    events: Path
    total: int


@dataclass(frozen=True)
class Snapshot:
    """Everything a run leaves in the ledger, in a comparable order."""

    head: ChainHead
    events: pl.DataFrame
    subjects: pl.DataFrame
    standings: pl.DataFrame
    entries: pl.DataFrame


@dataclass(frozen=True)
class CleanRun:
    """A run left alone: its ledger, and when each of its progress lines came."""

    ledger: Snapshot
    lines: list[float]  # seconds from the start; line 0 once the file is read, then per batch


@dataclass(frozen=True)
class KillPoint:
    """Kill `delay` seconds after progress line `after_line`, or after the start if None."""

    after_line: int | None
    delay: float

    def __str__(self) -> str:
        if self.after_line is None:
            return f"kill {self.delay:.2f} s after the start"
        if self.after_line == 0:
            return f"kill {self.delay:.2f} s after the file was read"
        return f"kill {self.delay:.2f} s after batch {self.after_line} was committed"


@dataclass(frozen=True)
class Crash:
    """What one kill left, and what ingesting the file again made of it."""

    point: KillPoint
    returncode: int
    reported: int  # rows the child said were committed before it died
    killed: Snapshot
    breaks: list[str]
    differences: list[str]
    rerun: Snapshot


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    keys = [name for name, dtype in frame.schema.items() if not isinstance(dtype, pl.List)]
    return frame.sort(keys, nulls_last=True)


def snapshot(db: Path) -> Snapshot:
    """Read back the ledger at `db`."""
    with open_store(db) as store:
        head = store.head()
        return Snapshot(
            head,
            store.events_between(1, head.seq),
            _sorted(store.subjects()),
            _sorted(store.standings_for()),
            _sorted(store.entries_for()),
        )


def copy_store(template: Path, to: Path) -> Path:
    """Copy a SQLite store with its write-ahead log, if it has one."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{to}{suffix}")
    return to


def start_child(db: Path, events: Path) -> subprocess.Popen[str]:
    """Start ingesting `events` into `db` in another process."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ingest_child", str(db), str(events), str(BATCH_ROWS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(child: subprocess.Popen[str]) -> tuple[int, list[str]]:
    """Wait for a child; its exit code and every progress line it printed."""
    out, err = child.communicate(timeout=CHILD_TIMEOUT)
    assert child.returncode in (0, -signal.SIGKILL), f"the ingest failed:\n{err}"
    return child.returncode, out.splitlines()


def lines_until(child: subprocess.Popen[str], count: int) -> Iterator[str]:
    """Read progress lines until `count` have come or the child has closed its output."""
    assert child.stdout is not None
    for _ in range(count):
        line = child.stdout.readline()
        if not line:
            return
        yield line


def committed(lines: list[str]) -> int:
    """How many rows the last progress line says are committed."""
    return int(lines[-1].split()[0]) if lines else 0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("template")
    people = synthetic_population(PEOPLE, seed=SEED, start=START)
    events = synthetic_events(people, seed=SEED, start=START, days=365)
    db = folder / "ledger.db"
    with open_store(db) as store:
        publish_bundled(store, published_at=RECORDED_AT)
        for source, types in source_types(events).items():
            add_source(
                store,
                source,
                name=None,
                trust="high",
                allow=types,
                credential=None,
                registered_at=RECORDED_AT,
            )
    # Closing checkpoints the write-ahead log, so the file alone is the whole store.
    return Template(db, write_ndjson(events, folder / "events.ndjson"), events.height)


@pytest.fixture(scope="module")
def clean(template: Template, tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    db = copy_store(template.db, tmp_path_factory.mktemp("clean") / "ledger.db")
    started = time.perf_counter()
    child = start_child(db, template.events)
    lines = [time.perf_counter() - started for _ in lines_until(child, sys.maxsize)]
    assert finish(child)[0] == 0
    return CleanRun(snapshot(db), lines)


def kill_points(clean: CleanRun) -> list[KillPoint]:
    """One kill while the child starts; the rest after a random batch (the first included),
    a random part of the next batch's time later, sometimes just past its commit."""
    rng = random.Random(SEED)
    gaps = [b - a for a, b in pairwise(clean.lines)]
    after = [0, *rng.sample(range(1, len(gaps)), KILLS - 2)]
    return [
        KillPoint(None, rng.uniform(0.1, 0.9) * clean.lines[0]),
        *(KillPoint(line, rng.uniform(0.0, 1.2) * gaps[line]) for line in sorted(after)),
    ]


def crash_and_rerun(template: Template, folder: Path, point: KillPoint) -> Crash:
    """Kill an ingest at `point`, look at what it left, then ingest the file again."""
    db = copy_store(template.db, folder / "ledger.db")
    events = Path(shutil.copyfile(template.events, folder / "events.ndjson"))
    child = start_child(db, events)
    read = [] if point.after_line is None else list(lines_until(child, point.after_line + 1))
    time.sleep(point.delay)
    os.kill(child.pid, signal.SIGKILL)
    returncode, rest = finish(child)
    with open_store(db) as store:
        breaks = [str(b) for b in store.verify_chain()]
        differences = [str(d) for d in check_caches(store, as_of=RECORDED_AT)]
    killed = snapshot(db)
    assert finish(start_child(db, events))[0] == 0
    return Crash(
        point, returncode, committed(read + rest), killed, breaks, differences, snapshot(db)
    )


@pytest.fixture(scope="module")
def crashes(
    template: Template, clean: CleanRun, tmp_path_factory: pytest.TempPathFactory
) -> list[Crash]:
    points = kill_points(clean)
    folders = [tmp_path_factory.mktemp(f"kill-{i}") for i in range(len(points))]
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(crash_and_rerun, [template] * len(points), folders, points))


def test_the_clean_run_records_every_event(template: Template, clean: CleanRun) -> None:
    assert clean.ledger.head.seq == template.total
    assert len(clean.lines) == 1 + math.ceil(template.total / BATCH_ROWS)


def test_the_kills_interrupt_the_ingest(template: Template, crashes: list[Crash]) -> None:
    # Otherwise every check below holds of complete runs and proves nothing.
    landed = [(str(crash.point), crash.killed.head.seq) for crash in crashes]
    assert any(0 < seq < template.total for _, seq in landed), landed
    assert any(crash.returncode == -signal.SIGKILL for crash in crashes), landed


def test_a_kill_loses_no_batch_the_ingest_reported_committed(
    crashes: list[Crash], subtests: pytest.Subtests
) -> None:
    for crash in crashes:
        with subtests.test(str(crash.point)):
            assert crash.killed.head.seq >= crash.reported


def test_a_kill_leaves_whole_batches_of_the_clean_runs_log(
    template: Template, clean: CleanRun, crashes: list[Crash], subtests: pytest.Subtests
) -> None:
    for crash in crashes:
        with subtests.test(str(crash.point)):
            # Every row of the file is new, so each committed batch adds BATCH_ROWS events.
            seq = crash.killed.head.seq
            assert seq % BATCH_ROWS == 0 or seq == template.total
            assert_frame_equal(crash.killed.events, clean.ledger.events.head(seq))
            # A batch registers the subjects it names in the same transaction.
            named = crash.killed.events.get_column("subject").unique().sort()
            assert named.to_list() == crash.killed.subjects.get_column("id").sort().to_list()


def test_after_a_kill_the_chain_verifies_and_the_caches_match_the_facts(
    crashes: list[Crash], subtests: pytest.Subtests
) -> None:
    for crash in crashes:
        with subtests.test(str(crash.point)):
            assert crash.breaks == []
            assert crash.differences == []


def test_ingesting_again_after_a_kill_reaches_the_clean_runs_ledger(
    clean: CleanRun, crashes: list[Crash], subtests: pytest.Subtests
) -> None:
    expected = clean.ledger
    for crash in crashes:
        with subtests.test(str(crash.point)):
            got = crash.rerun
            assert got.head == expected.head
            assert_frame_equal(got.events, expected.events)
            assert_frame_equal(got.subjects, expected.subjects)
            assert_frame_equal(got.standings, expected.standings)
            assert_frame_equal(got.entries, expected.entries)
