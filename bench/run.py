"""Benchmarks: the kernel against a ZEN decision table, the ledger (bench/ingest.py),
eligibility decisions (bench/decisions.py), the simulator against Mesa (bench/simulate.py)
and decisions over HTTP against a hello world (bench/http_api.py).

    uv run --group bench python bench/run.py                 # everything, writes BENCHMARKS.md
    uv run --group bench python bench/run.py --only kernel   # one section; the others are kept
    uv run --group bench python bench/run.py --quick         # tiny smoke run, prints only

Kernel: the Polars kernel on a seeded synthetic population, end to end, beside ZEN's
`evaluate_batch` on a sample of the same events. Generating the data is not timed, nor is
turning the reference's sample into dicts. Ledger: `bench/ingest.py`'s section, measured in
this run (each of its phases in a fresh process, as when it runs alone); `--ledger="FLAGS"`
passes it flags. Decisions: `bench/decisions.py`'s section; `--decisions="FLAGS"`.
Simulator: `bench/simulate.py`'s section (each of its runs in a fresh process);
`--simulate="FLAGS"`. HTTP: `bench/http_api.py`'s section (its servers in processes of their
own); `--http="FLAGS"`.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import polars as pl
import zen

import decisions
import http_api
import ingest
import simulate
from machine import ROOT, machine
from socialcredit.kernel.entries import derive
from socialcredit.kernel.standing import standings_of
from socialcredit.rules.plan import Plan, Segment
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from zen_table import DECISION_KEY, covered_rules, decision_json, input_fields, uncovered_rules

COMMAND = "uv run --group bench python bench/run.py"
# In the order BENCHMARKS.md gives them.
SECTIONS = ("kernel", "ledger", "decisions", "simulate", "http")
RULEBOOK = "cn-371003-wendeng"
START = date(2025, 1, 1)
EVENTS_PER_PERSON_YEAR = 10.0  # what `synthetic_events` gives at rate 1.0, about
KERNEL_TARGET = 20_000_000  # events per second, end to end
RATIO_TARGET = 100.0  # kernel events/s over the reference's
T = TypeVar("T")


# --- configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Sizes and repetitions of one benchmark run."""

    people: int
    days: int
    rate: float
    seed: int
    runs: int
    warmup: float
    zen_sample: int
    output: Path | None
    quick: bool
    only: str | None  # the section to measure; None: all
    ledger: list[str]  # flags for bench/ingest.py
    decisions: list[str]  # flags for bench/decisions.py
    simulate: list[str]  # flags for bench/simulate.py
    http: list[str]  # flags for bench/http_api.py
    argv: list[str]  # as given, for the ledger section to name its command

    @property
    def sections(self) -> tuple[str, ...]:
        """The sections this run measures."""
        return SECTIONS if self.only is None else (self.only,)


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Command-line flags; the defaults give at least 10 million events over 1 million people."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--people", type=int, default=1_000_000, help="subjects (default 1e6)")
    parser.add_argument("--days", type=int, default=400, help="days of events (default 400)")
    parser.add_argument(
        "--events-per-person",
        type=float,
        default=None,
        help="expected events per person over --days (sets the simulator's rate; "
        f"default: its natural ~{EVENTS_PER_PERSON_YEAR:g} a year)",
    )
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--runs", type=int, default=3, help="timed kernel runs (median)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.1,
        help="share of the events for one untimed warm-up run (0: none; default 0.1)",
    )
    parser.add_argument("--zen-sample", type=int, default=200_000, help="events for ZEN")
    parser.add_argument(
        "--ledger",
        default="",
        metavar="FLAGS",
        help='flags for bench/ingest.py, as one string: --ledger="--events 200000 --skip '
        'postgres" (see bench/ingest.py --help)',
    )
    parser.add_argument(
        "--decisions",
        default="",
        metavar="FLAGS",
        help='flags for bench/decisions.py, as one string: --decisions="--people 200000"',
    )
    parser.add_argument(
        "--simulate",
        default="",
        metavar="FLAGS",
        help='flags for bench/simulate.py, as one string: --simulate="--people 100000 '
        '--mesa-people 2000"',
    )
    parser.add_argument(
        "--http",
        default="",
        metavar="FLAGS",
        help='flags for bench/http_api.py, as one string: --http="--duration 10"',
    )
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        default=None,
        help="measure this section only and keep the other's text from the file written "
        "(from BENCHMARKS.md while --output does not exist yet)",
    )
    parser.add_argument("--output", type=Path, default=None, help="default: BENCHMARKS.md")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny smoke run (the ledger's --quick too); prints only, unless --output is given",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.days, args.runs, args.warmup = 20_000, 365, 1, 0.0
        args.zen_sample = min(args.zen_sample, 20_000)
    rate = 1.0
    if args.events_per_person is not None:
        rate = args.events_per_person / (EVENTS_PER_PERSON_YEAR * args.days / 365.25)
    output = args.output if args.output or args.quick else ROOT / "BENCHMARKS.md"
    ledger = ["--quick"] * args.quick + shlex.split(args.ledger)
    decision_flags = ["--quick"] * args.quick + shlex.split(args.decisions)
    simulate_flags = ["--quick"] * args.quick + shlex.split(args.simulate)
    http_flags = ["--quick"] * args.quick + shlex.split(args.http)
    return Config(
        args.people,
        args.days,
        rate,
        args.seed,
        args.runs,
        args.warmup,
        args.zen_sample,
        output,
        args.quick,
        args.only,
        ledger,
        decision_flags,
        simulate_flags,
        http_flags,
        argv,
    )


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """The seeded events and the moment standings are taken at."""

    events: pl.DataFrame
    people: int
    as_of: datetime
    seconds: float


def make_workload(config: Config, plan: Plan) -> Workload:
    """Synthetic people and events (untimed for the benchmark; the time is only reported)."""
    began = time.perf_counter()
    population = synthetic_population(config.people, seed=config.seed, start=START)
    events = synthetic_events(
        population, seed=config.seed + 1, start=START, days=config.days, rate=config.rate
    )
    end = START + timedelta(days=config.days)
    as_of = datetime(end.year, end.month, end.day, tzinfo=ZoneInfo(plan.timezone))
    return Workload(events, len(population), as_of, time.perf_counter() - began)


# --- kernel -------------------------------------------------------------------------------------

PHASES = ("derive", "standings")  # end to end: events to scores and grades


@dataclass
class KernelResult:
    """Seconds per phase of each timed run, and what the last run produced."""

    runs: list[dict[str, float]] = field(default_factory=list)
    entries: int = 0
    subjects: int = 0
    grades: dict[str, int] = field(default_factory=dict)
    sample_points: pl.DataFrame | None = None
    peak_rss_gib: float = 0.0

    def median(self, *phases: str) -> float:
        """Median over runs of the summed seconds of `phases`."""
        return statistics.median(sum(run[p] for p in phases) for run in self.runs)


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def kernel_once(
    events: pl.DataFrame, plan: Plan, as_of: datetime
) -> tuple[dict[str, float], pl.DataFrame, pl.DataFrame]:
    """One end-to-end kernel run (birth dates from the resident IDs included); seconds per phase."""
    derivation, t_derive = _timed(lambda: derive(events, plan))
    standing, t_stand = _timed(lambda: standings_of(derivation, plan, as_of))
    # The entry frame, names and all, is what a store caches; standings do not need it.
    entries, t_entries = _timed(derivation.entries)
    seconds = {"derive": t_derive, "standings": t_stand, "entries": t_entries}
    return seconds, entries, standing


def _kernel_points(entries: pl.DataFrame, sample_ids: pl.DataFrame) -> pl.DataFrame:
    """The kernel's per-event entries (not repairs) for the sampled events."""
    return (
        entries.filter(pl.col("kind") != "repair")
        .join(sample_ids, on=["source", "event_id"], how="semi")
        .select("source", "event_id", "rule", "base_points", "grade")
    )


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def time_kernel(
    work: Workload, plan: Plan, config: Config, sample_ids: pl.DataFrame
) -> KernelResult:
    """An optional warm-up on a slice of the events, then `config.runs` timed runs.

    Each run's frames are dropped before the next: at full size one run alone needs most of
    the machine's memory.
    """
    if config.warmup > 0:
        head = work.events.head(max(1, int(work.events.height * config.warmup)))
        kernel_once(head, plan, work.as_of)
        del head
        gc.collect()
    result = KernelResult()
    for i in range(config.runs):
        seconds, entries, standing = kernel_once(work.events, plan, work.as_of)
        result.runs.append(seconds)
        print(f"  kernel run {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
        if i == config.runs - 1:
            result.entries, result.subjects = entries.height, standing.height
            counts = standing.group_by("grade").len().sort("grade").iter_rows()
            result.grades = {str(g): int(n) for g, n in counts}
            result.sample_points = _kernel_points(entries, sample_ids)
        del entries, standing
        gc.collect()
    result.peak_rss_gib = _peak_rss_gib()
    return result


# --- reference ----------------------------------------------------------------------------------


@dataclass
class ZenResult:
    """Seconds of each `evaluate_batch` over the sample, and its per-event answers."""

    sample: int
    table_rows: int
    seconds: list[float]
    answers: pl.DataFrame

    @property
    def median(self) -> float:
        """Median seconds over the timed batches."""
        return statistics.median(self.seconds)


def zen_sample(events: pl.DataFrame, size: int, seed: int) -> pl.DataFrame:
    """A seeded uniform sample of the events, in event order."""
    size = min(size, events.height)
    return events.with_row_index("_row").sample(size, seed=seed).sort("_row").drop("_row")


def zen_requests(sample: pl.DataFrame, fields: list[str]) -> list[dict[str, Any]]:
    """One request per sampled event, with the fields the table reads (nulls left out)."""
    contexts = sample.select(fields).to_dicts()
    return [
        {"key": DECISION_KEY, "context": {k: v for k, v in c.items() if v is not None}}
        for c in contexts
    ]


def _number(value: Any) -> int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else None


def _answers(sample: pl.DataFrame, batch: list[Any]) -> pl.DataFrame:
    """ZEN's points, grade and rule per sampled event (nulls where no row matched)."""
    results = [item["data"]["result"] if item.get("success") else {} for item in batch]
    failures = sum(1 for item in batch if not item.get("success"))
    if failures:
        raise RuntimeError(f"ZEN failed on {failures} events: {batch[0].get('error')}")
    return sample.select("source", event_id=pl.col("id")).with_columns(
        zen_points=pl.Series([_number(r.get("points")) for r in results], dtype=pl.Int64),
        zen_grade=pl.Series([r.get("grade") for r in results], dtype=pl.String),
        zen_rule=pl.Series([r.get("rule") for r in results], dtype=pl.String),
    )


def time_zen(segment: Segment, sample: pl.DataFrame, runs: int) -> ZenResult:
    """Build the decision from the segment's rules, warm it up, time `runs` batches."""
    decision = decision_json(segment)
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {DECISION_KEY: decision}}})
    engine.create_decision(json.dumps(decision)).validate()
    requests = zen_requests(sample, input_fields(segment))
    engine.evaluate_batch(requests[: min(len(requests), 1000)])  # loads and compiles
    seconds, batch = [], []
    for i in range(runs):
        batch, elapsed = _timed(lambda: engine.evaluate_batch(requests))
        seconds.append(elapsed)
        print(f"  ZEN run {i + 1}: {elapsed:.2f} s")
    rows = len(decision["nodes"][1]["content"]["rules"])
    return ZenResult(len(requests), rows, seconds, _answers(sample, batch))


