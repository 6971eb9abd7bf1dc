"""The demo's district: a seeded synthetic Wendeng, a year of its events up to a day, and the
cases the demo opens on them.

`demo_world` draws it all from one seed (the same seed, size and day give the same people,
events and cases); `services.demo.build_demo` makes it so in a store. Beside the synthetic
year there are a few reports from a low-trust community source (pending until reviewed) and
one court order about the featured citizen: someone whose fine was doubled for a repeat,
who disputes that fine and appeals the listing the order proposes, so that the citizen's
sign-in shows each part of due process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from socialcredit.kernel.identity import adult_from
from socialcredit.services.demo_script import (
    DemoParty,
    DemoScript,
    DemoSource,
    DisputePlan,
    RepairPlan,
)
from socialcredit.services.evaluate import evaluate_events
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.synthetic import EVENT_SCHEMA, synthetic_events, synthetic_population
from socialcredit.simulate.wire import source_types, write_ndjson

__all__ = ["DAYS", "RATE", "RULEBOOK", "DemoWorld", "demo_world", "write_events"]

RULEBOOK = "cn-371003-wendeng"
DAYS = 365
# The synthetic generator's default rates are a stress load; the demo shows a calmer city.
RATE = 0.4
TIMEZONE = ZoneInfo("Asia/Shanghai")
_STREAM = 2  # the demo's own random stream; the generator draws from 0 and 1
COMMUNITY = "community.wendeng"
COURT = "court.wendeng"
TRAFFIC = "traffic.weihai"
SOURCE_NAMES = {
    "bank.weihai": "Weihai Commercial Bank",
    "bloodbank.weihai": "Weihai Central Blood Station",
    "charity.weihai": "Weihai Charity Federation",
    "civic.wendeng": "Wendeng Civilisation Office",
    COMMUNITY: "Wendeng community grid reporters",
    COURT: "Wendeng District People's Court",
    "edu.weihai": "Weihai Education Bureau",
    "market.wendeng": "Wendeng Market Supervision Bureau",
    "police.wendeng": "Wendeng Public Security Bureau",
    "tax.wendeng": "Wendeng Tax Bureau",
    TRAFFIC: "Weihai Traffic Police",
    "volunteer.wendeng": "Wendeng Volunteers Association",
}
RAIL = DemoParty("rail.12306", "China Railway 12306", ("rail_g_train", "rail_soft_sleeper"))
PARTIES = (
    RAIL,
    DemoParty("air.shandong", "Shandong Airlines", ("air_travel",)),
    DemoParty("heating.wendeng", "Wendeng Heating Company", ("heating_bill_discount",)),
)
# About as many entries as one screen explains.
READABLE = 8
# Entries people dispute: small penalties a camera or an officer may pin on the wrong person.
DISPUTABLE = ("traffic.fine", "traffic.warning", "public_order.illegal_parking")
DISPUTE_GROUNDS = (
    "I was not driving: the car was lent to a relative that week",
    "the plate in the photo is not mine; my car was in the garage",
    "I paid at the scene and have the receipt",
    "wrong date: I was in Jinan on business that day",
)
# Every few disputes one was confirmed, one withdrawn; the rest await the source's answer.
ANSWERS: tuple[Literal["confirmed", "withdrawn"] | None, ...] = (
    None,
    "confirmed",
    None,
    "withdrawn",
    None,
)


@dataclass(frozen=True, eq=False)
class DemoWorld:
    """The demo's events (the kernel's columns, `EVENT_SCHEMA`) and its script."""

    events: pl.DataFrame
    script: DemoScript
    start: date  # the first day of the year of events, in Wendeng
    end: date  # the day after the last


def _moment(day: date, hour: float = 0.0) -> datetime:
    """A local day and hour in Wendeng as a UTC instant."""
    local = datetime.combine(day, time(), TIMEZONE) + timedelta(hours=hour)
    return local.astimezone(UTC)


def demo_world(people: int, *, seed: int, today: date) -> DemoWorld:
    """`people` synthetic residents and their events over the `DAYS` days before `today`,
    with the demo's extra reports and its script."""
    start = today - timedelta(days=DAYS)
    population = synthetic_population(people, seed=seed, start=start)
    events = synthetic_events(population, seed=seed, start=start, days=DAYS, rate=RATE)
    rng = np.random.default_rng([_STREAM, seed])
    adults = population.people.filter(adult_from(pl.col("birth_date")) <= start)
    featured, doubled = _featured(events, adults.get_column("subject"), _moment(today))
    events = pl.concat(
        [
            events,
            _court_order(events, featured, today),
            _community_reports(rng, adults.get_column("subject"), today),
        ]
    )
    script = DemoScript(
        rulebook=RULEBOOK,
        people=tuple(population.people.get_column("subject").to_list()),
        sources=_sources(events),
        parties=PARTIES,
        featured=featured,
        disputes=(
            *_featured_dispute(featured, doubled),
            *_disputes(rng, events, adults, featured, today),
        ),
        repairs=_repairs(rng, events, adults, featured, today),
        rail=RAIL.id,
        rail_purpose=RAIL.purposes[0],
    )
    return DemoWorld(events, script, start, today)


