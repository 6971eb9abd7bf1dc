"""`socialcredit demo`: a synthetic district a year into the system, in a store of its own,
served for the browser with a token for each kind of user."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import app, err, fail, out, reported
from socialcredit.cli.options import JsonOpt, print_json
from socialcredit.services.demo import build_demo
from socialcredit.services.demo_summary import demo_summary
from socialcredit.simulate.demo import TIMEZONE, demo_world, write_events
from socialcredit.storage import open_store

__all__ = ["demo"]

DEFAULT_DIR = Path("socialcredit-demo")
ONE_DAY = timedelta(days=1)
MARKER, STORE, EVENTS, TOKENS = "demo.json", "ledger.db", "events.ndjson", "tokens.json"
# Every file the demo writes in its directory; --fresh removes these and nothing else.
DEMO_FILES = (
    MARKER,
    STORE,
    f"{STORE}-wal",
    f"{STORE}-shm",
    f"{STORE}-journal",
    EVENTS,
    f"{EVENTS}.quarantine.ndjson",
    TOKENS,
)
PHASES = {
    "set up": "publishing the rulebooks; registering sources, parties and people",
    "ingest": "ingesting the events",
    "notices": "serving the notices of past listings",
    "disputes": "opening disputes",
    "repairs": "applying for credit repair",
    "tick": "running the deadline job (tick)",
    "appeals": "appealing listings",
    "decisions": "asking for decisions",
    "tokens": "issuing tokens",
}
ROLES = {
    "citizen": "a fine doubled for a repeat, a dispute open, a listing under appeal",
    "reviewer": "the review queue: appeals, disputes, repairs, pending reports",
    "rail operator": "eligibility decisions for G-train tickets",
    "operator": "any record, its access log and notices",
}


def _marker(folder: Path) -> dict[str, Any] | None:
    """The demo's marker in `folder`; None for a folder that is absent or empty. A folder
    with other files in it is refused: the demo never writes over what it did not build."""
    if not folder.exists():
        return None
    if not folder.is_dir():
        fail(f"--dir {folder} is a file, not a directory")
    marker = folder / MARKER
    if marker.exists():
        try:
            found = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{marker}: not a demo marker ({exc}); give another --dir")
        if isinstance(found, dict) and found.get("demo") == 1:
            return found
        fail(f"{marker} is not a demo marker; give another --dir")
    if any(folder.iterdir()):
        fail(
            f"{folder} holds files but no {MARKER}: it is not a demo directory, and the demo "
            "never overwrites a store it did not build; give another --dir"
        )
    return None


def _clear(folder: Path) -> None:
    for name in DEMO_FILES:
        (folder / name).unlink(missing_ok=True)


def _write_marker(folder: Path, data: dict[str, Any]) -> None:
    text = json.dumps({"demo": 1, **data}, ensure_ascii=False, indent=1, default=str)
    partial = folder / f"{MARKER}.partial"
    partial.write_text(text + "\n", encoding="utf-8")
    partial.replace(folder / MARKER)


def _bar() -> Progress:
    """The build's progress, on standard error: a spinner and a bar per phase, with the rows
    and their rate while ingesting."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _write_tokens(path: Path, tokens: list[dict[str, str]]) -> None:
    """The tokens, readable by their owner only from the moment the file exists."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(json.dumps(tokens, ensure_ascii=False, indent=1) + "\n")


class _Report:
    """The build's progress bar: a line per phase as it runs, a line of its time after."""

    def __init__(self, bar: Progress, seconds: dict[str, float], labels: dict[str, str]) -> None:
        self.bar, self.seconds, self.labels = bar, seconds, {**PHASES, **labels}
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int | None, *, finished: bool = False) -> None:
        label = self.labels.get(phase, phase)
        if phase not in self.tasks:
            self.tasks[phase] = self.bar.add_task(label, total=None, count="")
            self.started[phase] = time.perf_counter()
        seconds = time.perf_counter() - self.started[phase]
        if finished:
            self.seconds.setdefault(phase, round(seconds, 2))
            self.bar.remove_task(self.tasks[phase])
            err.print(f"  {label}: {seconds:.1f} s", highlight=False)
        elif total is not None:
            rate = f", {done / seconds:,.0f} rows/s" if seconds and done else ""
            count = f"{done:,}/{total:,} rows{rate}"
            self.bar.update(self.tasks[phase], completed=done, total=total, count=count)