@dataclass(frozen=True)
class Agreement:
    """How ZEN's per-event points compare with the kernel's `base_points`."""

    compared: int
    agreeing: int
    no_kernel_entry: int
    not_covered: int
    unscored: int
    examples: list[dict[str, Any]]

    @property
    def share(self) -> float:
        """Agreeing rows over compared rows (1.0 when nothing was compared)."""
        return self.agreeing / self.compared if self.compared else 1.0


def agreement(answers: pl.DataFrame, kernel: pl.DataFrame, covered: set[str]) -> Agreement:
    """Compare per sampled event, over the events the kernel scored under a covered rule."""
    both = answers.join(kernel, on=["source", "event_id"], how="left")
    has_entry = pl.col("rule").is_not_null()
    compared = both.filter(has_entry & pl.col("rule").is_in(sorted(covered)))
    same = (
        (pl.col("zen_points") == pl.col("base_points")).fill_null(False)
        & pl.col("zen_grade").eq_missing(pl.col("grade"))
        & pl.col("zen_rule").eq_missing(pl.col("rule"))
    )
    differing = compared.filter(~same)
    return Agreement(
        compared=compared.height,
        agreeing=compared.height - differing.height,
        no_kernel_entry=both.filter(~has_entry & pl.col("zen_rule").is_not_null()).height,
        not_covered=both.filter(has_entry & ~pl.col("rule").is_in(sorted(covered))).height,
        unscored=both.filter(~has_entry & pl.col("zen_rule").is_null()).height,
        examples=differing.head(5).to_dicts(),
    )


