"""Benchmark: eligibility decisions over HTTP, beside a hello-world FastAPI app served the
same way, with a load generator on loopback.

    uv run --group bench python bench/http_api.py                 # the issue's sizes
    uv run --group bench python bench/http_api.py --duration 5    # shorter measurements
    uv run --group bench python bench/http_api.py --quick         # tiny smoke run

It prints its Markdown section; `bench/run.py` runs it too (section `http`, `--http="FLAGS"`
passes these flags on) and writes it into BENCHMARKS.md with the others. (The file is not
named `http.py`: in bench/, which scripts run from, that name would stand in for the
standard library's `http` package in every import.)

Servers, each in its own process on loopback, one at a time: `socialcredit serve` itself
(uvicorn, one process, as it serves) on a seeded SQLite store; and a hello-world FastAPI app
(`GET /` answering a constant JSON object, defined here) served by `uvicorn.run` with the
same settings. The store: `--people` synthetic people with a year of events, ingested, the
deadline job run, one relying party registered for every purpose and a token for it.

Load: wrk when it is installed (one thread, `--connections` connections, a Lua script that
sends `POST /decisions` with the token, subjects in a seeded random order and the purposes
in turn), otherwise an asyncio generator on httpx in this process; the section says which.
The server builds its decision desk from the store before it answers at all (`/health`
waits for it); a few decisions are asked one by one first; each measurement runs
`--warmup` seconds untimed, then `--duration` seconds:

1. saturation: hello world, then `POST /decisions`: answers a second, p50, p99;
2. `POST /decisions` offered at 70% of hello world's rate, paced by a schedule (wrk: a
   `delay` per request, to the millisecond): achieved rate, p50, p99; and at 70% of the
   decision endpoint's own saturated rate, a load it can carry.

Latency is from writing a request to its answer; a paced request waits for its slot first,
and that wait is not counted (no correction for coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import uvicorn
from fastapi import FastAPI

from socialcredit.services.decide import known_purposes
from socialcredit.services.ingest import ingest_file
from socialcredit.services.parties import add_party
from socialcredit.services.registry import add_source
from socialcredit.services.schemes import publish_bundled, published_schemes
from socialcredit.services.tick import tick
from socialcredit.services.tokens import issue_token
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from socialcredit.simulate.wire import source_types, write_ndjson
from socialcredit.storage import open_store

HEADING = "## HTTP"
HOST = "127.0.0.1"
START = date(2025, 1, 1)
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
PARTY = "bench.http"
LOAD_SHARE = 0.7  # the paced load, as a share of a saturated rate
RATIO_TARGET = 0.7  # decisions over hello world, saturated
P99_TARGET_MS = 10.0  # at LOAD_SHARE of hello world's rate


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- the hello world ----------------------------------------------------------------------------


def hello_app() -> FastAPI:
    """The framework's own hello world: one route, a constant JSON object."""
    app = FastAPI()

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"message": "Hello World"}

    return app


def serve_hello(port: int) -> None:
    """Serve the hello world as `socialcredit serve` serves the API."""
    uvicorn.run(hello_app(), host=HOST, port=port, log_level="info")


# --- the store ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """The seeded store, the relying party's bearer token, whom and what to ask about."""

    path: Path
    bearer: str
    subjects: list[str]
    purposes: list[str]
    events: int


def seed(folder: Path, people: int, asked: int, seed_value: int) -> Seeded:
    """A store of `people` synthetic people with a year of events, as `decide` finds it in
    production: ingested, the deadline job run, a relying party for every purpose."""
    population = synthetic_population(people, seed=seed_value, start=START)
    events = synthetic_events(population, seed=seed_value + 1, start=START, days=365)
    path = folder / "ledger.db"
    with open_store(str(path)) as store:
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
        ingest_file(store, write_ndjson(events, folder / "events.ndjson"), clock=lambda: AS_OF)
        tick(store, now=AS_OF)
        purposes = sorted(known_purposes(published_schemes(store)))
        add_party(store, PARTY, name=None, purposes=purposes, registered_at=AS_OF)
        issued = issue_token(
            store,
            role="relying_party",
            principal=PARTY,
            random=secrets.token_bytes,
            created_at=AS_OF,
        )
    everyone = events["subject"].unique().sort().to_list()
    rng = np.random.default_rng(seed_value)
    chosen = [everyone[int(i)] for i in rng.permutation(len(everyone))[:asked]]
    return Seeded(path, issued.bearer, chosen, purposes, events.height)


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


