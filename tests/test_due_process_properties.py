"""Due-process guarantees held over random histories, through the services and a real store:
a relying party never gets an answer for a purpose it is not registered for; an expired,
voided, dispute-removed or repaired record never reaches a decision; and no sequence of listing case
actions, in any order and at any times, makes a decision deny on a list before the notice
and its appeal window.

Each example works on a copy of one prepared SQLite store (bundled packs published, sources
and relying parties registered), so examples are independent and cheap."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from socialcredit.domain.calendar import closes_at
from socialcredit.domain.durations import parse_duration
from socialcredit.services.casework import act_on_listing
from socialcredit.services.decide import Decision, decide, known_purposes
from socialcredit.services.dispute_casework import answer_dispute, open_dispute
from socialcredit.services.ingest import ingest_records
from socialcredit.services.parties import add_party
from socialcredit.services.registry import add_source
from socialcredit.services.repair import accept_repair, apply_for_repair, decide_repair
from socialcredit.services.schemes import publish_bundled, published_catalog, schemes_of
from socialcredit.storage import Store, open_store
from tests.scenario import ADULT

ZONE = ZoneInfo("Asia/Shanghai")
SET_UP = datetime(2024, 12, 1, tzinfo=ZONE)
START = datetime(2025, 1, 1, 9, 0, tzinfo=ZONE)
LISTED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
LIST = "dishonest-judgment-defaulters"
REF = f"L-1-{LIST}"  # the defaulter event is the first in the listing store's log
WINDOW = parse_duration("10d")
SOURCES = {
    "police.wendeng": ["public_order"],
    "civic.wendeng": ["civic"],
    "court.wendeng": ["judicial"],
}
# Purposes whose consequences look at grades (honours: deny at C or worse; discounts: a
# privilege from AA) and at the court's list (air travel).
ASKED = ["community_honours_nomination", "merchant_discounts", "air_travel"]


def _prepared(path: Path, *, listed: bool) -> Path:
    with open_store(path) as store:
        publish_bundled(store, published_at=SET_UP)
        for source, allowed in SOURCES.items():
            add_source(
                store,
                source,
                name=None,
                trust="high",
                allow=allowed,
                credential=None,
                registered_at=SET_UP,
            )
        add_party(store, "any", name=None, purposes=ASKED, registered_at=SET_UP)
        if listed:
            record(store, "court.wendeng", [wire("d-1", "court.defaulter_listed", LISTED_AT)])
    return path


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the bundled packs, the sources and a party for every purpose asked."""
    return _prepared(tmp_path_factory.mktemp("prepared") / "ledger.db", listed=False)


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, with a defaulter listing proposed for the subject on 2 March 2026."""
    return _prepared(tmp_path_factory.mktemp("listed") / "ledger.db", listed=True)


@contextmanager
def copy_of(template: Path) -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.db"
        shutil.copyfile(template, path)
        with open_store(path) as store:
            yield store


def wire(id: str, type_: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {
        "id": id,
        "subject": ADULT,
        "type": type_,
        "occurred_at": at.isoformat(),
        "jurisdiction": "371003",
        "data": data,
    }


def record(store: Store, source: str, events: list[dict[str, Any]]) -> None:
    done = ingest_records(store, events, source=source, recorded_at=SET_UP)
    assert all(r.outcome in ("new", "exists") for r in done), done


def asked(store: Store, purpose: str, as_of: datetime, party: str = "any") -> Decision:
    return decide(store, party=party, subject=ADULT, purpose=purpose, as_of=as_of, decided_at=as_of)


def named_records(decision: Decision) -> set[tuple[str, str]]:
    """Every (source, event id) a decision's reasons rest on."""
    return {
        (b["source"], b["event_id"])
        for r in decision.reasons
        for b in r.basis
        if "source" in b and "event_id" in b
    }


# --- (a) a party is answered only for the purposes it is registered for ------------------------

parties = itertools.count()