# --- report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Everything the Markdown report shows."""

    config: Config
    machine: dict[str, str]
    plan: Plan
    segment: Segment
    work: Workload
    kernel: KernelResult
    zen: ZenResult
    agree: Agreement

    @property
    def kernel_rate(self) -> float:
        """Input events per second, end to end (entries as codes, then standings)."""
        return self.work.events.height / self.kernel.median(*PHASES)

    @property
    def zen_rate(self) -> float:
        """Sampled events per second through `evaluate_batch`."""
        return self.zen.sample / self.zen.median


def _rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f} M/s"
    return f"{value / 1e3:.1f} k/s"


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _machine_md(report: Report) -> list[str]:
    lines = ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in report.machine.items()]
    return [*lines, ""]


def _workload_md(report: Report) -> list[str]:
    c, w = report.config, report.work
    return [
        "## Workload",
        "",
        f"- Rulebook `{report.plan.rulebook}` ({report.segment.label}), "
        f"{len(report.segment.rules)} rules.",
        f"- `synthetic_population({c.people:_}, seed={c.seed}, start={START})` and "
        f"`synthetic_events(..., seed={c.seed + 1}, start={START}, days={c.days}, "
        f"rate={c.rate:.4g})`: **{w.events.height:,} events over {w.people:,} subjects** "
        f"({w.events.height / max(w.people, 1):.1f} per subject). Generated in "
        f"{w.seconds:.1f} s, not timed.",
        f"- Standings as of {w.as_of.isoformat()}.",
        f"- Kernel: median of {c.runs} timed run(s)"
        + (
            f", after one untimed warm-up on the first {c.warmup:.0%} of the events."
            if c.warmup > 0
            else ", no warm-up."
        ),
        "",
    ]