def _build(folder: Path, people: int, seed: int) -> dict[str, Any]:
    """Build the demo in `folder` and return its summary."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    _write_marker(folder, {"complete": False, "people": people, "seed": seed})
    clock: Callable[[], datetime] = bootstrap.clock
    today = clock().astimezone(TIMEZONE).date()
    seconds: dict[str, float] = {}
    with _bar() as bar, reported():
        report = _Report(
            bar, seconds, {"generate": f"generating {people:,} people and a year of events"}
        )
        report("generate", 0, None)
        world = demo_world(people, seed=seed, today=today)
        events = write_events(world, folder / EVENTS)
        report("generate", 0, None, finished=True)
        with open_store(folder / STORE) as store:
            built = build_demo(
                store,
                world.script,
                events,
                clock=clock,
                random=secrets.token_bytes,
                progress=report,
            )
            summary = demo_summary(store, world.script, built, clock())
    _write_tokens(folder / TOKENS, [t.as_dict() for t in built.tokens])
    summary |= {
        "seed": seed,
        "period": {"from": world.start.isoformat(), "to": (world.end - ONE_DAY).isoformat()},
        "seconds": {
            **seconds,
            **summary["seconds"],
            "build": round(time.perf_counter() - started, 1),
        },
    }
    _write_marker(folder, {"complete": True, "people": people, "seed": seed, "summary": summary})
    return summary


def _reused_or_built(
    folder: Path, people: int, seed: int, *, fresh: bool, quiet: bool
) -> dict[str, Any]:
    """The summary of the demo in `folder`: the one found there, unless `fresh` (or it is
    unfinished), else of a demo built now."""
    marker = _marker(folder)
    kept = all((folder / name).exists() for name in (STORE, TOKENS))
    if marker is not None and marker.get("complete") and kept and not fresh:
        if not quiet and (marker["people"], marker["seed"]) != (people, seed):
            err.print(
                f"reusing the demo in {folder}, built with --people {marker['people']:,} "
                f"--seed {marker['seed']}; --fresh builds it again with these options",
                highlight=False,
            )
        return {**marker["summary"], "reused": True}
    if marker is not None:
        _clear(folder)
    return {**_build(folder, people, seed), "reused": False}


@app.command()
def demo(
    folder: Annotated[
        Path,
        typer.Option("--dir", help="Where the demo's store, events and tokens are kept."),
    ] = DEFAULT_DIR,
    people: Annotated[
        int, typer.Option(help="Size of the synthetic population.", min=100, max=2_000_000)
    ] = 50_000,
    seed: Annotated[int, typer.Option(help="Seed for the people, events and cases.")] = 7,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Build again, replacing the demo in --dir.")
    ] = False,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8000,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve", help="Serve once built (default: yes, but not with --json)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build a demo store of a synthetic Wendeng District (a year of events through the
    ingest path, listings, appeals, disputes and repairs under way), issue a token for a
    citizen, a reviewer, a rail operator and the operator, and serve it on localhost. A
    second run reuses the store in --dir and starts at once."""
    summary = _reused_or_built(folder, people, seed, fresh=fresh, quiet=as_json)
    url = f"http://{host}:{port}"
    tokens = json.loads((folder / TOKENS).read_text(encoding="utf-8"))
    summary |= {
        "dir": str(folder),
        "store": str(folder / STORE),
        "url": url,
        "sign_in": f"{url}/sign-in",
        "token_file": str(folder / TOKENS),
        "tokens": tokens,
    }
    if as_json:
        print_json(summary)
    else:
        _render(summary)
    if serve is None:
        serve = not as_json
    if serve:
        _serve(folder / STORE, host, port)
    elif not as_json:
        out.print(
            f"\nBuilt, not served. `socialcredit demo --dir {folder}` serves it at once.",
            highlight=False,
        )


def _serve(store: Path, host: str, port: int) -> None:
    """Run what `socialcredit serve` runs, on the demo's store."""
    from socialcredit.cli.serve import serve

    os.environ["SOCIALCREDIT_DB"] = str(store)
    serve(host=host, port=port)


# --- rendering ---------------------------------------------------------------------------------


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in counts.items()) or "none"


def _render(summary: dict[str, Any]) -> None:
    if summary["reused"]:
        out.print(f"Reusing the demo in {summary['dir']} (--fresh builds it again).")
    else:
        _render_build(summary)
    _render_sign_in(summary)


def _render_build(summary: dict[str, Any]) -> None:
    events, period = summary["events"], summary["period"]
    out.print(
        f"\n[bold]{summary['rulebook']}[/]: {summary['people']:,} synthetic people, "
        f"{events['stored']:,} events from {period['from']} to {period['to']} in "
        f"{summary['store']}, built in {summary['seconds']['build']:.1f} s",
        highlight=False,
    )
    disputes = summary["disputes"]
    out.print(
        f"  listings: {_counts(summary['listings'])}\n"
        f"  disputes: {disputes['opened']:,} opened, {disputes['answered']:,} answered by "
        f"their source; repair applications: {summary['repairs']:,}; reports pending review: "
        f"{events['pending']:,}\n"
        f"  review queue: {_counts(summary['review_queue'])}",
        highlight=False,
    )
    table = Table("grade", "people", "share", title="Grade distribution")
    for row in summary["grades"]:
        table.add_row(row["grade"], f"{row['people']:,}", f"{row['share']:.1%}")
    out.print(table)
    _render_featured(summary["featured"])


def _render_featured(person: dict[str, Any]) -> None:
    out.print(
        f"[bold]One person, explained[/]: {person['subject']}: score {person['score']}, "
        f"grade {person['grade']}",
        highlight=False,
    )
    for entry in person["entries"]:
        state = "counts" if entry["counts"] else ("expired" if entry["expired"] else "ended")
        if entry["disputed"]:
            state += f", disputed: {entry['dispute_state']}"
        out.print(
            f"  {str(entry['valid_from'])[:10]}  [{state}]  {entry['reason']}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for listed in person["listings"]:
        out.print(f"  listing {listed['ref']}: {listed['state']}", highlight=False)


def _render_sign_in(summary: dict[str, Any]) -> None:
    out.print(f"\nOpen {summary['sign_in']} and paste a token to sign in as:", highlight=False)
    for token in summary["tokens"]:
        out.print(
            f"  [bold]{token['who']}[/] ({token['role']} {token['principal']}): "
            f"{ROLES.get(token['who'], '')}",
            highlight=False,
        )
        out.print(f"    {token['bearer']}", highlight=False, soft_wrap=True)
    out.print(
        f"The tokens are also in {summary['token_file']}. The API ({summary['url']}/openapi.json) "
        "takes them as `Authorization: Bearer TOKEN`. Commands on this store: "
        f"SOCIALCREDIT_DB={summary['store']} socialcredit explain {summary['featured']['subject']}",
        highlight=False,
        soft_wrap=True,
    )