def write_events(world: DemoWorld, path: Path) -> Path:
    """The demo's events as wire-format NDJSON, as its sources would send them."""
    return write_ndjson(world.events, path)


def _sources(events: pl.DataFrame) -> tuple[DemoSource, ...]:
    return tuple(
        DemoSource(
            source,
            SOURCE_NAMES.get(source, source),
            "low" if source == COMMUNITY else "high",
            tuple(types),
        )
        for source, types in source_types(events).items()
    )


def _featured(events: pl.DataFrame, adults: pl.Series, as_of: datetime) -> tuple[str, str | None]:
    """The citizen to feature: an adult whose year shows a fine doubled for a repeat, a bonus
    and a readable number of entries; and the id of the doubled fine (None if nobody has
    one)."""
    per = (
        events.filter(pl.col("subject").is_in(adults.implode()) & (pl.col("type") != "void"))
        .group_by("subject")
        .agg(n=pl.len(), fines=(pl.col("type") == "traffic.fine").sum())
    )
    candidates = per.filter((pl.col("fines") >= 2) & pl.col("n").is_between(5, 14))
    if candidates.is_empty():
        candidates = per.sort(["fines", "n", "subject"], descending=[True, True, False]).head(50)
    if candidates.is_empty():
        raise ValueError("the demo needs at least one adult with an event; give more --people")
    subjects = candidates.get_column("subject")
    mine = events.filter(pl.col("subject").is_in(subjects.implode()))
    entries = evaluate_events(mine, plan_for(RULEBOOK), as_of, subjects).entries
    doubled_fine = pl.col("doubled") & (pl.col("rule") == "traffic.fine")
    ranked = (
        entries.group_by("subject")
        .agg(
            doubled=doubled_fine.any(),
            bonus=(pl.col("applied_points") > 0).any(),
            long=(pl.len() - READABLE).abs(),
        )
        .sort(["doubled", "bonus", "long", "subject"], descending=[True, True, False, False])
    )
    featured = str(ranked.get_column("subject")[0])
    fines = entries.filter((pl.col("subject") == featured) & doubled_fine).sort("valid_from")
    return featured, (str(fines.get_column("event_id")[-1]) if fines.height else None)


def _featured_dispute(featured: str, fine: str | None) -> tuple[DisputePlan, ...]:
    if fine is None:
        return ()
    grounds = "I was not driving that day: the car was at the repair shop, invoice attached"
    return (DisputePlan(featured, TRAFFIC, fine, grounds, timedelta(hours=20)),)


def _rows(columns: dict[str, object]) -> pl.DataFrame:
    """A frame of extra events with the kernel's columns; those not given are null."""
    frame = pl.DataFrame(columns, schema_overrides={"occurred_at": EVENT_SCHEMA["occurred_at"]})
    missing = [pl.lit(None, dtype).alias(n) for n, dtype in EVENT_SCHEMA.items() if n not in frame]
    return frame.with_columns(missing).select(EVENT_SCHEMA.names())