def _kernel_md(report: Report) -> list[str]:
    k, n = report.kernel, report.work.events.height
    rows = [
        ("`derive`: events to entries as codes (birth dates from IDs included)", ("derive",)),
        ("`standings_of`: codes to scores and grades", ("standings",)),
        ("**End to end**: events to scores and grades", PHASES),
        ("Not in the end to end: `entries()`, the entry frame spelled out", ("entries",)),
    ]
    lines = [
        "## Kernel",
        "",
        "| Phase | Median s | Runs (s) | Input events/s |",
        "|---|---:|---|---:|",
    ]
    for name, phases in rows:
        each = ", ".join(f"{sum(r[p] for p in phases):.2f}" for r in k.runs)
        lines.append(
            f"| {name} | {k.median(*phases):.2f} | {each} | {_rate(n / k.median(*phases))} |"
        )
    grades = ", ".join(f"{g} {c:,}" for g, c in k.grades.items())
    return [
        *lines,
        "",
        f"Last run: {k.entries:,} entries, {k.subjects:,} subjects with standings "
        f"(grades: {grades}). Peak resident memory of the process: {k.peak_rss_gib:.1f} GiB.",
        "",
    ]


def _zen_md(report: Report) -> list[str]:
    z, a = report.zen, report.agree
    left_out = "; ".join(uncovered_rules(report.segment)) or "none"
    lines = [
        "## Reference: ZEN decision table",
        "",
        f"- JDM graph inputNode -> decisionTableNode (hit policy `first`, {z.table_rows} rows, "
        f"generated from the plan's rules by `bench/zen_table.py`) -> outputNode.",
        f"- Per-event part only: points by type and band, per-unit, lookup and progressive "
        f"points, direct grades. Left out: {left_out}.",
        f"- `ZenEngine.evaluate_batch` over a seeded uniform sample of **{z.sample:,} events** "
        f"of the same stream (dict conversion not timed), median of {len(z.seconds)} after a "
        f"warm-up batch: **{z.median:.2f} s, {_rate(report.zen_rate)}** "
        f"(runs: {', '.join(f'{s:.2f}' for s in z.seconds)} s).",
        f"- Agreement with the kernel's `base_points` (and grade and rule): "
        f"**{a.agreeing:,} of {a.compared:,} sampled events ({a.share:.4%})**. Not compared: "
        f"{a.not_covered:,} events under rules the table leaves out, {a.no_kernel_entry:,} "
        f"events the kernel dropped (withdrawn by a void), {a.unscored:,} events that no rule "
        f"scores per event (voids and repair events).",
    ]
    if a.examples:
        lines += ["", "First disagreements:", "", "```"]
        lines += [json.dumps(e, default=str) for e in a.examples] + ["```"]
    return [*lines, ""]


