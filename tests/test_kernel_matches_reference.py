"""The vectorised kernel and the reference evaluator agree on random event streams."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcredit.domain.events import Event
from socialcredit.kernel import reference
from socialcredit.kernel.entries import ENTRY_COLUMNS, derive, derive_entries
from socialcredit.kernel.standing import STANDING_COLUMNS, standings, standings_of
from socialcredit.rules.model import ByField, Lookup
from socialcredit.rules.plan import CONSENT_GIVEN, CONSENT_WITHDRAWN, VOID, Plan
from tests.conftest import catalog_with_test_books

CATALOG = catalog_with_test_books()
PLANS = {name: CATALOG.plan(name) for name in ("cn-371003-wendeng", "test-mixed", "civic-rewards")}
ZONES = [timezone(timedelta(hours=8)), UTC, timezone(timedelta(hours=-5))]
AMOUNTS = [
    0,
    50,
    99.5,
    100,
    100.5,
    200,
    250,
    499,
    500,
    500.01,
    501,
    750,
    1000,
    1001,
    1500,
    2000,
    2001,
    4999,
    5000,
    9999,
    10000,
    10001,
    12345,
    30000,
]
SUBJECTS = ["s1", "s2", "s3"]
START = datetime(2019, 10, 1)


def _levels(plan: Plan) -> list[str]:
    found: set[str] = set()
    for segment in plan.segments:
        for rule in segment.rules:
            if isinstance(rule.points, Lookup):
                found.update(rule.points.values)
            if isinstance(rule.validity, ByField):
                found.update(rule.validity.values)
    return sorted(found) or ["none"]


@st.composite
def streams(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], dict[str, date], list[datetime]]:
    """Dense streams: a few types, a few subjects, a short span, so rules interact."""
    name = draw(st.sampled_from(sorted(PLANS)))
    plan = PLANS[name]
    types = draw(
        st.lists(
            st.sampled_from(sorted(plan.known_types() - {VOID})),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    subjects = SUBJECTS[: draw(st.integers(1, len(SUBJECTS)))]
    span = draw(st.sampled_from([20, 200, 500, 1200, 2500]))
    start = START + timedelta(days=draw(st.integers(0, 7 * 365 - span)))
    levels = _levels(plan)
    births = {
        s: draw(st.dates(date(2001, 1, 1), date(2008, 12, 31)))
        for s in subjects
        if draw(st.booleans())
    }
    rows: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 30))):
        if rows and draw(st.integers(0, 5)) == 0:
            moment = rows[draw(st.integers(0, len(rows) - 1))]["occurred_at"]
        else:
            offset = draw(st.integers(0, span * 24)) * timedelta(hours=1)
            moment = (start + offset).replace(tzinfo=draw(st.sampled_from(ZONES)))
        row = {
            "id": f"e{i}",
            "source": draw(st.sampled_from(["a", "a", "b"])),
            "subject": draw(st.sampled_from(subjects)),
            "occurred_at": moment,
            "act": draw(st.sampled_from([None, None, "k1", "k2"])),
        }
        if rows and draw(st.integers(0, 9)) == 0:
            target = rows[draw(st.integers(0, len(rows) - 1))]
            row.update(type=VOID, target=target["id"], act=None)
        else:
            row.update(type=draw(st.sampled_from(types)), data=_data(draw, levels))
        rows.append(row)
    as_of = [
        (
            start + timedelta(days=draw(st.integers(0, span + 800)), hours=draw(st.integers(0, 23)))
        ).replace(tzinfo=UTC)
        for _ in range(3)
    ]
    return name, rows, births, as_of


def _data(draw: st.DrawFn, levels: list[str]) -> dict[str, Any]:
    amount = draw(st.sampled_from(AMOUNTS) | st.floats(0, 40000).map(lambda x: round(x, 2)))
    return {
        "amount_cny": amount,
        "amount": amount,
        "value_cny": amount,
        "months": float(draw(st.integers(0, 12))),
        "hours": draw(st.sampled_from([0.5, 1, 2, 4, 5, 8, 10, 15, 30])),
        "level": draw(st.sampled_from(levels)),
        "case_no": draw(st.sampled_from(["c1", "c2", None])),
    }


def _events(rows: list[dict[str, Any]]) -> list[Event]:
    return [
        Event(
            id=r["id"],
            source=r["source"],
            subject=r["subject"],
            type=r["type"],
            occurred_at=r["occurred_at"],
            act=r["act"],
            data=r.get("data", {"target": r.get("target")}),
        )
        for r in rows
    ]


def _frame(rows: list[dict[str, Any]], births: dict[str, date]) -> pl.DataFrame:
    flat = [
        {
            **{k: v for k, v in r.items() if k != "data"},
            **r.get("data", {}),
            "occurred_at": r["occurred_at"].astimezone(UTC),
            "birth_date": births.get(r["subject"]),
        }
        for r in rows
    ]
    schema = {
        "id": pl.String,
        "source": pl.String,
        "subject": pl.String,
        "type": pl.String,
        "occurred_at": pl.Datetime("us", "UTC"),
        "act": pl.String,
        "target": pl.String,
        "amount_cny": pl.Float64,
        "amount": pl.Float64,
        "value_cny": pl.Float64,
        "months": pl.Float64,
        "hours": pl.Float64,
        "level": pl.String,
        "case_no": pl.String,
        "birth_date": pl.Date,
    }
    return pl.DataFrame(flat, schema=schema)


def _rows(entries: list[reference.Entry]) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(getattr(e, c) for c in ENTRY_COLUMNS) for e in entries),
        key=lambda row: (row[0], row[1], row[2], row[6]),
    )


def _kernel_rows(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    return sorted(
        frame.select(ENTRY_COLUMNS).iter_rows(), key=lambda row: (row[0], row[1], row[2], row[6])
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_kernel_entries_and_standings_equal_the_reference(
    stream: tuple[str, list[dict[str, Any]], dict[str, date], list[datetime]],
) -> None:
    name, rows, births, moments = stream
    plan = PLANS[name]
    events = _events(rows)
    expected = reference.derive(events, plan, births)
    frame = _frame(rows, births)
    derivation = derive(frame, plan)
    derived = derivation.entries()
    assert _kernel_rows(derived) == _rows(expected)
    some = pl.Series([*frame.get_column("subject").head(1), "someone-without-events"])
    for as_of in moments:
        if plan.segment_at(reference.local(as_of, plan.timezone).date()) is None:
            continue
        want = [
            tuple(getattr(s, c) for c in STANDING_COLUMNS)
            for s in reference.standings(events, expected, plan, as_of)
        ]
        got = list(standings(frame, derived, plan, as_of).iter_rows())
        assert got == want
        # Straight from the kernel's codes, for everyone and for named subjects.
        assert list(standings_of(derivation, plan, as_of).iter_rows()) == want
        named = standings(frame, derived, plan, as_of, some)
        assert standings_of(derivation, plan, as_of, some).equals(named)


def test_consent_types_are_part_of_the_vocabulary() -> None:
    assert {CONSENT_GIVEN, CONSENT_WITHDRAWN} <= PLANS["civic-rewards"].known_types()


def test_entries_from_a_version_without_a_cap_do_not_use_up_a_later_cap() -> None:
    plan = PLANS["test-mixed"]
    berlin = timezone(timedelta(hours=2))
    rows = [
        {
            "id": f"f{i}",
            "source": "a",
            "subject": "s1",
            "type": "x.fine",
            "act": None,
            "occurred_at": datetime(2022, month, 2, tzinfo=berlin),
            "data": {"amount": 5000},
        }
        for i, month in enumerate((3, 4, 5, 8, 9))
    ]
    expected = reference.derive(_events(rows), plan, {})
    derived = derive_entries(_frame(rows, {}), plan)
    assert _kernel_rows(derived) == _rows(expected)
    assert [e.applied_points for e in expected][-2:] == [-30, -10]


def test_events_at_one_moment_are_taken_in_source_and_id_order_in_every_such_run() -> None:
    plan = PLANS["cn-371003-wendeng"]
    beijing = timezone(timedelta(hours=8))
    rows = [
        {
            "id": event_id,
            "source": "a",
            "subject": "s2",
            "type": "civic.volunteer_hours",
            "act": None,
            "occurred_at": datetime(2020, 1, 1, hour, tzinfo=beijing),
            "data": {"hours": hours},
        }
        for event_id, hour, hours in (("e2", 0, 0.5), ("e14", 0, 0.5), ("e17", 1, 4), ("e18", 1, 5))
    ]
    expected = reference.derive(_events(rows), plan, {})
    derived = derive_entries(_frame(rows, {}), plan)
    assert _kernel_rows(derived) == _rows(expected)