@settings(
    deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    registered=st.sets(st.sampled_from(ASKED), min_size=1),
    purpose=st.sampled_from([*ASKED, "bank_loan", "social_media_posting", "air_travel "]),
    days=st.integers(min_value=0, max_value=800),
)
def test_a_party_is_never_answered_for_a_purpose_it_is_not_registered_for(
    listed: Path, registered: set[str], purpose: str, days: int
) -> None:
    with copy_of(listed) as store:
        party = f"party-{next(parties)}"
        add_party(store, party, name=None, purposes=sorted(registered), registered_at=SET_UP)
        as_of = START + timedelta(days=days)
        decision = asked(store, purpose, as_of, party)
        if purpose in registered:
            assert decision.outcome in ("allow", "deny")
            return
        assert decision.outcome == "refused"
        assert decision.rulebooks == []
        assert named_records(decision) == set()
        stored = store.decisions_for([ADULT], party=party)
        assert stored.select("purpose", "outcome").rows() == [(purpose, "refused")]
        log = store.access_for(ADULT).filter(pl.col("who") == party)
        assert log.select("what", "purpose").rows() == [("decision", purpose)]


# --- (b) expired, voided, removed and repaired records never reach a decision ------------------

# Each with how long its entry counts under the Wendeng pack.
TYPES = {
    "public_order.seat_hogging": ("police.wendeng", "2y"),  # -50
    "public_order.violent_obstruction": ("police.wendeng", "2y"),  # -100
    "civic.heroic_act": ("civic.wendeng", "1y"),  # +10
    "court.admin_detention": ("court.wendeng", "3y"),  # direct grade C
}


@dataclass(frozen=True)
class Drawn:
    """One event of the history, and what becomes of it."""

    id: str
    type: str
    at: datetime
    voided: bool
    withdrawn_after: int | None  # days after the event the source withdraws it on dispute
    repaired_after: int | None  # days after the event a credit repair of it is approved

    @property
    def source(self) -> str:
        return TYPES[self.type][0]

    @property
    def expires(self) -> datetime:
        local = self.at.astimezone(ZONE).replace(tzinfo=None)
        return parse_duration(TYPES[self.type][1]).after(local).replace(tzinfo=ZONE)

    @property
    def removed_at(self) -> datetime | None:
        if self.withdrawn_after is None:
            return None
        return self.at + timedelta(days=self.withdrawn_after, hours=2)

    @property
    def repaired_at(self) -> datetime | None:
        if self.repaired_after is None:
            return None
        return self.at + timedelta(days=self.repaired_after, hours=3)


@st.composite
def histories(draw: st.DrawFn) -> list[Drawn]:
    drawn = []
    for i in range(draw(st.integers(min_value=1, max_value=5))):
        type_ = draw(st.sampled_from(sorted(TYPES)))
        fate = draw(st.sampled_from(["counts", "counts", "voided", "withdrawn", "repaired"]))
        if fate == "repaired" and type_ == "civic.heroic_act":
            fate = "counts"  # only a penalty is repaired
        after = draw(st.integers(min_value=0, max_value=300))  # within every validity
        drawn.append(
            Drawn(
                f"e-{i}",
                type_,
                START + timedelta(days=draw(st.integers(min_value=0, max_value=900))),
                voided=fate == "voided",
                withdrawn_after=after if fate == "withdrawn" else None,
                repaired_after=after if fate == "repaired" else None,
            )
        )
    return drawn


def recorded(store: Store, history: list[Drawn]) -> None:
    for source in SOURCES:
        mine = [d for d in history if d.source == source]
        events = [wire(d.id, d.type, d.at) for d in mine]
        voids = [
            wire(f"void-{d.id}", "void", d.at + timedelta(days=3), target=d.id, reason="wrong")
            for d in mine
            if d.voided
        ]
        if events:
            record(store, source, events + voids)
    for d in history:
        if d.removed_at is None:
            continue
        opened = d.removed_at - timedelta(hours=1)
        dispute = open_dispute(
            store, ADULT, source=d.source, event_id=d.id, rule=None, grounds="not me", at=opened
        )
        answer_dispute(store, dispute.ref, "withdrawn", "misread plate", at=d.removed_at)
    for d in history:
        if d.repaired_at is None:
            continue
        applied = apply_for_repair(
            store,
            f"{d.source}/{d.id}",
            subject=ADULT,
            commitment="I will keep order",
            proof="fine paid",
            at=d.repaired_at - timedelta(hours=2),
        )
        accept_repair(store, applied.id, by="credit-china", at=d.repaired_at - timedelta(hours=1))
        decide_repair(
            store, applied.id, approve=True, reasons="repaired", by="office", at=d.repaired_at
        )


@settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=histories(),
    moments=st.lists(st.tuples(st.integers(0, 4), st.integers(-30, 1200)), min_size=1, max_size=3),
)
def test_an_expired_voided_removed_or_repaired_record_never_reaches_a_decision(
    prepared: Path, history: list[Drawn], moments: list[tuple[int, int]]
) -> None:
    with copy_of(prepared) as store:
        recorded(store, history)
        for which, days in moments:  # days after one of the events, where the records are
            as_of = history[which % len(history)].at + timedelta(days=days, hours=5)
            gone = {
                (d.source, d.id)
                for d in history
                if d.voided
                or (d.removed_at is not None and d.removed_at <= as_of)
                or (d.repaired_at is not None and d.repaired_at <= as_of)
                or d.expires <= as_of
            }
            for purpose in ASKED:
                decision = asked(store, purpose, as_of)
                assert decision.outcome in ("allow", "deny")
                named = named_records(decision)
                assert not named & gone, (purpose, as_of)
                event(f"{purpose}: {'rests on records' if named else 'on no record'}")
            event("some record gone" if gone else "no record gone")


# --- (c) no sequence of case actions lists anyone before the notice and its window ------------

ACTIONS = {
    "notice": ("listing.notice", {"reasons": "judgment unperformed", "how_to_appeal": "write"}),
    "appeal": ("listing.appeal", {"grounds": "paid"}),
    "upheld": ("listing.review", {"outcome": "upheld", "reasons": "r", "reviewer": "judge Li"}),
    "overturned": (
        "listing.review",
        {"outcome": "overturned", "reasons": "r", "reviewer": "judge Li"},
    ),
    "early": ("listing.early_removal", {"reasons": "performed"}),
    "correction": ("listing.correction", {"reasons": "wrong person"}),
}
KINDS = ["notice", "upheld"] * 2 + ["appeal", "overturned", "early", "correction"]
hours = st.integers(min_value=0, max_value=40 * 24)


@settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.sampled_from([None, 0, 1, 24, 72]),
    actions=st.lists(st.tuples(st.sampled_from(KINDS), hours), max_size=4),
    asked_at=st.lists(st.integers(min_value=-24, max_value=50 * 24), min_size=1, max_size=5),
)
def test_no_sequence_of_case_actions_denies_before_the_notice_and_its_window(
    listed: Path, first: int | None, actions: list[tuple[str, int]], asked_at: list[int]
) -> None:
    if first is not None:  # most listings are noticed soon after the trigger, by the job
        actions = [("notice", first), *actions]
    with copy_of(listed) as store:
        for kind, after in actions:  # appended in the drawn order, not in time order
            action, data = ACTIONS[kind]
            act_on_listing(store, REF, action, data, at=LISTED_AT + timedelta(hours=after))
        notices = sorted(LISTED_AT + timedelta(hours=h) for k, h in actions if k == "notice")
        for h in asked_at:
            as_of = LISTED_AT + timedelta(hours=h)
            decision = asked(store, "air_travel", as_of)
            event(decision.outcome)
            if decision.outcome != "deny":
                continue
            assert notices, "denied on a list with no notice served"
            closes = closes_at(notices[0].astimezone(ZONE), WINDOW)
            assert as_of >= closes >= notices[0] + timedelta(days=10)


def test_the_properties_see_the_purposes_of_the_bundled_packs(prepared: Path) -> None:
    """The purposes asked above are the ones the bundled packs name consequences for."""
    with copy_of(prepared) as store:
        known = known_purposes(schemes_of(published_catalog(store)))
    assert set(ASKED) <= known
    assert "bank_loan" not in known  # so a party can only be refused it