def _targets_md(report: Report) -> list[str]:
    ratio = report.kernel_rate / report.zen_rate
    return [
        "## Targets",
        "",
        "| Target | Measured | |",
        "|---|---:|---|",
        f"| Kernel end to end >= {KERNEL_TARGET / 1e6:.0f} M events/s | "
        f"{_rate(report.kernel_rate)} | {_met(report.kernel_rate >= KERNEL_TARGET)} |",
        f"| Kernel / ZEN >= {RATIO_TARGET:.0f}x | {ratio:.2f}x | {_met(ratio >= RATIO_TARGET)} |",
        "",
        "The two sides do not do the same work: the kernel runs every rule of the pack, "
        "history included (repeat doubling, one act one entry, caps, cumulative tiers, "
        "repairs, minors, validity, scores and grades), while the reference only maps each "
        "event to its base points. The ratio therefore flatters the reference.",
        "",
    ]


def render(report: Report) -> str:
    """The kernel's section of BENCHMARKS.md."""
    body = [
        *_machine_md(report),
        *_workload_md(report),
        *_kernel_md(report),
        *_zen_md(report),
        *_targets_md(report),
    ]
    return "\n".join(body).rstrip()


# --- the document -------------------------------------------------------------------------------


def header() -> str:
    """The top of BENCHMARKS.md: how to regenerate it."""
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "Regenerate everything with one command (at the repository root):",
            "",
            "```sh",
            COMMAND,
            "```",
            "",
            "It measures the kernel beside a ZEN decision table, then the ledger "
            "(`bench/ingest.py`: ingest into SQLite and PostgreSQL, and a full recompute) "
            "beside bare inserts and the kernel alone, then eligibility decisions from warm "
            "caches (`bench/decisions.py`) beside `decide` from the facts; every figure sits "
            "beside its reference, measured in the same run, then the simulator "
            "(`bench/simulate.py`) beside the same behaviour model in Mesa, then decisions "
            "over HTTP (`bench/http_api.py`) beside a hello-world FastAPI app served the same "
            "way. The full run is long. Flags:",
            "",
            "- `--only kernel`, `--only ledger`, `--only decisions`, `--only simulate` or "
            "`--only http` measures that section only and keeps the others as they stand in "
            "the file written.",
            "- `--output PATH` writes there instead of BENCHMARKS.md.",
            "- `--quick` does a tiny smoke run of every section (or the one `--only` names) "
            "and prints only, unless `--output` is given.",
            "- Kernel sizes: `--people`, `--days`, `--events-per-person`, `--runs`, "
            "`--warmup`, `--zen-sample`, `--seed`.",
            '- Ledger flags go to `bench/ingest.py` through `--ledger="FLAGS"`, for example '
            '`--ledger="--events 200000 --skip postgres"`; '
            "`uv run --group bench python bench/ingest.py --help` lists them. That script "
            "alone prints the ledger section without writing this file.",
            '- Decision flags go to `bench/decisions.py` through `--decisions="FLAGS"`, for '
            'example `--decisions="--people 200000"`.',
            '- Simulator flags go to `bench/simulate.py` through `--simulate="FLAGS"`, for '
            'example `--simulate="--people 100000 --mesa-people 2000"`.',
            '- HTTP flags go to `bench/http_api.py` through `--http="FLAGS"`, for example '
            '`--http="--duration 10 --connections 64"`.',
        ]
    )


def split(text: str) -> dict[str, str]:
    """The sections of a BENCHMARKS.md, by their headings: the kernel's from the first `## `
    heading up to the next section's, the others from their own; those absent are left out."""
    lines = text.splitlines()
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    if not headings:
        return {}
    named = {
        ingest.HEADING: "ledger",
        decisions.HEADING: "decisions",
        simulate.HEADING: "simulate",
        http_api.HEADING: "http",
    }
    starts = {"kernel": headings[0]} | {
        named[lines[i].strip()]: i for i in headings if lines[i].strip() in named
    }
    order = sorted(starts.items(), key=lambda item: item[1])
    found = {}
    for (name, start), following in zip(order, [*order[1:], ("", len(lines))], strict=True):
        found[name] = "\n".join(lines[start : following[1]]).strip()
    return {name: body for name, body in found.items() if body}