def _ready(url: str, process: subprocess.Popen[bytes], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise SystemExit(f"the server for {url} did not answer within {within:.0f} s")


@contextmanager
def serving(command: list[str], ready: str, env: dict[str, str] | None = None) -> Iterator[None]:
    """A server process, up and answering `ready`, for the length of the block."""
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _ready(ready, process, within=300)  # the server builds its desk before it answers
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prime(request: Request, count: int = 5) -> None:
    """A few decisions one by one before any load: the first ones warm what the server
    loads lazily (the rulebooks' plans, the kernel's functions), no part of a request's
    cost."""
    for subject, purpose in request.questions[:count]:
        body = json.dumps({"subject": subject, "purpose": purpose}).encode()
        headers = {"Authorization": f"Bearer {request.bearer}", "Content-Type": "application/json"}
        asked = urllib.request.Request(request.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(asked, timeout=120) as answer:
            if answer.status != 201:
                raise SystemExit(f"POST /decisions answered {answer.status}")


def api_server(port: int) -> list[str]:
    """`socialcredit serve`, the command itself."""
    main = "from socialcredit.cli import main; main()"
    return [sys.executable, "-c", main, "serve", "--host", HOST, "--port", str(port)]


def hello_server(port: int) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--serve-hello", str(port)]


# --- load ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One measurement: answers, how many were not 2xx, latency percentiles."""

    requests: int
    failed: int  # non-2xx answers and socket errors
    seconds: float
    p50_ms: float
    p99_ms: float
    offered: float | None  # the paced rate asked for; None: saturation

    @property
    def rate(self) -> float:
        """Successful answers a second."""
        return (self.requests - self.failed) / self.seconds


@dataclass(frozen=True)
class Request:
    """What the generator sends: a GET, or the decision POST with its token and questions."""

    url: str
    bearer: str | None = None
    questions: tuple[tuple[str, str], ...] = ()


_CLOCK_LUA = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end
"""

_PACED_LUA = """
local interval_us = 1e6 / {rate}
local next_us = nil
delay = function()
  local now = now_us()
  if next_us == nil then next_us = now end
  next_us = next_us + interval_us
  local wait_ms = (next_us - now) / 1000
  if wait_ms < 1 then return 0 end
  return math.floor(wait_ms)
end
"""

_POST_LUA = """
local questions = {{ {questions} }}
local headers = {{ ["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer {bearer}" }}
local i = 0
request = function()
  i = i % #questions + 1
  return wrk.format("POST", "/decisions", headers, questions[i])
end
"""

_DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"status\\": %d, "
    .. "\\"socket\\": %d, \\"p50_us\\": %.1f, \\"p99_us\\": %.1f}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_script(request: Request, rate: float | None) -> str:
    """The Lua script for one wrk run."""
    parts = [_CLOCK_LUA, _DONE_LUA]
    if rate is not None:
        parts.append(_PACED_LUA.format(rate=rate))
    if request.bearer is not None:
        bodies = ", ".join(
            json.dumps(json.dumps({"subject": s, "purpose": p})) for s, p in request.questions
        )
        parts.append(_POST_LUA.format(questions=bodies, bearer=request.bearer))
    return "\n".join(parts)


def run_wrk(
    request: Request, seconds: float, connections: int, rate: float | None, folder: Path
) -> Measured:
    script = folder / "load.lua"
    script.write_text(wrk_script(request, rate), encoding="utf-8")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        request.url,
    ]
    found = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(x for x in found.stdout.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return Measured(
        data["requests"],
        data["status"] + data["socket"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1e3,
        data["p99_us"] / 1e3,
        rate,
    )


async def _python_load(
    request: Request, seconds: float, connections: int, rate: float | None
) -> Measured:
    import httpx2 as httpx

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {request.bearer}"} if request.bearer else {}
    took: list[float] = []
    failed = 0
    sent = 0
    began = time.perf_counter()
    end = began + seconds
    interval = None if rate is None else 1 / rate

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failed, sent
        while True:
            slot = sent
            sent += 1
            if interval is not None:
                wait = began + slot * interval - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
            if time.perf_counter() >= end:
                return
            at = time.perf_counter()
            try:
                if request.bearer is None:
                    answer = await client.get(request.url)
                else:
                    subject, purpose = request.questions[slot % len(request.questions)]
                    body = {"subject": subject, "purpose": purpose}
                    answer = await client.post(request.url, json=body)
                failed += not answer.is_success
            except httpx.HTTPError:
                failed += 1
            took.append(time.perf_counter() - at)

    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    spent = time.perf_counter() - began
    p50, p99 = np.percentile(took, [50, 99]) * 1e3 if took else (float("nan"),) * 2
    return Measured(len(took), failed, spent, float(p50), float(p99), rate)


@dataclass(frozen=True)
class Load:
    """How load is generated: wrk if installed, else the asyncio generator."""

    connections: int
    warmup: float
    duration: float
    folder: Path
    use_wrk: bool

    @property
    def generator(self) -> str:
        """Which load generator, in words."""
        if self.use_wrk:
            found = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
            words = (found.stdout or found.stderr).split()
            return f"wrk {words[1] if len(words) > 1 else ''} (one thread, a Lua script)"
        why = "wrk is not installed" if shutil.which("wrk") is None else "--generator python"
        return f"an asyncio generator on httpx {version('httpx2')} in one process ({why})"

    def measure(self, request: Request, rate: float | None = None) -> Measured:
        """An untimed warm-up, then the measurement."""
        if self.warmup > 0:
            self._run(request, self.warmup, rate)
        return self._run(request, self.duration, rate)

    def _run(self, request: Request, seconds: float, rate: float | None) -> Measured:
        if self.use_wrk:
            return run_wrk(request, seconds, self.connections, rate, self.folder)
        return asyncio.run(_python_load(request, seconds, self.connections, rate))


# --- the section --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    """Command-line flags; the defaults are the issue's sizes."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="people in the store")
    parser.add_argument("--subjects", type=int, default=2_000, help="distinct subjects asked")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=5.0, help="untimed seconds before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="the load generator (auto: wrk if installed)",
    )
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--serve-hello", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.subjects, args.duration, args.warmup = 500, 200, 3.0, 1.0
    if args.generator == "wrk" and shutil.which("wrk") is None:
        parser.error("--generator wrk: wrk is not installed")
    return args


@dataclass(frozen=True)
class Results:
    hello: Measured
    decisions: Measured
    at_hello: Measured
    at_own: Measured


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _row(m: Measured) -> str:
    return f"p50 {m.p50_ms:.2f} ms, p99 {m.p99_ms:.2f} ms"


def _paced(m: Measured) -> str:
    assert m.offered is not None
    return f"{m.offered:,.0f}/s offered, {m.rate:,.0f}/s answered; {_row(m)}"


def _failures(r: Results) -> str:
    counted = [("hello world", r.hello), ("decisions", r.decisions)]
    counted += [("paced at hello world's 70%", r.at_hello), ("paced at its own 70%", r.at_own)]
    found = [f"{name}: {m.failed:,} of {m.requests:,}" for name, m in counted if m.failed]
    return "; ".join(found) if found else "none"


def render(args: argparse.Namespace, seeded: Seeded, load: Load, r: Results) -> str:
    ratio = r.decisions.rate / r.hello.rate
    p99_ok = r.at_hello.p99_ms < P99_TARGET_MS and r.at_hello.rate >= 0.95 * (
        r.at_hello.offered or 0
    )
    return "\n".join(
        [
            HEADING,
            "",
            "| What | Ours | Reference, same run | Target |",
            "|---|---|---|---|",
            f"| Saturated, {args.connections} connections | `POST /decisions`: "
            f"{r.decisions.rate:,.0f} decisions/s; {_row(r.decisions)} | hello world `GET /`: "
            f"{r.hello.rate:,.0f} requests/s; {_row(r.hello)} | >= {RATIO_TARGET:.0%} of hello "
            f"world: {ratio:.1%} {_met(ratio >= RATIO_TARGET)} |",
            f"| Paced at {LOAD_SHARE:.0%} of hello world | {_paced(r.at_hello)} | | p99 < "
            f"{P99_TARGET_MS:.0f} ms, rate kept {_met(p99_ok)} |",
            f"| Paced at {LOAD_SHARE:.0%} of its own saturated rate | {_paced(r.at_own)} | | |",
            "",
            f"- Load generator: {load.generator}, on loopback, {args.connections} "
            f"connections; each measurement {args.duration:g} s after {args.warmup:g} s "
            "untimed. Paced runs follow a schedule to the millisecond; latency is from writing "
            "a request to its answer, the wait for its slot not counted.",
            f"- Servers, one at a time, each in its own process: `socialcredit serve` and the "
            f"hello world under `uvicorn.run` with the same settings (uvicorn "
            f"{version('uvicorn')}, FastAPI {version('fastapi')}, {_stack()}, one worker, "
            "access log on, as `serve` runs).",
            f"- Store: SQLite, {args.people:,} synthetic people, {seeded.events:,} events over "
            f"a year, ingested and the deadline job run; requests ask about "
            f"{len(seeded.subjects):,} of them in a seeded random order, the "
            f"{len(seeded.purposes)} purposes in turn. Each decision is answered by the "
            "server's decision desk (built from the store at startup; the answer `decide` "
            "gives) and recorded with its read and any adverse-action notice, in groups of "
            "one transaction each, before it is returned.",
            f"- Answers not 2xx: {_failures(r)}.",
        ]
    )


def _stack() -> str:
    found = [name for name in ("uvloop", "httptools") if _installed(name)]
    loop = "uvloop" if "uvloop" in found else "asyncio"
    parser = "httptools" if "httptools" in found else "h11"
    return f"{loop} event loop, {parser} parser"


def _installed(name: str) -> bool:
    try:
        version(name)
    except Exception:
        return False
    return True


def section(argv: list[str] | None = None) -> str:
    """Measure, and the section of BENCHMARKS.md."""
    args = parse_args(argv)
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        load = Load(args.connections, args.warmup, args.duration, folder, bool(use_wrk))
        say(f"seeding a store of {args.people:,} people ...")
        seeded = seed(folder, args.people, args.subjects, args.seed)
        rng = np.random.default_rng(args.seed)
        asked = tuple(
            (s, seeded.purposes[int(rng.integers(len(seeded.purposes)))]) for s in seeded.subjects
        )
        say(f"hello world, saturated ({load.generator}) ...")
        port = free_port()
        with serving(hello_server(port), f"http://{HOST}:{port}/"):
            hello = load.measure(Request(f"http://{HOST}:{port}/"))
        say(f"  {hello.rate:,.0f}/s")
        port = free_port()
        decisions = Request(f"http://{HOST}:{port}/decisions", seeded.bearer, asked)
        env = {"SOCIALCREDIT_DB": str(seeded.path)}
        with serving(api_server(port), f"http://{HOST}:{port}/health", env):
            prime(decisions)
            say("decisions, saturated ...")
            saturated = load.measure(decisions)
            say(f"  {saturated.rate:,.0f}/s; paced at {LOAD_SHARE:.0%} of hello world ...")
            at_hello = load.measure(decisions, LOAD_SHARE * hello.rate)
            say(f"  p99 {at_hello.p99_ms:.1f} ms; paced at {LOAD_SHARE:.0%} of its own ...")
            at_own = load.measure(decisions, max(1.0, LOAD_SHARE * saturated.rate))
    return render(args, seeded, load, Results(hello, saturated, at_hello, at_own))


def main(argv: list[str] | None = None) -> None:
    """Print the section (or, with the hidden --serve-hello PORT, serve the hello world)."""
    args = parse_args(argv)
    if args.serve_hello is not None:
        serve_hello(args.serve_hello)
        return
    print(section(argv))


if __name__ == "__main__":
    main()