def _court_order(events: pl.DataFrame, featured: str, today: date) -> pl.DataFrame:
    """The court lists the featured citizen as a judgment defaulter three days before."""
    at = _moment(today - timedelta(days=3), 10.0)
    year = at.astimezone(TIMEZONE).year
    cases = events.filter(pl.col("case_no").str.starts_with(f"({year})")).height
    return _rows(
        {
            "id": ["demo-court-1"],
            "source": [COURT],
            "subject": [featured],
            "type": ["court.defaulter_listed"],
            "occurred_at": [at],
            "case_no": [f"({year})鲁1003执{cases + 1}号"],
        }
    )


def _community_reports(rng: np.random.Generator, adults: pl.Series, today: date) -> pl.DataFrame:
    """Noise complaints from the community grid reporters over the last three weeks: a
    low-trust source, so each waits for a second source or a reviewer."""
    count = max(3, adults.len() // 1000)
    who = adults.gather(np.sort(rng.choice(adults.len(), count, replace=False)))
    days = rng.integers(1, 22, count)
    hours = rng.uniform(19.0, 23.5, count)
    return _rows(
        {
            "id": [f"tip-{i + 1:05d}" for i in range(count)],
            "source": [COMMUNITY] * count,
            "subject": who.to_list(),
            "type": ["public_order.noise"] * count,
            "occurred_at": [
                _moment(today - timedelta(days=int(d)), float(h))
                for d, h in zip(days, hours, strict=True)
            ],
        }
    )


def _candidates(
    events: pl.DataFrame, adults: pl.DataFrame, types: tuple[str, ...], since: datetime
) -> pl.DataFrame:
    """Recent events of these types about adults, not voided since, one per subject."""
    voided = events.filter(pl.col("type") == "void").select("source", id=pl.col("target"))
    return (
        events.filter(pl.col("type").is_in(types) & (pl.col("occurred_at") >= since))
        .join(voided, on=["source", "id"], how="anti")
        .join(adults.select("subject"), on="subject", how="semi")
        .unique("subject", keep="first", maintain_order=True)
    )


def _disputes(
    rng: np.random.Generator,
    events: pl.DataFrame,
    adults: pl.DataFrame,
    featured: str,
    today: date,
) -> tuple[DisputePlan, ...]:
    """About one person in 2,500 disputes a penalty of the last month, opened in the last
    three days."""
    recent = _candidates(events, adults, DISPUTABLE, _moment(today - timedelta(days=30)))
    recent = recent.filter(pl.col("subject") != featured)
    count = min(max(2, adults.height // 2500), recent.height)
    chosen = recent[np.sort(rng.choice(recent.height, count, replace=False)).tolist()]
    hours = rng.uniform(2.0, 72.0, count)
    return tuple(
        DisputePlan(
            subject,
            source,
            id,
            DISPUTE_GROUNDS[i % len(DISPUTE_GROUNDS)],
            timedelta(hours=float(hours[i])),
            ANSWERS[i % len(ANSWERS)],
        )
        for i, (subject, source, id) in enumerate(chosen.select("subject", "source", "id").rows())
    )


def _repairs(
    rng: np.random.Generator,
    events: pl.DataFrame,
    adults: pl.DataFrame,
    featured: str,
    today: date,
) -> tuple[RepairPlan, ...]:
    """A few fines of the last two months whose subjects ask to have them repaired."""
    recent = _candidates(events, adults, ("traffic.fine",), _moment(today - timedelta(days=60)))
    recent = recent.filter(pl.col("subject") != featured)
    count = min(3, recent.height)
    chosen = recent[np.sort(rng.choice(recent.height, count, replace=False)).tolist()]
    return tuple(
        RepairPlan(
            subject,
            source,
            id,
            commitment="I will keep to the speed limit and finish the road safety course",
            proof="the fine is paid; certificate of the road safety course attached",
        )
        for subject, source, id in chosen.select("subject", "source", "id").rows()
    )