def kept(config: Config) -> dict[str, str]:
    """The sections this run does not measure, as they stand in the file to be written (or in
    BENCHMARKS.md while that file does not exist yet); none for a quick run."""
    if config.quick or config.only is None:
        return {}
    assert config.output is not None
    source = config.output if config.output.exists() else ROOT / "BENCHMARKS.md"
    found = split(source.read_text(encoding="utf-8")) if source.exists() else {}
    others = {name: found[name] for name in SECTIONS if name != config.only and name in found}
    for name in SECTIONS:
        if name != config.only:
            state = f"kept from {source}" if name in others else f"none in {source}, left out"
            print(f"{name} section: {state}", file=sys.stderr)
    return others


def document(sections: dict[str, str]) -> str:
    """BENCHMARKS.md: the header, then the sections there are, in order."""
    parts = [header(), *(sections[name] for name in SECTIONS if name in sections)]
    return "\n\n".join(parts).rstrip() + "\n"


# --- main ---------------------------------------------------------------------------------------


def _segment_for(plan: Plan, config: Config) -> Segment:
    """The one segment in force over the whole event period."""
    first = plan.segment_at(START)
    last = plan.segment_at(START + timedelta(days=config.days))
    if first is None or first is not last:
        raise SystemExit("the event period must lie inside one segment of the plan")
    return first


def kernel_section(config: Config) -> str:
    """Generate, time both sides, compare; the kernel's section. Its frames go when it returns."""
    plan = plan_for(RULEBOOK)
    segment = _segment_for(plan, config)
    info = machine({"zen-engine": version("zen-engine")})
    print(f"generating {config.people:,} people over {config.days} days ...")
    work = make_workload(config, plan)
    print(f"  {work.events.height:,} events in {work.seconds:.1f} s")
    sample = zen_sample(work.events, config.zen_sample, config.seed)
    sample_ids = sample.select("source", event_id=pl.col("id"))
    print(f"ZEN: {sample.height:,} sampled events")
    zen_result = time_zen(segment, sample, max(config.runs, 1))
    print("kernel ...")
    kernel = time_kernel(work, plan, config, sample_ids)
    assert kernel.sample_points is not None
    covered = {r.id for r in covered_rules(segment)}
    report = Report(
        config,
        info,
        plan,
        segment,
        work,
        kernel,
        zen_result,
        agreement(zen_result.answers, kernel.sample_points, covered),
    )
    return render(report)


def ledger_section(config: Config) -> str:
    """The ledger's section, measured by bench/ingest.py with `config.ledger`, each of its
    phases in a fresh process; it names this script's command line as the one run."""
    return ingest.section(config.ledger, shlex.join([*COMMAND.split(), *config.argv]))


def main(argv: Sequence[str] | None = None) -> None:
    """Measure the sections asked for, print BENCHMARKS.md, and write it (not when quick)."""
    config = parse_args(argv)
    if "kernel" in config.sections:  # checked before the long part, not after it
        _segment_for(plan_for(RULEBOOK), config)
    if "ledger" in config.sections:
        ingest.parse_args(config.ledger, prog="bench/run.py --ledger")
    if "decisions" in config.sections:
        decisions.parse_args(config.decisions, prog="bench/run.py --decisions")
    if "simulate" in config.sections:
        simulate.parse_args(config.simulate, prog="bench/run.py --simulate")
    if "http" in config.sections:
        http_api.parse_args(config.http, prog="bench/run.py --http")
    sections = kept(config)
    # The ledger first: its phases run in child processes, so the kernel's peak memory (this
    # process's) stays its own, and the kernel's frames never sit beside the ledger's phases.
    if "ledger" in config.sections:
        print("ledger ... (progress on stderr)")
        sections["ledger"] = ledger_section(config)
    if "decisions" in config.sections:
        print("decisions ... (progress on stderr)")
        sections["decisions"] = decisions.section(config.decisions)
    if "simulate" in config.sections:
        print("simulate ... (progress on stderr)")
        sections["simulate"] = simulate.section(config.simulate)
    if "http" in config.sections:
        print("http ... (progress on stderr)")
        sections["http"] = http_api.section(config.http)
    if "kernel" in config.sections:
        sections["kernel"] = kernel_section(config)
    text = document(sections)
    print()
    print(text)
    if config.output is not None:
        config.output.write_text(text, encoding="utf-8")
        print(f"wrote {config.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
