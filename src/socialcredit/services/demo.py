"""The demo store: a year of a synthetic district's events taken in through the ingest path,
due process under way on them, and a token for each kind of user.

What happens is drawn elsewhere from a seed (`simulate.demo`: the people, their events and
the cases to open, as a `demo_script.DemoScript`); this module plays it in a store with the
services the commands use, in this order (the due process steps are in `demo_cases`):

    set up      the bundled rulebooks published, the sources, relying parties and people
                registered (`socialcredit init`, `source add`, `party add`, `subject add`)
    ingest      the event file, in batches (`socialcredit ingest`)
    notices     the written notice of each listing older than a week, served the day after
                the court's order, as a store loaded with a court's past listings has them
    disputes    opened in the last days, a few answered by their source
    repairs     applied for, one of them accepted by the platform
    tick        the deadline job, once: notices of the recent listings, sources told of
                the disputes, outcomes sent (`socialcredit tick`)
    appeals     lodged against some of the listings whose appeal window is open
    decisions   the rail operator asks about a few people
    tokens      one for the citizen, a reviewer, the rail operator and the operator

Every step is a fact with its own time, earlier than the build where it says so, so the
store reads as a district a year into the system.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.services.demo_cases import (
    ask_about_some,
    file_repairs,
    lodge_appeals,
    open_disputes,
    proposed_listings,
    serve_past_notices,
)
from socialcredit.services.demo_script import DemoScript, DemoToken
from socialcredit.services.ingest import FileSummary, ingest_file
from socialcredit.services.parties import add_party
from socialcredit.services.registry import add_source
from socialcredit.services.schemes import publish_bundled
from socialcredit.services.tick import Ticked, tick
from socialcredit.services.tokens import RandomBytes, issue_token
from socialcredit.storage import Store

__all__ = ["BATCH_ROWS", "DemoBuilt", "Progress", "build_demo", "issue_demo_tokens", "set_up"]

# Rows per ingest transaction: big enough that batches cost little, small enough that the
# progress bar moves every few seconds.
BATCH_ROWS = 50_000


class Progress(Protocol):
    """Told when a phase starts (`done` 0, `total` None), after each ingest batch (rows done
    of the total), and when the phase is `finished`."""

    def __call__(
        self, phase: str, done: int, total: int | None, *, finished: bool = False
    ) -> None: ...


@dataclass
class DemoBuilt:
    """What the build did, phase by phase, and how long each phase took."""

    ingested: FileSummary | None = None
    past_notices: int = 0
    disputes: list[str] = field(default_factory=list)
    answered: int = 0
    repairs: list[str] = field(default_factory=list)
    ticked: Ticked | None = None
    appeals: list[str] = field(default_factory=list)
    listings: dict[str, int] = field(default_factory=dict)  # listings by state
    decisions: int = 0
    tokens: list[DemoToken] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class _Phases:
    """Times each phase and tells `progress` when it starts and ends."""

    def __init__(self, built: DemoBuilt, progress: Progress | None) -> None:
        self.built, self.progress = built, progress

    def tell(self, phase: str, done: int, total: int | None, *, finished: bool = False) -> None:
        if self.progress:
            self.progress(phase, done, total, finished=finished)

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        self.tell(phase, 0, None)
        yield
        self.built.seconds[phase] = round(time.perf_counter() - started, 2)
        self.tell(phase, 0, None, finished=True)


def build_demo(
    store: Store,
    script: DemoScript,
    events: Path,
    *,
    clock: Callable[[], datetime],
    random: RandomBytes,
    progress: Progress | None = None,
) -> DemoBuilt:
    """Build the demo in an empty store (see the module), telling `progress` how it goes."""
    built = DemoBuilt()
    phase = _Phases(built, progress)
    with phase("set up"):
        set_up(store, script, clock())
    with phase("ingest"):
        built.ingested = ingest_file(
            store,
            events,
            clock=clock,
            batch_rows=BATCH_ROWS,
            progress=lambda done, total: phase.tell("ingest", done, total),
        )
    if built.ingested.quarantined:
        raise SocialCreditError(
            f"{built.ingested.quarantined} demo event(s) were not recorded; see "
            f"{built.ingested.quarantine}"
        )
    now = clock()
    with phase("notices"):
        listed = proposed_listings(store)
        built.past_notices = serve_past_notices(store, listed, now)
    with phase("disputes"):
        built.disputes, built.answered = open_disputes(store, script.disputes, now)
    with phase("repairs"):
        built.repairs = file_repairs(store, script, listed, now)
    with phase("tick"):
        built.ticked = tick(store, now=clock())
    with phase("appeals"):
        built.appeals, built.listings = lodge_appeals(store, script, listed, clock())
    with phase("decisions"):
        built.decisions = ask_about_some(store, script, listed, clock())
    with phase("tokens"):
        built.tokens = issue_demo_tokens(store, script, random, clock())
    return built


def set_up(store: Store, script: DemoScript, at: datetime) -> None:
    """Publish the bundled rulebooks; register the sources, the parties and the people."""
    publish_bundled(store, published_at=at)
    for source in script.sources:
        add_source(
            store,
            source.id,
            name=source.name,
            trust=source.trust,
            allow=source.allow,
            credential=None,
            registered_at=at,
        )
    for party in script.parties:
        add_party(store, party.id, name=party.name, purposes=party.purposes, registered_at=at)
    # People without a single event are citizens too: registered in one batch, as
    # `subject add` registers one.
    people = pl.DataFrame({"id": script.people}).with_columns(kind=pl.lit("person"))
    store.register_subjects(people, registered_at=at)


def issue_demo_tokens(
    store: Store, script: DemoScript, random: RandomBytes, at: datetime
) -> list[DemoToken]:
    """A token for the citizen, the reviewer, the rail operator and the operator."""
    wanted = (
        ("citizen", "subject", script.featured),
        ("reviewer", "reviewer", script.reviewer),
        ("rail operator", "relying_party", script.rail),
        ("operator", "admin", script.operator),
    )
    tokens = []
    for who, role, principal in wanted:
        issued = issue_token(store, role=role, principal=principal, random=random, created_at=at)
        tokens.append(DemoToken(who, role, principal, issued.bearer))
    return tokens
